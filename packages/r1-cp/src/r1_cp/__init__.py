"""r1 competitive programming: an offline judge for IOI, Codeforces and USACO problems.

Library API::

    from r1_cp import load_problem, score_submission, bundled_problems
    result = score_submission(load_problem(bundled_problems("ioi")[0]), source, "cpp")
"""

from r1_cp.dataset import WARMUP, build_prompt, bundled_problems, dataset_rows, warmup_problems
from r1_cp.errors import ProblemError
from r1_cp.problem import Checker, Problem, Subtask, TestCase, load_problem
from r1_cp.results import ScoreResult, SubtaskResult, TestResult, TestVerdict
from r1_cp.rows import problem_from_row, problem_to_row, problem_to_rows
from r1_cp.submission import extract_code, score_submission

__version__ = "0.1.0"

__all__ = [
    "WARMUP",
    "Checker",
    "Problem",
    "ProblemError",
    "ScoreResult",
    "Subtask",
    "SubtaskResult",
    "TestCase",
    "TestResult",
    "TestVerdict",
    "__version__",
    "build_prompt",
    "bundled_problems",
    "dataset_rows",
    "extract_code",
    "load_problem",
    "problem_from_row",
    "problem_to_row",
    "problem_to_rows",
    "score_submission",
    "warmup_problems",
]
