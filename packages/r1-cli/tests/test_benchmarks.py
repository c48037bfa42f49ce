import base64
import json
import pickle
import zlib

import pytest
from r1_cli.benchmarks.gpqa import extract_choice
from r1_cli.benchmarks.lcb import decode_tests, extract_code
from r1_cli.benchmarks.source import read_sample
from r1_core import Benchmark, DataError, factory, get_benchmark

OURS = ["aime24", "aime25", "math_500", "gpqa_diamond", "lcb"]
SCHEMAS = {
    "aime24": {"id", "problem", "solution", "answer", "url", "year"},
    "aime25": {"id", "problem", "answer"},
    "math_500": {"problem", "solution", "answer", "subject", "level", "unique_id"},
    "gpqa_diamond": {"Question", "Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2",
                     "Incorrect Answer 3"},
    "lcb": {"question_title", "question_content", "platform", "question_id", "contest_date",
            "starter_code", "difficulty", "public_test_cases", "private_test_cases", "metadata"},
}


@pytest.mark.parametrize("name", OURS)
def test_bundled_sample_has_the_hub_schema(name):
    bench = get_benchmark(name)
    assert isinstance(bench, Benchmark)
    rows = bench.load(offline=True)
    assert len(rows) >= 3
    for row in rows:
        assert SCHEMAS[name] <= set(row), name
    assert bench.provenance["bundled"] is True
    assert bench.revision.startswith("r1-sample-sha256:")
    assert bench.load(offline=True, limit=2) == rows[:2]


def test_offline_env_uses_the_sample_with_a_notice(monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    rows = get_benchmark("aime24").load()
    assert rows == read_sample("aime24.jsonl")[0]
    assert "bundled sample" in capsys.readouterr().err


def test_bad_limit_is_a_data_error():
    with pytest.raises(DataError):
        get_benchmark("aime24").load(offline=True, limit=0)


@pytest.mark.parametrize("name", ["aime24", "aime25", "math_500"])
def test_math_scoring_with_the_accuracy_reward(name):
    bench = get_benchmark(name)
    for row in bench.load(offline=True):
        gold = f"Reasoning... so the answer is $\\boxed{{{row['answer']}}}$."
        assert bench.score(row, [gold, "The answer is \\boxed{123456789}", "no idea"]) == [1.0, 0.0, 0.0]
        assert "\\boxed{ANSWER}" in bench.prompt(row) and row["problem"] in bench.prompt(row)


def test_gpqa_shuffles_options_with_a_fixed_seed():
    bench = get_benchmark("gpqa_diamond")
    rows = bench.load(offline=True)
    letters = [bench.options(r)[1] for r in rows]
    assert letters == [get_benchmark("gpqa_diamond").options(r)[1] for r in rows]  # reproducible
    assert len(set(letters)) > 1  # the correct answer is not always in the same place
    other_seed = get_benchmark("gpqa_diamond", seed=1)
    assert [other_seed.options(r)[0] for r in rows] != [bench.options(r)[0] for r in rows]
    for row, letter in zip(rows, letters):
        options, _ = bench.options(row)
        assert options[ord(letter) - 65] == row["Correct Answer"]
        assert f"{letter}) {row['Correct Answer']}" in bench.prompt(row)
        wrong = "A" if letter != "A" else "B"
        assert bench.score(row, [f"Thinking.\nAnswer: {letter}", f"Answer: {wrong}", "no answer"]) == [
            1.0, 0.0, 0.0]


@pytest.mark.parametrize(("text", "expected"), [
    ("so... Answer: C", "C"),
    ("**Answer:** (B)", "B"),
    ("The answer is D.", "D"),
    ("Answer: A\nwait, actually Answer: B", "B"),
    ("\\boxed{C}", "C"),
    ("the answer is a prime number", None),
    ("", None),
])
def test_extract_choice(text, expected):
    assert extract_choice(text) == expected


LCB_SOLUTIONS = {
    "r1s_001": "n = int(input())\na = list(map(int, input().split()))\ns = sum(a)\n"
               "print((s * s - sum(x * x for x in a)) // 2)",
    "r1s_002": "print(' '.join(input().split()[::-1]))",
    "r1s_003": "class Solution:\n    def longestRun(self, nums: List[int]) -> int:\n"
               "        best = cur = 1\n        for i in range(1, len(nums)):\n"
               "            cur = cur + 1 if nums[i] == nums[i - 1] else 1\n"
               "            best = max(best, cur)\n        return best\n",
}


def test_lcb_judges_in_the_sandbox():
    bench = get_benchmark("lcb")
    rows = bench.load(offline=True)
    assert {r["question_id"] for r in rows} == set(LCB_SOLUTIONS)
    for row in rows:
        good = f"Here:\n```python\n{LCB_SOLUTIONS[row['question_id']]}\n```"
        details = bench.score_details(row, [good, "```python\nprint(0)\n```", "no code"])
        assert [d["score"] for d in details] == [1.0, 0.0, 0.0], (row["question_id"], details)
        assert set(details[0]["verdicts"]) == {"AC"} and len(details[0]["verdicts"]) == len(bench.tests(row))
        assert details[1]["verdicts"] and "AC" not in details[1]["verdicts"]
        assert details[2]["note"] == "no code block"
        if row["starter_code"]:
            assert "class Solution" in bench.prompt(row)


def test_lcb_test_encodings():
    tests = [{"input": "1\n", "output": "2\n", "testtype": "stdin"}]
    hub_style = base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode()
    assert decode_tests(hub_style) == tests
    assert decode_tests(json.dumps(tests)) == tests
    assert decode_tests("") == []
    hostile = base64.b64encode(zlib.compress(pickle.dumps(print))).decode()  # needs a global
    with pytest.raises(DataError):
        decode_tests(hostile)


def test_extract_code_takes_the_last_block():
    assert extract_code("```python\na=1\n```\ntext\n```py\nb=2\n```") == "b=2\n"
    assert extract_code("no code") is None


def test_unknown_lcb_version_is_a_data_error():
    with pytest.raises(DataError, match="v4_v5"):
        get_benchmark("lcb", version="v99")


def test_lcb_date_window_keeps_problems_published_inside_it():
    def ids(limit=None, **window):
        bench = get_benchmark("lcb", **window)
        return [row["question_id"] for row in bench.load(offline=True, limit=limit)], bench

    assert ids()[0] == ["r1s_001", "r1s_002", "r1s_003"]  # dated 2024-09-01, 2024-11-16, 2025-02-08
    assert ids(start_date="2024-10-01")[0] == ["r1s_002", "r1s_003"]
    assert ids(end_date="2024-11-16")[0] == ["r1s_001", "r1s_002"]  # both ends included
    within, bench = ids(start_date="2024-09-02", end_date="2025-02-07")
    assert within == ["r1s_002"]
    assert bench.provenance["date_window"] == ["2024-09-02", "2025-02-07"]
    assert bench.provenance["rows_in_window"] == 1
    assert ids(start_date="2024-10-01", limit=1)[0] == ["r1s_002"]  # the limit applies after the window
    assert ids(start_date="2026-01-01")[0] == []


@pytest.mark.parametrize(("window", "fragment"), [
    ({"start_date": "2024-13-01"}, "YYYY-MM-DD"),
    ({"end_date": "yesterday"}, "end_date"),
    ({"start_date": "2025-01-01", "end_date": "2024-01-01"}, "after end_date"),
])
def test_bad_lcb_date_window_is_a_data_error(window, fragment):
    with pytest.raises(DataError, match=fragment):
        get_benchmark("lcb", **window)


def test_lcb_date_window_needs_dated_rows():
    bench = get_benchmark("lcb", start_date="2024-01-01")
    with pytest.raises(DataError, match="contest_date"):
        bench._in_window({"question_id": "x", "contest_date": None})


class _BrokenSandbox:
    """A provider whose infrastructure fails: every run is a system error."""

    name = "broken"

    def run(self, requests):
        from r1_core import ExecResult, Verdict

        return [ExecResult(verdict=Verdict.SE, message="no workers", id=r.id) for r in requests]

    async def arun(self, requests):
        return self.run(requests)

    def close(self):
        pass


def test_lcb_counts_sandbox_failures_instead_of_hiding_them(r1_host, r1_register, tmp_path):
    import r1_cli.plugin
    from r1_cli.evaluation import evaluate
    from r1_cli.generation import Completion, SamplingParams

    r1_host.add_plugin(r1_cli.plugin, name="r1-cli-under-test")
    r1_register("sandboxes", "broken", _BrokenSandbox)
    row = get_benchmark("lcb").load(offline=True)[0]
    bench = get_benchmark("lcb", sandbox="broken")
    details = bench.score_details(row, ["```python\nprint(1)\n```"])
    assert details[0]["system_errors"] == len(bench.tests(row)) and details[0]["verdicts"][0] == "SE"

    class CodeWriter:
        name = "fixed"

        def generate(self, conversations, params, progress=None):
            return [[Completion("```python\nprint(1)\n```", "stop")] * params.n for _ in conversations]

    r1_register("benchmarks", "lcb_broken", factory(lambda: get_benchmark("lcb", sandbox="broken")))
    res = evaluate("lcb_broken", CodeWriter(), "fixed", SamplingParams(n=2), output_dir=tmp_path,
                   limit=1, offline=True).results
    assert res["system_errors"] == 2 * len(bench.tests(row))


@pytest.mark.parametrize(("name", "expected"), [
    ("aime24", ("HuggingFaceH4/aime_2024", None, "train")),
    ("aime25", ("yentinglin/aime_2025", None, "train")),
    ("math_500", ("HuggingFaceH4/MATH-500", None, "test")),
    ("gpqa_diamond", ("Idavidrein/gpqa", "gpqa_diamond", "train")),
])
def test_online_loads_the_lighteval_sources(monkeypatch, name, expected):
    """With the Hub reachable, rows come from the same dataset/config/split lighteval uses."""
    import datasets

    calls = []
    sample = read_sample(f"{name}.jsonl")[0]

    def fake_load(path, config=None, *, split=None, revision=None, **kw):
        calls.append((path, config, split, revision))
        return sample

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    monkeypatch.setattr("r1_cli.benchmarks.source._hub_sha", lambda src: "sha-of-the-commit")
    bench = get_benchmark(name, revision="v1.0")
    rows = bench.load(offline=False, limit=2)
    assert calls == [(*expected, "v1.0")]
    assert rows == sample[:2]
    assert bench.provenance["bundled"] is False and bench.revision == "sha-of-the-commit"


def test_online_lcb_reads_the_release_files(monkeypatch):
    import datasets

    calls = []

    def fake_load(kind, *, data_files, split):
        calls.append((kind, data_files, split))
        return read_sample("lcb.jsonl")[0]

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    monkeypatch.setattr("r1_cli.benchmarks.source._hub_sha", lambda src: None)
    get_benchmark("lcb", version="release_v2").load(offline=False)
    assert calls == [("json", ["hf://datasets/livecodebench/code_generation_lite@main/test.jsonl",
                               "hf://datasets/livecodebench/code_generation_lite@main/test2.jsonl"], "train")]


def test_online_failure_is_a_one_line_data_error(monkeypatch):
    import datasets

    def gated(*args, **kwargs):
        raise ConnectionError("401 gated dataset")

    monkeypatch.setattr(datasets, "load_dataset", gated)
    with pytest.raises(DataError, match="gated") as info:
        get_benchmark("gpqa_diamond").load(offline=False)
    assert "--offline" in str(info.value)
