"""Competitive-programming rewards: ``ioi``, ``codeforces`` and ``usaco``, scored by r1-cp.

Each row of the dataset is turned into an ``r1_cp`` problem (``problem_from_row``), the last
code block of the completion is judged by the registered scorer through a sandbox, and all
samples of a call are judged concurrently (the sandbox runs their tests in parallel and compiles
each distinct program once).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field
from r1_core.api import get_scorer
from r1_core.errors import DataError, R1Error
from r1_core.protocols import Sandbox

from r1_rewards.code import SandboxOptions, open_sandbox
from r1_rewards.code_extract import canonical_language, extract_code
from r1_rewards.completions import TRL_KWARGS, answer_region, completion_text
from r1_rewards.reward_options import option, parse_config, reward_factory
from r1_rewards.stats import BatchReport

if TYPE_CHECKING:  # r1_cp loads on first use, not with the plugin
    from r1_cp.results import ScoreResult

__all__ = ["CPConfig", "JudgeConfig", "codeforces", "ioi", "usaco"]


class CPConfig(SandboxOptions):
    """Options of ``usaco``; the sandbox options (``provider`` / ``code_provider``, router URLs,
    ``num_parallel``) are :class:`r1_rewards.code.SandboxOptions`."""

    solution_language: str | None = None
    """solution language; default: the row's ``language`` column, else C++."""
    max_concurrent: int = Field(8, ge=1)
    """samples judged at the same time."""
    test_batch_size: int | None = option(None, aliases=["code_eval_test_batch_size"])
    """IOI: tests per sandbox batch before the early stop (open-r1's ``code_eval_test_batch_size``)."""
    scoring_mode: Literal["pass_fail", "partial", "weighted_sum"] = option(
        "weighted_sum", aliases=["code_eval_scoring_mode"])
    """Codeforces scoring (open-r1's default ``weighted_sum``)."""
    patch_code: bool = True
    """apply r1-cp's code patches (open-r1's IOI fixes) before judging."""


class JudgeConfig(CPConfig):
    """Options of ``ioi`` and ``codeforces``: open-r1 judged both on its IOI provider (Piston), so
    ``ioi_provider``, when set, picks their sandbox instead of ``code_provider``."""

    ioi_provider: str | None = None
    """sandbox of this reward (instead of ``code_provider``); open-r1's ``piston`` has no r1 counterpart."""

    @classmethod
    def _chosen(cls, given: dict[str, Any]) -> tuple[str | None, tuple[str, ...]]:
        ioi_provider = given.pop("ioi_provider", None)
        if ioi_provider is not None:
            return str(ioi_provider), ("ioi_provider",)
        return super()._chosen(given)


def _rows(reward: str, kwargs: dict[str, Any], n: int) -> list[dict[str, Any]]:
    columns = {k: v for k, v in kwargs.items() if k not in TRL_KWARGS and isinstance(v, list | tuple)}
    for name, values in columns.items():
        if len(values) != n:
            raise DataError(f"reward {reward!r}: column {name!r} has {len(values)} values for {n} "
                            "completions", "pass one value per completion")
    return [{k: v[i] for k, v in columns.items()} for i in range(n)]


class _CPReward:
    """Shared machinery; ``kind`` is the r1-cp scorer name and the problem kind of the rows."""

    def __init__(self, kind: str, cfg: CPConfig, scorer_config: dict[str, Any],
                 value: Callable[[ScoreResult], float]) -> None:
        self.kind, self.cfg, self.value = kind, cfg, value
        self.scorer_config = scorer_config
        self._sandbox: Sandbox | None = None
        self._scorer: Any = None

    def _setup(self) -> None:
        if self._sandbox is None:
            self._sandbox = open_sandbox(self.cfg.sandbox, self.cfg.provider, self.cfg.provider_config)
            self._scorer = get_scorer(self.kind, **self.scorer_config)

    def problem(self, row: dict[str, Any], index: int) -> Any:
        from r1_cp import problem_from_row

        try:
            return problem_from_row(row, self.kind)
        except R1Error as exc:
            raise DataError(f"reward {self.kind!r}, row {index}: {exc.message}", exc.hint) from None

    def language(self, row: dict[str, Any]) -> str:
        return canonical_language(self.cfg.solution_language or row.get("language"), "cpp")

    async def __call__(self, completions: list[Any], kwargs: dict[str, Any]) -> list[float | None]:
        self._setup()
        rows = _rows(self.kind, kwargs, len(completions))
        problems = [self.problem(row, i) for i, row in enumerate(rows)]  # data errors raise here
        report = BatchReport(self.kind, kwargs)
        gate = asyncio.Semaphore(self.cfg.max_concurrent)

        from r1_cp.results import TestVerdict

        async def one(i: int) -> float | None:
            lang = self.language(rows[i])
            source = extract_code(answer_region(completion_text(completions[i])) or "", lang)
            if not source.strip():
                return self.no_code_value()
            async with gate:
                try:
                    result = await asyncio.to_thread(self._scorer.score, problems[i], source, lang,
                                                     self._sandbox)
                except R1Error as exc:  # e.g. a Python answer to a problem with a C++ grader
                    report.note("rejected", str(exc))
                    return 0.0
                except Exception as exc:  # the judge itself failed: not the model's fault
                    report.note("error", f"{type(exc).__name__}: {exc}")
                    return None
            if result.system_errors or any(t.verdict == TestVerdict.SE for t in result.tests):
                report.note("sandbox_error", next((t.message for t in result.tests
                                                    if t.verdict == TestVerdict.SE), ""))
                return None
            return self.value(result)

        out = list(await asyncio.gather(*(one(i) for i in range(len(completions)))))
        report.finish(len(out))
        return out

    def no_code_value(self) -> float:
        return -1.0 if self.kind == "codeforces" else 0.0


def _fraction(result: ScoreResult) -> float:
    return round(result.fraction, 6)


def _codeforces_value(result: ScoreResult) -> float:
    from r1_cp.results import TestVerdict

    if any(t.verdict == TestVerdict.CE for t in result.tests):
        return -0.1  # open-r1: a compile error scores -0.1 (no code at all scores -1)
    return result.score


@reward_factory(JudgeConfig)
def ioi(**config: Any) -> Any:
    """Build ``ioi`` (alias ``ioi_code``): the IOI score of the completion's C++ program as a fraction.

    Each row is an open-r1 IOI subtask row (``id``, ``subtask``, ``score``, ``test_names``,
    ``test_cases``, ``grader_files``, ``time_limit``, ``memory_limit`` ...) or any row r1-cp's
    ``problem_from_row`` accepts. Value = total score / max score in [0, 1]; for a one-subtask
    row that is the minimum test score, as in open-r1. No program → 0.0; a sandbox failure →
    ``None`` (counted as ``ioi/sandbox_error``).
    """
    cfg = parse_config(JudgeConfig, "ioi", config)
    scorer_cfg: dict[str, Any] = {"patch_code": cfg.patch_code}
    if cfg.test_batch_size is not None:
        scorer_cfg["test_batch_size"] = cfg.test_batch_size
    impl = _CPReward("ioi", cfg, scorer_cfg, _fraction)

    async def ioi(completions: list[Any], **kwargs: Any) -> list[float | None]:
        return await impl(completions, kwargs)

    return ioi


@reward_factory(JudgeConfig)
def codeforces(**config: Any) -> Any:
    """Build ``codeforces`` (alias ``cf_code``): open-r1's Codeforces reward.

    ``pass_fail`` = 1 if all tests pass else 0; ``partial`` = passed / total; ``weighted_sum``
    (default) = pass_fail + 0.1 × passed / total (max 1.1). No program in the row's
    ``language`` → −1.0; a compile error → −0.1; a sandbox failure → ``None`` (counted).
    """
    cfg = parse_config(JudgeConfig, "codeforces", config)
    impl = _CPReward("codeforces", cfg, {"scoring_mode": cfg.scoring_mode, "patch_code": cfg.patch_code},
                     _codeforces_value)

    async def codeforces(completions: list[Any], **kwargs: Any) -> list[float | None]:
        return await impl(completions, kwargs)

    return codeforces


@reward_factory(CPConfig)
def usaco(**config: Any) -> Any:
    """Build ``usaco``: the fraction of the USACO problem's tests the program passes (stdio or
    file I/O). No program → 0.0; a sandbox failure → ``None`` (counted)."""
    cfg = parse_config(CPConfig, "usaco", config)
    impl = _CPReward("usaco", cfg, {"patch_code": cfg.patch_code}, _fraction)

    async def usaco(completions: list[Any], **kwargs: Any) -> list[float | None]:
        return await impl(completions, kwargs)

    return usaco
