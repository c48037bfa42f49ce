import json
import random
import re

import pytest
from r1_cli.data import decontaminate as decon
from r1_cli.data.decontaminate import find_contamination, words
from r1_core import get_benchmark


def _naive(texts, benchmarks, n):
    """The definition: lower-case, punctuation to spaces, word n-gram set intersection."""
    def grams(t):
        w = re.sub(r"[^\w\s]", " ", t.lower()).split()
        return {tuple(w[i:i + n]) for i in range(len(w) - n + 1)}
    out = {}
    for name, btexts in benchmarks.items():
        bset = set().union(*(grams(t) for t in btexts))
        out[name] = [i for i, t in enumerate(texts) if grams(t) & bset]
    return out


def _read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_words_normalisation():
    assert words("The  Sum, of $x^2$!\tis\n—42…") == ["the", "sum", "of", "x", "2", "is", "42"]
    assert words("Ünïcode «quotes» ok") == ["ünïcode", "quotes", "ok"]


@pytest.fixture
def planted(tmp_path):
    """Training rows with 8-gram copies of bundled benchmark problems at known indices."""
    math = get_benchmark("math_500").load(offline=True)
    aime = get_benchmark("aime24").load(offline=True)
    m_words = math[1]["problem"].split()        # "What is the positive solution of $x^2 - 5x - 14 = 0$?"
    a_words = aime[4]["problem"].split()
    rows = [
        {"problem": "Compute the area of a circle of radius three, then double it and add one."},
        # 0-based 1: an 8-word window of a MATH-500 problem, shouted and re-punctuated
        {"problem": "Warm-up. " + " ".join(m_words[:8]).upper().replace("$", "") + " ... please!!"},
        {"problem": "A rectangle with integer side lengths"},  # 6 words: too short to ever match
        # 0-based 3: 7 words of the AIME problem only: not flagged at n=8
        {"problem": "Note: " + " ".join(a_words[:7]) + " zebra giraffe elephant."},
        # 0-based 4: an AIME problem copied whole
        {"problem": aime[4]["problem"]},
        {"problem": "Totally unrelated: list three prime numbers greater than one hundred."},
        # 0-based 6: contains windows of both benchmarks
        {"problem": " ".join(a_words[-9:]) + " / " + " ".join(m_words[-12:])},
    ]
    path = tmp_path / "train.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path, rows


def test_cli_finds_the_planted_overlaps_and_nothing_else(r1, planted, tmp_path):
    path, rows = planted
    out = tmp_path / "out"
    result = r1("data", "decontaminate", "--dataset", path, "--against", "math_500", "--against", "aime24",
                "--ngram", 8, "--offline", "--output", out, "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert report == {"flagged": [1, 4, 6], "by_benchmark": {"math_500": [1, 6], "aime24": [4, 6]},
                      "rows": 7}
    clean = _read_jsonl(out / "clean.jsonl")
    assert clean == [rows[i] for i in (0, 2, 3, 5)]
    dirty = _read_jsonl(out / "contaminated.jsonl")
    assert [d["contaminated_by"] for d in dirty] == [["math_500"], ["aime24"], ["math_500", "aime24"]]
    saved = json.loads((out / "report.json").read_text())
    assert saved["counts"] == {"math_500": 2, "aime24": 2} and saved["kept"] == 4


@pytest.mark.parametrize("against", [["--against", "math_500", "aime24"], ["--against", "math_500,aime24"]])
def test_several_benchmarks_after_one_flag(r1, planted, tmp_path, against):
    path, _ = planted
    result = r1("data", "decontaminate", "--dataset", path, *against, "--offline", "--output", tmp_path / "o",
                "--json")
    assert result.code == 0, result.err
    assert result.json()["by_benchmark"] == {"math_500": [1, 6], "aime24": [4, 6]}


def test_smaller_ngram_catches_the_seven_word_copy(r1, planted, tmp_path):
    path, _ = planted
    result = r1("data", "decontaminate", "--dataset", path, "--against", "aime24", "--ngram", 7,
                "--offline", "--output", tmp_path / "o", "--json")
    assert result.code == 0, result.err
    assert 3 in result.json()["by_benchmark"]["aime24"]


def test_local_benchmark_file_and_column(r1, tmp_path):
    bench = tmp_path / "bench.jsonl"
    bench.write_text(json.dumps({"question": "one two three four five six seven eight nine"}) + "\n")
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"text": t}) + "\n" for t in
                            ["zero one two three four five six seven eight", "one two three four"]))
    result = r1("data", "decontaminate", "--dataset", data, "--column", "text", "--against", bench,
                "--output", tmp_path / "o", "--json")
    assert result.code == 0, result.err
    assert result.json()["flagged"] == [0]


@pytest.mark.parametrize("workers", [1, 2])
def test_matches_the_naive_definition_on_random_text(workers, monkeypatch):
    rng = random.Random(7)
    vocab = ["a", "b", "c", "d", "e", "x!", "Y,", "é", "naïve", "$z$", "long-hyphenated-word",
             "supercalifragilisticexpialidocious", "2", "3.5"]
    texts = [" ".join(rng.choices(vocab[:6] if i % 3 else vocab, k=rng.randint(0, 40)))
             for i in range(3000)]
    texts += ["", "   ", "a\0b c d e a b c d e", "A B C D E A B C D"]
    benches = {"one": [" ".join(rng.choices(vocab, k=30)) for _ in range(20)],
               "two": ["a b c d e a b c d", "supercalifragilisticexpialidocious " * 9]}
    monkeypatch.setattr(decon, "PARALLEL_MIN_ROWS", 100)
    monkeypatch.setattr(decon, "CHUNK_ROWS", 500)
    for n in (3, 8):
        got = find_contamination(texts, benches, n=n, workers=workers)
        assert got.by_benchmark == _naive(texts, benches, n), n
        assert got.flagged == sorted(set(got.by_benchmark["one"]) | set(got.by_benchmark["two"]))


def test_spawn_workers_rebuild_the_benchmarks(monkeypatch):
    """Where fork is unavailable (macOS, Windows) workers get their rows and hash benchmarks themselves."""
    monkeypatch.setattr(decon.mp, "get_all_start_methods", lambda: ["spawn"])
    monkeypatch.setattr(decon, "PARALLEL_MIN_ROWS", 10)
    greek = "alpha beta gamma delta epsilon zeta eta theta"
    texts = [f"row {i} {greek}" if i % 7 == 0 else f"row {i} other words" for i in range(200)]
    got = find_contamination(texts, {"b": [f"x {greek} y"]}, n=8, workers=2)
    assert got.flagged == [i for i in range(200) if i % 7 == 0]


@pytest.mark.parametrize(("args", "fragment"), [
    (["--dataset", "missing.jsonl", "--against", "aime24"], "missing.jsonl"),
    (["--dataset", "DATA", "--against", "aime24", "--column", "nope"], "nope"),
    (["--dataset", "DATA", "--against", "not_a_benchmark"], "not_a_benchmark"),
    (["--dataset", "DATA", "--against", "aime24", "--ngram", "0"], "--ngram"),
    (["--dataset", "BAD", "--against", "aime24"], "invalid JSON"),
])
def test_decontaminate_errors_are_one_line(r1, tmp_path, args, fragment):
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"problem": "x"}) + "\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    args = [str(data) if a == "DATA" else str(bad) if a == "BAD" else a for a in args]
    result = r1("data", "decontaminate", *args, "--offline", "--output", tmp_path / "o")
    assert result.code == 2, result.err
    assert fragment in result.err and len(result.err.strip().splitlines()) == 1, result.err


def test_parquet_dataset(r1, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    aime = get_benchmark("aime24").load(offline=True)
    table = pa.table({"prompt": ["nothing to see here at all, no overlap whatsoever", aime[0]["problem"]],
                      "id": [1, 2]})
    pq.write_table(table, tmp_path / "train.parquet")
    result = r1("data", "decontaminate", "--dataset", tmp_path / "train.parquet", "--against", "aime24",
                "--offline", "--output", tmp_path / "o", "--json")
    assert result.code == 0, result.err
    assert result.json() == {"flagged": [1], "by_benchmark": {"aime24": [1]}, "rows": 2}
    assert _read_jsonl(tmp_path / "o" / "clean.jsonl") == [{"prompt": table["prompt"][0].as_py(), "id": 1}]
