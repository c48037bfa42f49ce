"""Test-case code rewards: ``code`` and ``binary_code``, executed through any registered sandbox.

Every (sample × test) execution of a call goes to the sandbox in one batch (the sandbox runs
them in parallel and compiles each distinct source once); the rewards are ``async`` so TRL can
overlap them with other async rewards.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field
from r1_core.api import get_sandbox
from r1_core.errors import DataError, UnknownNameError
from r1_core.protocols import ExecRequest, ExecResult, Sandbox, Verdict

from r1_rewards.code_extract import canonical_language, extract_code
from r1_rewards.completions import answer_region, completion_text, require_column
from r1_rewards.reward_options import RewardConfig, option, parse_config, reward_factory
from r1_rewards.stats import BatchReport

__all__ = ["CodeConfig", "SandboxOptions", "binary_code", "code", "open_sandbox", "output_matches",
           "score_tests"]


# What open-r1's parallel_code_exec_per_proc sets on each provider (a router's is set on its server).
_PARALLEL_KNOB = {"e2b": "max_parallel", "morph": "max_parallel", "local": "max_workers"}
_ROUTER_URLS = {"e2b": "e2b_router_url", "morph": "morph_router_url"}
_RECIPE_KEY = {"provider": "code_provider", "num_parallel": "parallel_code_exec_per_proc"}


class SandboxOptions(RewardConfig):
    """Options of a reward that runs code: which registered sandbox, chosen as open-r1's recipe keys
    chose it. ``derive`` turns them into ``provider`` + ``provider_config``: a router URL for the
    chosen provider means r1's ``router`` sandbox at that URL; a router URL without a provider means
    that provider (open-r1's default ``code_provider`` was e2b); ``num_parallel`` becomes the
    provider's parallelism. An unregistered provider is refused here, before any model loads."""

    provider: str = option("local", aliases=["code_provider"])
    """registered sandbox that runs the code (``local``, ``e2b``, ``morph``, ``router`` ...)."""
    provider_config: dict[str, Any] = Field(default_factory=dict)
    """options of the sandbox provider (``get_sandbox(provider, **provider_config)``)."""
    sandbox: Any = None
    """an open sandbox to use (shares its compile cache), or a provider name like ``provider``."""
    e2b_router_url: str | None = None
    """open-r1's E2B router: the code runs on r1's router at this URL (``r1 sandbox serve --provider
    e2b`` there) when the provider is e2b."""
    morph_router_url: str | None = None
    """likewise for the morph provider."""
    num_parallel: int | None = option(None, aliases=["parallel_code_exec_per_proc"], ge=1)
    """executions in flight per process: e2b/morph ``max_parallel``, local ``max_workers``."""

    @classmethod
    def _chosen(cls, given: dict[str, Any]) -> tuple[str | None, tuple[str, ...]]:
        """(the provider the options name, the options that named it)."""
        if given.get("provider") is not None:
            return str(given["provider"]), ("provider",)
        return None, ()

    @classmethod
    def derive(cls, given: dict[str, Any]) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
        out = dict(given)
        provider, chosen_by = cls._chosen(out)
        urls = {name: out.pop(key, None) for name, key in _ROUTER_URLS.items()}
        parallel = out.pop("num_parallel", None)
        if provider is None and (urls["e2b"] or urls["morph"]):
            provider = "e2b" if urls["e2b"] else "morph"
        provider = provider or cls.model_fields["provider"].default
        derived: dict[str, tuple[str, ...]] = {}
        config: dict[str, Any] = {}
        config_from: tuple[str, ...] = ()
        if urls.get(provider):
            url = str(urls[provider])
            chosen_by = (*chosen_by, _ROUTER_URLS[provider])
            provider, config, config_from = "router", {"urls": [url if "://" in url else f"http://{url}"]}, (
                _ROUTER_URLS[provider],)
        if parallel is not None and provider in _PARALLEL_KNOB:
            config[_PARALLEL_KNOB[provider]] = parallel
            config_from = (*config_from, "num_parallel")
        if out.get("sandbox") is None:
            cls._check_registered(provider, chosen_by)
        if chosen_by:
            out["provider"] = provider
            derived["provider"] = chosen_by
        if config:
            out["provider_config"] = {**config, **(out.get("provider_config") or {})}
            derived["provider_config"] = config_from
        return out, derived

    @staticmethod
    def _check_registered(provider: str, chosen_by: tuple[str, ...]) -> None:
        from r1_core.plugin_host import get_host

        sandboxes = get_host().registry("sandboxes")
        if provider not in sandboxes:
            source = " + ".join(_RECIPE_KEY.get(k, k) for k in chosen_by) or "the default"
            raise UnknownNameError(
                f"sandbox provider {provider!r} ({source}) is not registered",
                f"registered sandboxes: {', '.join(sandboxes.names()) or 'none (pip install r1-sandbox)'}"
                "; open-r1's 'piston' has no r1 counterpart: use local, router (r1 sandbox serve), e2b or "
                "morph")


class CodeConfig(SandboxOptions):
    time_limit_s: float = Field(5.0, gt=0)
    """CPU seconds per test; a test over it fails (the sample keeps its other tests)."""
    memory_limit_mb: int = Field(512, gt=0)
    """memory limit per test."""
    enforce_same_language: bool = False
    """refuse a batch whose rows mix languages."""


def output_matches(actual: str, expected: str) -> bool:
    """Line-by-line equality after stripping each line and dropping trailing blank lines.

    Every line counts: printing only the first expected line of a multi-line answer fails
    (open-r1 zipped the two sides and stopped at the shorter one).
    """
    def lines(text: str) -> list[str]:
        out = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
        while out and not out[-1]:
            out.pop()
        return out

    return lines(actual) == lines(expected)


def _info(value: Any, index: int) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise DataError(f"code reward: verification_info of row {index} is not valid JSON",
                            "store a mapping with 'language' and 'test_cases'") from None
    if not isinstance(value, dict) or not isinstance(value.get("test_cases", []), list):
        raise DataError(f"code reward: verification_info of row {index} must be a mapping with a "
                        "'test_cases' list", "see docs/rewards.md for the row format")
    return value


def open_sandbox(sandbox: Any, provider: str, provider_config: dict[str, Any]) -> Sandbox:
    """``sandbox`` itself when it is one, else the registered provider it (or ``provider``) names."""
    if sandbox is not None and not isinstance(sandbox, str):
        return sandbox
    return get_sandbox(sandbox or provider, **provider_config)


def _sandbox(cfg: CodeConfig, holder: dict[str, Sandbox]) -> Sandbox:
    if "sandbox" not in holder:
        holder["sandbox"] = open_sandbox(cfg.sandbox, cfg.provider, cfg.provider_config)
    return holder["sandbox"]


def score_tests(results: list[ExecResult], tests: list[dict[str, Any]]) -> tuple[float | None, bool]:
    """(fraction of tests passed, whether the sandbox failed). Only verdict and stdout are used:
    nothing the program prints about its own score is trusted."""
    if any(r.verdict == Verdict.SE for r in results):
        return None, True
    passed = sum(1 for r, t in zip(results, tests, strict=True)
                 if r.verdict == Verdict.OK and output_matches(r.stdout, str(t.get("output", ""))))
    return passed / len(tests), False


async def run_code_tests(reward: str, cfg: CodeConfig, holder: dict[str, Sandbox],
                         completions: list[Any], kwargs: dict[str, Any]) -> list[float | None]:
    infos = [_info(v, i) for i, v in
             enumerate(require_column(reward, kwargs, "verification_info", len(completions)))]
    languages = [canonical_language(info.get("language")) for info in infos]
    if cfg.enforce_same_language and len(set(languages)) > 1:
        raise DataError(f"{reward}: rows mix languages {sorted(set(languages))} but "
                        "enforce_same_language is set", "filter the dataset to one language")
    report = BatchReport(reward, kwargs)
    out: list[float | None] = [0.0] * len(completions)
    requests: list[ExecRequest] = []
    owners: list[tuple[int, list[dict[str, Any]], int]] = []  # (sample, tests, first request)
    for i, (c, info, lang) in enumerate(zip(completions, infos, languages, strict=True)):
        tests = [t for t in info.get("test_cases", []) if isinstance(t, dict)]
        if not tests:
            out[i] = None
            report.note("skipped", f"row {i} has no test cases")
            continue
        region = answer_region(completion_text(c))
        source = extract_code(region or "", lang)
        if not source.strip():
            continue  # no program: 0.0 without running anything
        owners.append((i, tests, len(requests)))
        requests.extend(ExecRequest(language=lang, source=source, stdin=str(t.get("input", "")),
                                    time_limit_s=cfg.time_limit_s, memory_limit_mb=cfg.memory_limit_mb,
                                    id=f"{i}:{k}") for k, t in enumerate(tests))
    if requests:
        try:
            results = await _sandbox(cfg, holder).arun(requests)
        except Exception as exc:  # infrastructure, not the model: skip and surface
            if isinstance(exc, DataError):
                raise
            for i, _, _ in owners:
                out[i] = None
                report.note("sandbox_error", f"{type(exc).__name__}: {exc}")
            report.finish(len(out))
            return out
        for i, tests, first in owners:
            score, failed = score_tests(results[first:first + len(tests)], tests)
            out[i] = score
            if failed:
                report.note("sandbox_error", next(r.message for r in results[first:first + len(tests)]
                                                  if r.verdict == Verdict.SE))
    report.finish(len(out))
    return out


@reward_factory(CodeConfig)
def code(**config: Any) -> Any:
    """Build ``code``: the fraction of the row's test cases the completion's program passes.

    The program is the last fenced block in the row's language (``verification_info.language``,
    default python) after ``</think>``. Each test runs it with ``input`` on stdin under
    ``time_limit_s`` CPU seconds and ``memory_limit_mb``; it passes iff the run ends normally
    (verdict OK) and its whole stdout equals ``output`` line by line (each line stripped, trailing
    blank lines ignored). A timeout fails that test only. No program → 0.0; no test cases →
    ``None``; a sandbox failure (SE) → ``None`` for that sample, counted as
    ``code/sandbox_error``. The program never sees the expected output, and the score is computed
    here from verdicts and stdout, never from anything the program prints about itself.
    """
    cfg = parse_config(CodeConfig, "code", config)
    holder: dict[str, Sandbox] = {}

    async def code(completions: list[Any], **kwargs: Any) -> list[float | None]:
        return await run_code_tests("code", cfg, holder, completions, kwargs)

    code.required_columns = ["verification_info"]  # type: ignore[attr-defined]
    return code


@reward_factory(CodeConfig)
def binary_code(**config: Any) -> Any:
    """Build ``binary_code``: 1.0 if ``code`` would score above 0.99 (all tests pass), else 0.0;
    ``None`` stays ``None``. Same options as ``code``."""
    cfg = parse_config(CodeConfig, "binary_code", config)
    holder: dict[str, Sandbox] = {}

    async def binary_code(completions: list[Any], **kwargs: Any) -> list[float | None]:
        scores = await run_code_tests("binary_code", cfg, holder, completions, kwargs)
        return [None if s is None else (1.0 if s > 0.99 else 0.0) for s in scores]

    binary_code.required_columns = ["verification_info"]  # type: ignore[attr-defined]
    return binary_code
