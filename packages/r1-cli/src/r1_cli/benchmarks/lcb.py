"""LiveCodeBench code generation, judged by running the tests in a registered sandbox.

Rows follow ``livecodebench/code_generation_lite``: ``public_test_cases`` is a JSON list of
``{input, output, testtype}``; ``private_test_cases`` is the same list either as JSON or, as on
the Hub, base64(zlib(pickle(json-string))). ``testtype`` is ``stdin`` (a program reading stdin)
or ``functional`` (a LeetCode-style ``Solution`` method; ``metadata.func_name`` names it, each
input line is one JSON argument).
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import math
import pickle
import re
import zlib
from typing import Any, ClassVar

from r1_core.api import get_sandbox
from r1_core.errors import DataError
from r1_core.protocols import ExecRequest, ExecResult, Sandbox, Verdict

from r1_cli.benchmarks.base import HubBenchmark
from r1_cli.benchmarks.source import HubSource

__all__ = ["LiveCodeBench", "decode_tests", "extract_code"]

# code_generation_lite ships one JSONL file per release window; lighteval's default is v4_v5.
RELEASE_FILES = {
    "v1": ("test.jsonl",), "v2": ("test2.jsonl",), "v3": ("test3.jsonl",),
    "v4": ("test4.jsonl",), "v5": ("test5.jsonl",), "v6": ("test6.jsonl",),
    "v4_v5": ("test4.jsonl", "test5.jsonl"),
    "release_v1": ("test.jsonl",),
    "release_v2": ("test.jsonl", "test2.jsonl"),
    "release_v3": ("test.jsonl", "test2.jsonl", "test3.jsonl"),
    "release_v4": ("test.jsonl", "test2.jsonl", "test3.jsonl", "test4.jsonl"),
    "release_v5": ("test.jsonl", "test2.jsonl", "test3.jsonl", "test4.jsonl", "test5.jsonl"),
}

LCB_PROMPT = (
    "You will be given a programming problem. Think it through, then write a correct and "
    "efficient Python 3 solution in a single ```python code block at the end of your response."
    "\n\n{problem}\n\n{format}"
)
STDIN_FORMAT = "Read the input from standard input and write the answer to standard output."
FUNCTIONAL_FORMAT = ("Complete this starter code and return the answer from the method:\n"
                     "```python\n{starter}\n```")

_FENCE = re.compile(r"```[ \t]*(?:python3?|py)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)

_HARNESS = """
import json as _r1_json, sys as _r1_sys
_r1_args = [_r1_json.loads(_l) for _l in _r1_sys.stdin.read().split("\\n") if _l.strip()]
print(_r1_json.dumps(Solution().{func}(*_r1_args)))
"""
_PRELUDE = ("from typing import *\nfrom collections import *\nfrom itertools import *\n"
            "from functools import *\nimport math, heapq, bisect, string, re\n")


def _day(value: str | None, option: str) -> datetime.date | None:
    """A window end: ``YYYY-MM-DD`` (a full ISO timestamp is cut to its day)."""
    if value is None or value == "":
        return None
    try:
        return datetime.datetime.fromisoformat(str(value)).date()
    except ValueError:
        raise DataError(f"lcb: {option} {value!r} is not a date",
                        f"write it as YYYY-MM-DD, e.g. {option}=2024-08-01") from None


def extract_code(completion: str) -> str | None:
    """The last fenced code block of a completion (LiveCodeBench takes the last one too)."""
    blocks = _FENCE.findall(completion)
    return blocks[-1] if blocks else None


class _NoGlobals(pickle.Unpickler):
    """The Hub's encoded tests are a pickled *string*; refusing every global makes loading safe."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}")


def decode_tests(value: Any) -> list[dict[str, Any]]:
    """Test cases from a JSON string, a list, or the Hub's base64/zlib/pickle encoding."""
    if isinstance(value, list):
        return value
    text = str(value or "").strip()
    if not text:
        return []
    if text.startswith("["):
        return json.loads(text)
    try:
        raw = zlib.decompress(base64.b64decode(text))
        decoded = _NoGlobals(io.BytesIO(raw)).load()
        return json.loads(decoded) if isinstance(decoded, str) else list(decoded)
    except Exception as exc:
        raise DataError(f"cannot decode LiveCodeBench test cases: {exc}",
                        "expected JSON or base64(zlib(pickle(json)))") from None


def _lines(text: str) -> list[str]:
    lines = [line.strip() for line in text.strip().splitlines()]
    return lines


def _tokens_equal(got: str, want: str) -> bool:
    a, b = got.split(), want.split()
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x == y:
            continue
        try:
            if not math.isclose(float(x), float(y), rel_tol=1e-6, abs_tol=1e-6):
                return False
        except ValueError:
            return False
    return True


def outputs_match(got: str, want: str, testtype: str) -> bool:
    if testtype == "functional":
        try:
            return json.loads(got.strip()) == json.loads(want.strip())
        except ValueError:
            return False
    return _lines(got) == _lines(want) or _tokens_equal(got, want)


class LiveCodeBench(HubBenchmark):
    """LiveCodeBench code generation (``livecodebench/code_generation_lite``).

    A completion scores 1.0 when its last code block passes every public and private test.
    Sandbox failures (verdict ``SE``) are counted in the details, never blamed on the model
    silently.
    """

    name = "lcb"
    text_column: ClassVar[str] = "question_content"
    prompt_template: ClassVar[str] = LCB_PROMPT

    def __init__(self, version: str = "v4_v5", sandbox: str = "local", time_limit_s: float = 6.0,
                 memory_limit_mb: int = 1024, revision: str | None = None,
                 start_date: str | None = None, end_date: str | None = None) -> None:
        if version not in RELEASE_FILES:
            raise DataError(f"unknown LiveCodeBench version {version!r}",
                            f"one of: {', '.join(RELEASE_FILES)}")
        # LiveCodeBench's point: evaluate on problems published after a model's training cutoff
        self.start_date, self.end_date = _day(start_date, "start_date"), _day(end_date, "end_date")
        if self.start_date and self.end_date and self.start_date > self.end_date:
            raise DataError(f"lcb: start_date {start_date} is after end_date {end_date}",
                            "swap them or widen the window")
        self.source = HubSource("livecodebench/code_generation_lite", split="test", sample="lcb.jsonl",
                                data_files=RELEASE_FILES[version])
        super().__init__(revision)
        self.version = version
        self.sandbox_name = sandbox
        self.time_limit_s = time_limit_s
        self.memory_limit_mb = memory_limit_mb
        self._sandbox: Sandbox | None = None

    def load(self, *, limit: int | None = None, offline: bool | None = None) -> list[dict[str, Any]]:
        """The release's rows, only those whose ``contest_date`` falls in the date window (both ends
        included) when one is set; ``limit`` applies after the window."""
        if self.start_date is None and self.end_date is None:
            return super().load(limit=limit, offline=offline)
        if limit is not None and limit < 1:
            raise DataError(f"--limit must be at least 1 (got {limit})", "pass a positive number")
        rows = [row for row in super().load(offline=offline) if self._in_window(row)]
        self.provenance["date_window"] = [str(d) if d else None for d in (self.start_date, self.end_date)]
        self.provenance["rows_in_window"] = len(rows)
        return rows[:limit] if limit is not None else rows

    def _in_window(self, row: dict[str, Any]) -> bool:
        raw = row.get("contest_date")
        try:
            day = datetime.datetime.fromisoformat(str(raw)).date()
        except ValueError:
            raise DataError(f"lcb problem {row.get('question_id')!r} has no usable contest_date ({raw!r})",
                            "a date window needs every row dated; drop start_date/end_date") from None
        return (self.start_date is None or day >= self.start_date) and (
            self.end_date is None or day <= self.end_date)

    def prompt(self, row: dict[str, Any]) -> str:
        starter = str(row.get("starter_code") or "").strip()
        fmt = FUNCTIONAL_FORMAT.format(starter=starter) if starter else STDIN_FORMAT
        return self.prompt_template.format(problem=str(row[self.text_column]).strip(), format=fmt)

    def tests(self, row: dict[str, Any]) -> list[dict[str, Any]]:
        tests = decode_tests(row.get("public_test_cases")) + decode_tests(row.get("private_test_cases"))
        if not tests:
            raise DataError(f"LiveCodeBench problem {row.get('question_id')!r} has no test cases",
                            "check the dataset rows")
        return tests

    def _func_name(self, row: dict[str, Any]) -> str:
        meta = row.get("metadata") or "{}"
        meta = json.loads(meta) if isinstance(meta, str) else meta
        name = meta.get("func_name")
        if not name:
            raise DataError(f"functional problem {row.get('question_id')!r} has no metadata.func_name",
                            "check the dataset rows")
        return str(name)

    def requests(self, row: dict[str, Any], code: str) -> list[ExecRequest]:
        reqs = []
        for i, test in enumerate(self.tests(row)):
            source = code
            if test.get("testtype") == "functional":
                source = _PRELUDE + code + _HARNESS.format(func=self._func_name(row))
            reqs.append(ExecRequest(language="python", source=source, stdin=str(test["input"]),
                                    time_limit_s=self.time_limit_s, memory_limit_mb=self.memory_limit_mb,
                                    id=str(i)))
        return reqs

    def _judge(self, row: dict[str, Any], results: list[ExecResult]) -> list[str]:
        verdicts = []
        for test, res in zip(self.tests(row), results, strict=True):
            if res.verdict != Verdict.OK:
                verdicts.append(str(res.verdict))
            elif outputs_match(res.stdout, str(test["output"]), str(test.get("testtype", "stdin"))):
                verdicts.append("AC")
            else:
                verdicts.append("WA")
        return verdicts

    def score_details(self, row: dict[str, Any], completions: list[str]) -> list[dict[str, Any]]:
        """Per completion: ``score``, per-test ``verdicts`` and ``system_errors``."""
        if self._sandbox is None:
            self._sandbox = get_sandbox(self.sandbox_name)
        codes = [extract_code(c) for c in completions]
        batch: list[ExecRequest] = []
        spans: list[tuple[int, int]] = []
        for code in codes:
            start = len(batch)
            if code is not None:
                batch.extend(self.requests(row, code))
            spans.append((start, len(batch)))
        results = self._sandbox.run(batch) if batch else []
        details = []
        for code, (lo, hi) in zip(codes, spans, strict=True):
            if code is None:
                details.append({"score": 0.0, "verdicts": [], "system_errors": 0, "note": "no code block"})
                continue
            verdicts = self._judge(row, results[lo:hi])
            details.append({"score": float(all(v == "AC" for v in verdicts)), "verdicts": verdicts,
                            "system_errors": verdicts.count("SE")})
        return details

    def score(self, row: dict[str, Any], completions: list[str]) -> list[float]:
        return [d["score"] for d in self.score_details(row, completions)]
