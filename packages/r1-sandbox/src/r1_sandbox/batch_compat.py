"""open-r1's ``POST /execute_batch`` wire format, so its router clients work against r1 unchanged.

open-r1 has two clients of the same endpoint (research: open-r1-inventory §3.4-3.5):
``RoutedSandbox`` (E2B) rebuilds each item's ``execution`` into an E2B ``Execution`` and reads
``execution.text``; ``RoutedMorphSandbox`` reads ``text`` and ``exception_str``. One response item
carries both shapes. Their reward scripts run in a Jupyter kernel and end with a bare expression
(``evaluate_code(...)``) whose value is the reward, so Python sources get notebook semantics: the
value of a trailing expression is written to a side file and returned as ``text``.
"""

from __future__ import annotations

import ast

from pydantic import BaseModel, ConfigDict, Field, model_validator
from r1_core.protocols import ExecRequest, ExecResult, Verdict

__all__ = ["VALUE_FILE", "BatchRequest", "ScriptResult", "to_exec_requests", "to_script_result"]

VALUE_FILE = ".r1_cell_value"
_VALUE_WRITER = (
    "\n(lambda __v: __v is None or open({path!r}, 'w', encoding='utf-8').write(repr(__v)))(__r1_value)\n"
)
_PYTHON = {"python", "python3", "py"}
_MEMORY_MB = 1024  # E2B's and Morph's default sandboxes have ~1 GB; open-r1 scripts assume it


class BatchRequest(BaseModel):
    """open-r1's ``BatchRequest``; ``timeout`` is the per-script budget in seconds."""

    model_config = ConfigDict(extra="ignore")

    scripts: list[str]
    languages: list[str] | None = Field(None, description="one per script; default python")
    timeout: float = Field(300, gt=0, le=86_400)
    request_timeout: float = Field(30, gt=0, description="accepted for compatibility; unused")

    @model_validator(mode="after")
    def _same_length(self) -> BatchRequest:
        if self.languages is not None and len(self.languages) != len(self.scripts):
            raise ValueError(f"languages has {len(self.languages)} items, scripts has {len(self.scripts)}")
        return self


class ScriptResult(BaseModel):
    """One item of the response: the E2B ``execution`` shape plus Morph's ``text``."""

    execution: dict[str, object] | None
    text: str | None
    exception_str: str | None
    verdict: Verdict


def _with_cell_value(source: str) -> tuple[str, bool]:
    """Rewrite a trailing expression statement so its repr lands in :data:`VALUE_FILE`."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return source, False
    last = tree.body[-1] if tree.body else None
    # col_offset 0: the expression owns its line (not `a = 1; f()`), so it can be cut out whole
    if not isinstance(last, ast.Expr) or last.col_offset != 0:
        return source, False
    expr = ast.get_source_segment(source, last)
    if expr is None:
        return source, False
    lines = source.splitlines(keepends=True)
    head, tail = "".join(lines[: last.lineno - 1]), "".join(lines[last.end_lineno or last.lineno:])
    return f"{head}__r1_value = (\n{expr}\n)\n{_VALUE_WRITER.format(path=VALUE_FILE)}{tail}", True


def to_exec_requests(batch: BatchRequest) -> list[ExecRequest]:
    languages = batch.languages or ["python"] * len(batch.scripts)
    requests = []
    for i, (script, language) in enumerate(zip(batch.scripts, languages, strict=True)):
        lang = language.lower()
        source, reads = _with_cell_value(script) if lang in _PYTHON else (script, False)
        requests.append(ExecRequest(
            language="python" if lang in _PYTHON else lang, source=source, id=str(i),
            time_limit_s=batch.timeout, wall_limit_s=batch.timeout + 1, memory_limit_mb=_MEMORY_MB,
            read_files=[VALUE_FILE] if reads else [],
        ))
    return requests


def _error_parts(result: ExecResult) -> tuple[str, str, str]:
    """(name, value, traceback) in the style of a Jupyter error, from the program's stderr."""
    tail = [line for line in result.stderr.strip().splitlines() if line.strip()]
    last = tail[-1] if tail else ""
    name, sep, value = last.partition(":")
    if sep and name.replace(".", "").replace("_", "").isalnum():
        return name.strip(), value.strip(), result.stderr
    return str(result.verdict), result.message or last or f"exit code {result.exit_code}", result.stderr


def to_script_result(result: ExecResult) -> ScriptResult:
    if result.verdict == Verdict.SE:
        return ScriptResult(execution=None, text=None, exception_str=result.message or "sandbox error",
                            verdict=result.verdict)
    value = result.files.get(VALUE_FILE)
    error = None
    if result.verdict != Verdict.OK:
        name, err_value, traceback = _error_parts(result)
        error = {"name": name, "value": err_value, "traceback": traceback}
    execution = {
        "results": [{"text": value, "is_main_result": True}] if value is not None else [],
        "logs": {"stdout": [result.stdout] if result.stdout else [],
                 "stderr": [result.stderr] if result.stderr else []},
        "error": error,
        "execution_count": 1,
    }
    text = value if value is not None else result.stdout
    exception_str = None if error is None else f"{error['name']}: {error['value']}"
    return ScriptResult(execution=execution, text=text, exception_str=exception_str, verdict=result.verdict)
