"""Dataset rows: open-r1 column converters, bundled training rows, CP benchmarks."""

from __future__ import annotations

import pytest
from r1_core import get_benchmark
from r1_cp import (
    ProblemError,
    bundled_problems,
    dataset_rows,
    extract_code,
    load_problem,
    problem_from_row,
    problem_to_row,
    problem_to_rows,
)


def _same(a, b) -> None:
    keys = (
        "name",
        "scorer",
        "time_limit",
        "memory_limit",
        "io",
        "file_name",
        "tests",
        "checker",
        "grader_files",
        "scoring_mode",
    )
    assert {k: getattr(a, k) for k in keys} == {k: getattr(b, k) for k in keys}
    assert [(s.name, s.points, a.expand(s)) for s in a.effective_subtasks()] == [
        (s.name, s.points, b.expand(s)) for s in b.effective_subtasks()
    ]


@pytest.mark.parametrize("directory", bundled_problems(), ids=lambda d: d.name)
def test_round_trip_through_a_row(directory) -> None:
    problem = load_problem(directory)
    _same(problem_from_row(problem_to_row(problem), problem.scorer), problem)


def test_ioi_rows_are_one_per_subtask_like_open_r1(problems_dir) -> None:
    stairs = load_problem(problems_dir / "stairs")
    rows = problem_to_rows(stairs)
    assert [(r["subtask"], r["score"], len(r["test_names"])) for r in rows] == [
        ("small", 20, 3),
        ("one-or-two", 30, 5),
        ("full", 50, 9),
    ]
    assert ["graders/grader.cpp", "graders/stairs.h"] == sorted(p for p, _ in rows[0]["grader_files"])
    sub = problem_from_row(rows[1], "ioi")
    assert [t.name for t in sub.tests] == ["s1-1", "s1-2", "s1-3", "s2-1", "s2-2"]
    assert sub.effective_subtasks()[0].points == 30


def test_open_r1_ioi_row_shapes() -> None:
    row = {
        "id": "Tree",
        "subtask": "02-line",
        "score": 17,
        "score_precision": 2,
        "test_names": ["a", "b"],
        "test_cases": {"a": ("1\n", "2\n"), "b": ["3\n", "4\n"]},
        "grader_files": [
            ("graders/grader.cpp", "int main(){}"),
            ("graders/tree.h", "int f();"),
            ("graders/tree.cpp", "// stub the submission replaces"),
            ("graders/empty.cpp", ""),
            ("checker/checker.cpp", "int main(){}"),
            ("graders/grader_config.json", "{}"),
        ],
        "time_limit": 2.5,
        "memory_limit": 512,
        "problem": "statement",
    }
    problem = problem_from_row(row, "ioi")
    assert set(problem.grader_files) == {"grader.cpp", "tree.h"}
    assert problem.checker.language == "cpp" and problem.checker.args == ["input", "expected", "output"]
    assert [(t.name, t.input, t.output) for t in problem.tests] == [("a", "1\n", "2\n"), ("b", "3\n", "4\n")]
    assert problem.subtasks[0].name == "02-line" and problem.subtasks[0].points == 17
    assert problem.time_limit == 2.5 and problem.memory_limit == 512 and problem.statement == "statement"


def test_open_r1_codeforces_row() -> None:
    row = {
        "id": "1999/B",
        "title": "T",
        "description": "d",
        "official_tests": [{"input": "1", "output": "2"}],
        "generated_checker": "import sys\n",
        "time_limit": 2.0,
        "memory_limit": 256,
        "input_mode": "stdio",
    }
    problem = problem_from_row(row, "codeforces")
    assert problem.name == "1999-B" and problem.checker.language == "python"
    assert problem.checker.args == ["input", "expected", "output"]
    assert [(t.name, t.input) for t in problem.tests] == [("01", "1")]


@pytest.mark.parametrize(
    ("row", "kind", "message"),
    [
        (
            {"id": "x", "subtask": "s", "score": 1, "test_names": ["a"], "time_limit": 1, "memory_limit": 1},
            "ioi",
            "no test_cases",
        ),
        ({"subtask": "s"}, "ioi", "missing column 'id'"),
        (
            {
                "id": "x",
                "test_names": ["a"],
                "score": 1,
                "test_cases": {"b": ["", ""]},
                "time_limit": 1,
                "memory_limit": 8,
            },
            "ioi",
            "lacks",
        ),
        (
            {
                "id": "x",
                "grader_files": [["graders/manager.cpp", "x"]],
                "test_names": ["a"],
                "score": 1,
                "test_cases": [["", ""]],
                "time_limit": 1,
                "memory_limit": 8,
            },
            "ioi",
            "communication task",
        ),
        ({"id": "x"}, "codeforces", "official_tests"),
        ({"id": "x", "official_tests": []}, "usaco", "no tests"),
        ({"id": "x", "official_tests": [{"input": "", "output": ""}]}, "atcoder", "unknown problem kind"),
    ],
)
def test_bad_rows_raise_problem_error(row, kind, message) -> None:
    with pytest.raises(ProblemError, match=message):
        problem_from_row(row, kind)


@pytest.mark.parametrize("kind", ["ioi", "codeforces", "usaco"])
def test_dataset_rows_survive_an_arrow_dataset(kind) -> None:
    from datasets import Dataset

    rows = dataset_rows(kind)
    assert len(rows) == {"ioi": 5, "codeforces": 2, "usaco": 2}[kind]
    data = Dataset.from_list(rows)
    for original, row in zip(rows, data, strict=True):
        assert "```cpp" in row["prompt"] and row["kind"] == kind
        assert row["reference_solution"].startswith("```cpp\n")
        _same(problem_from_row(row, kind), problem_from_row(original, kind))
    if kind == "ioi":
        stairs = next(r for r in rows if r["id"] == "stairs")
        assert "count_ways" in stairs["prompt"] and "Do not write `main`" in stairs["prompt"]
    if kind == "usaco":
        assert "fence.in" in next(r for r in rows if r["id"] == "fence")["prompt"]


def test_extract_code_takes_the_last_block() -> None:
    text = "idea\n```python\nprint(1)\n```\nbetter:\n```cpp\nint main(){}\n```\n"
    assert extract_code(text) == ("int main(){}\n", "cpp")
    assert extract_code("```py\nx=1\n```") == ("x=1\n", "python")
    assert extract_code("no code") == ("", "cpp")


def test_benchmarks_follow_the_protocol() -> None:
    from r1_core import Benchmark

    for kind in ("ioi", "codeforces", "usaco"):
        bench = get_benchmark(kind)
        assert isinstance(bench, Benchmark) and bench.name == kind
        rows = bench.load(limit=1)
        assert len(rows) == 1 and bench.prompt(rows[0]) == rows[0]["prompt"]


@pytest.mark.slow
def test_benchmark_scores_fractions_with_the_local_sandbox() -> None:
    bench = get_benchmark("usaco")
    row = next(r for r in bench.load() if r["id"] == "divisors")
    wrong = '```cpp\n#include <cstdio>\nint main(){ std::puts("8"); }\n```'
    scores = bench.score(row, [row["reference_solution"], "no code here", wrong])
    assert scores == [1.0, 0.0, pytest.approx(0.2)]
    details = bench.score_details(row, [wrong])[0]
    assert details["points"] == 200 and details["max_score"] == 1000
    assert details["verdicts"] == {"1": "AC", "2": "WA", "3": "WA", "4": "WA", "5": "WA"}
    bench.close()


@pytest.fixture
def hub_ioi_tests(monkeypatch, problems_dir):
    """open-r1/ioi-test-cases for "2024", served by a real Arrow dataset built from stairs' tests:
    the loader's code path minus the download. Returns the stairs problem and the load calls."""
    import datasets
    from r1_cp.testcase_store import ioi_tests_for_year

    stairs = load_problem(problems_dir / "stairs")
    calls = []

    def load_dataset(path, name=None, split=None, **kwargs):
        calls.append((path, name, split))
        if name != "2024":
            raise ValueError(f"BuilderConfig '{name}' not found")
        return datasets.Dataset.from_list([
            {"problem_id": "stairs", "test_name": t.name, "test_input": t.input, "test_output": t.output}
            for t in stairs.tests
        ])

    ioi_tests_for_year.cache_clear()
    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    yield stairs, calls
    ioi_tests_for_year.cache_clear()


def test_open_r1_ioi_rows_without_test_cases_load_them_by_year(hub_ioi_tests) -> None:
    stairs, calls = hub_ioi_tests
    for row in problem_to_rows(stairs):
        hub_row = {k: v for k, v in row.items() if k != "test_cases"} | {"year": 2024}
        from_hub, bundled = problem_from_row(hub_row, "ioi"), problem_from_row(row, "ioi")
        assert [(t.name, t.input, t.output) for t in from_hub.tests] == [
            (t.name, t.input, t.output) for t in bundled.tests]
    assert calls == [("open-r1/ioi-test-cases", "2024", "train")]  # one load per year and process


def test_open_r1_ioi_test_store_errors_are_one_line(hub_ioi_tests) -> None:
    stairs, _ = hub_ioi_tests
    row = {k: v for k, v in problem_to_rows(stairs)[0].items() if k != "test_cases"}
    with pytest.raises(ProblemError, match="cannot be loaded: BuilderConfig '1999' not found") as err:
        problem_from_row(row | {"year": 1999}, "ioi")
    assert "HF_HUB_OFFLINE" in err.value.hint
    with pytest.raises(ProblemError, match="has no tests for it in 2024"):
        problem_from_row(row | {"year": 2024, "id": "nile"}, "ioi")
    with pytest.raises(ProblemError, match="has no test_cases"):  # no year: nowhere to look
        problem_from_row(row, "ioi")


@pytest.fixture
def cf_tests_folder(tmp_path, monkeypatch):
    """$CF_TESTS_FOLDER with open-r1's layout: test_cases_<contest:04d>.parquet per contest."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from r1_cp.testcase_store import _contest_tests

    def write(contest: int, rows: list[tuple[str, str, str]]) -> None:
        ids, given, expected = (list(c) for c in zip(*rows, strict=True))
        pq.write_table(pa.table({"problem_id": ids, "input": given, "output": expected}),
                       tmp_path / f"test_cases_{contest:04d}.parquet")

    monkeypatch.setenv("CF_TESTS_FOLDER", str(tmp_path))
    _contest_tests.cache_clear()
    yield write
    _contest_tests.cache_clear()


def _gcd_row(problems_dir, problem_id: str) -> dict:
    return problem_to_row(load_problem(problems_dir / "gcd")) | {"id": problem_id}


def test_codeforces_rows_get_the_generated_tests_like_open_r1(cf_tests_folder, problems_dir) -> None:
    gcd = load_problem(problems_dir / "gcd")
    first = gcd.tests[0]
    cf_tests_folder(1999, [("1999/B", first.input, first.output), ("1999/C", "1 1\n", "1\n"),
                           ("1999/B", gcd.tests[1].input, gcd.tests[1].output)])
    problem = problem_from_row(_gcd_row(problems_dir, "1999/B"), "codeforces")
    assert [t.name for t in problem.tests] == [t.name for t in gcd.tests] + ["gen-001", "gen-002"]
    assert (problem.tests[-1].input, problem.tests[-1].output) == (gcd.tests[1].input, gcd.tests[1].output)
    other_contest = problem_from_row(_gcd_row(problems_dir, "2000/A"), "codeforces")  # no file: none added
    assert len(other_contest.tests) == len(gcd.tests)
    usaco_like = problem_from_row(_gcd_row(problems_dir, "1999/B"), "usaco")  # only Codeforces rows
    assert len(usaco_like.tests) == len(gcd.tests)


def test_generated_tests_take_part_in_the_score(cf_tests_folder, problems_dir) -> None:
    from r1_cp import score_submission

    gold = (problems_dir / "gcd" / "solutions" / "full.cpp").read_text()
    cf_tests_folder(1999, [("1999/B", "3 1\n", "definitely not the answer\n")])
    result = score_submission(problem_from_row(_gcd_row(problems_dir, "1999/B"), "codeforces"), gold)
    verdicts = {t.name: t.verdict.value for t in result.tests}
    assert verdicts.pop("gen-001") == "WA" and set(verdicts.values()) == {"AC"}
    assert result.fraction < 1


def test_codeforces_generated_tests_folder_errors(monkeypatch, tmp_path, problems_dir) -> None:
    from r1_cp.testcase_store import _contest_tests

    monkeypatch.setenv("CF_TESTS_FOLDER", str(tmp_path / "missing"))
    _contest_tests.cache_clear()
    with pytest.raises(ProblemError, match="is not a directory"):
        problem_from_row(_gcd_row(problems_dir, "1999/B"), "codeforces")
    monkeypatch.delenv("CF_TESTS_FOLDER")  # unset: the official tests only, as before
    assert len(problem_from_row(_gcd_row(problems_dir, "1999/B"), "codeforces").tests) == len(
        load_problem(problems_dir / "gcd").tests)
