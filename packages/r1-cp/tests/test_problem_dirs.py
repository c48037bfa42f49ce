"""Problem directories: loading, and one-line errors (exit 2) for every kind of defect."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from r1_cp import ProblemError, bundled_problems, load_problem


def _copy(problems_dir: Path, name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(problems_dir / name, tmp_path / name))


def test_every_bundled_problem_loads(problems_dir) -> None:
    dirs = bundled_problems()
    assert {d.name for d in dirs} == {"stairs", "balance", "twosum", "gcd", "divisors", "fence"}
    kinds = {k: [d.name for d in bundled_problems(k)] for k in ("ioi", "codeforces", "usaco")}
    assert kinds == {
        "ioi": ["balance", "stairs"],
        "codeforces": ["gcd", "twosum"],
        "usaco": ["divisors", "fence"],
    }
    stairs = load_problem(problems_dir / "stairs")
    assert set(stairs.grader_files) == {"grader.cpp", "stairs.h"} and stairs.headers == ["stairs.h"]
    assert [stairs.expand(s) for s in stairs.subtasks][1] == ["s1-1", "s1-2", "s1-3", "s2-1", "s2-2"]
    fence = load_problem(problems_dir / "fence")
    assert fence.io == "file" and fence.file_name == "fence"
    assert load_problem(problems_dir / "twosum").checker.language == "cpp"
    assert load_problem(problems_dir / "balance").checker.language == "python"


def _break_missing_yaml(d: Path) -> None:
    (d / "problem.yaml").unlink()


def _break_unknown_scorer(d: Path) -> None:
    y = d / "problem.yaml"
    y.write_text(y.read_text().replace("scorer: codeforces", "scorer: atcoder"))


def _break_missing_output(d: Path) -> None:
    (d / "tests" / "03.out").unlink()


def _break_missing_checker(d: Path) -> None:
    (d / "checker.cpp").unlink()


def _break_no_tests(d: Path) -> None:
    shutil.rmtree(d / "tests")


def _break_bad_key(d: Path) -> None:
    y = d / "problem.yaml"
    y.write_text(y.read_text() + "time_limt: 3\n")


def _break_bad_yaml(d: Path) -> None:
    (d / "problem.yaml").write_text("name: [unclosed\n")


BREAKS = {
    "missing_yaml": (_break_missing_yaml, "no problem.yaml"),
    "unknown_scorer": (_break_unknown_scorer, "unknown scorer 'atcoder'"),
    "missing_output": (_break_missing_output, "test '03' has no expected output"),
    "missing_checker": (_break_missing_checker, "checker file 'checker.cpp'"),
    "no_tests": (_break_no_tests, "has no tests"),
    "bad_key": (_break_bad_key, "time_limt"),
    "bad_yaml": (_break_bad_yaml, "not valid YAML"),
}


@pytest.mark.parametrize("defect", sorted(BREAKS))
def test_broken_directories_raise_problem_error(problems_dir, tmp_path, defect) -> None:
    directory = _copy(problems_dir, "twosum", tmp_path)
    breaker, message = BREAKS[defect]
    breaker(directory)
    with pytest.raises(ProblemError, match=message.replace("(", r"\(")):
        load_problem(directory)


def test_subtask_glob_that_matches_nothing(problems_dir, tmp_path) -> None:
    directory = _copy(problems_dir, "stairs", tmp_path)
    y = directory / "problem.yaml"
    y.write_text(y.read_text().replace('tests: ["s1-*"]', 'tests: ["tiny-*"]'))
    with pytest.raises(ProblemError, match="no test matches 'tiny-\\*'"):
        load_problem(directory)


def test_missing_grader_file(problems_dir, tmp_path) -> None:
    directory = _copy(problems_dir, "stairs", tmp_path)
    (directory / "graders" / "stairs.h").unlink()
    with pytest.raises(ProblemError, match=r"grader file 'graders/stairs\.h'"):
        load_problem(directory)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "r1_core.cli", "cp", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("defect", ["missing_yaml", "unknown_scorer", "missing_output", "missing_checker"])
def test_cli_reports_bad_problem_in_one_line_exit_2(problems_dir, tmp_path, defect) -> None:
    directory = _copy(problems_dir, "twosum", tmp_path)
    BREAKS[defect][0](directory)
    proc = _cli("score", "--problem", str(directory), "--solution", str(directory / "solutions" / "full.cpp"))
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and "warning" not in ln]
    assert len(lines) == 1 and lines[0].startswith("error: problem"), proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_missing_solution_and_unknown_language(problems_dir, tmp_path) -> None:
    missing = _cli("score", "--problem", str(problems_dir / "gcd"), "--solution", str(tmp_path / "nope.cpp"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    odd = tmp_path / "sol.rs"
    odd.write_text("fn main() {}")
    unknown = _cli("score", "--problem", str(problems_dir / "gcd"), "--solution", str(odd))
    assert unknown.returncode == 2 and "--language" in unknown.stderr
