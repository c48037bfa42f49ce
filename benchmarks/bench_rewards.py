"""accuracy reward vs open-r1's sequential parse+verify loop, on generated math items.

Items: unique (gold, completion) pairs over integers, fractions, radicals and sets, answered in
the same form, an equivalent form, or wrongly. Baseline: open-r1's ``accuracy_reward`` loop
(parse gold, parse answer, verify) in this process. r1: ``get_reward("accuracy")`` (exact fast
path for simple answers, math-verify in worker processes — one per core — for the rest, and a
content-addressed cache), called in TRL-sized batches, first with an empty cache (cold) and then
again on the same items (warm). A last row switches the fast path off to show what the worker
pool alone gives (it needs idle cores). Worker start-up is done before timing (a training run
pays it once) and reported separately.
"""

from __future__ import annotations

import os
import random
import sys
import time
from math import gcd

N_ITEMS = int(os.environ.get("BENCH_MATH_ITEMS", "1000"))
BATCH = 128


def _items(n: int, seed: int = 0) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out: dict[tuple[str, str], None] = {}
    lead = ["The answer is ", "Therefore ", "So we get ", "Hence the result is ", ""]

    def say(ans: str) -> str:
        return f"Let me work through it step by step. {rng.choice(lead)}$\\boxed{{{ans}}}$."

    while len(out) < n:
        # mode: same form / equivalent form / wrong; styled answers (half) need the full parser
        kind, mode, styled = rng.randrange(4), rng.randrange(3), rng.random() < 0.5
        if kind == 0:
            v = rng.randint(-5000, 5000)
            gold = f"${v}$"
            w = v + rng.randint(1, 9)
            ans = ([f"{v}", f"({v}+1)-1", f"({w}+1)-1"] if styled else
                   [str(v), f"\\frac{{{2 * v}}}{{2}}", str(w)])[mode]
        elif kind == 1:
            b = rng.randint(2, 60)
            a = rng.randint(1, 200)
            g = gcd(a, b)
            a, b = a // g, b // g
            if b == 1:
                continue
            k = rng.randint(2, 9)
            gold = f"$\\frac{{{a}}}{{{b}}}$"
            ans = ([f"{a}/{b}", f"{k * a}/{k * b}", f"{a + 1}/{b}"] if styled else
                   [f"\\frac{{{a}}}{{{b}}}", f"\\frac{{{k * a}}}{{{k * b}}}",
                    f"\\frac{{{a + 1}}}{{{b}}}"])[mode]
        elif kind == 2:
            m = rng.choice([2, 3, 5, 6, 7, 10, 11, 13, 14, 15])
            c = rng.randint(2, 30)
            gold = f"${c}\\sqrt{{{m}}}$"
            ans = ([f"\\sqrt{{{m}}} \\cdot {c}", f"\\frac{{{2 * c}\\sqrt{{{m}}}}}{{2}}",
                    f"\\sqrt{{{m}}} \\cdot {c + 1}"] if styled else
                   [f"{c}\\sqrt{{{m}}}", f"\\sqrt{{{c * c * m}}}", f"{c + 1}\\sqrt{{{m}}}"])[mode]
        else:
            vals = rng.sample(range(-40, 60), rng.randint(2, 5))
            gold = "$\\{" + ",".join(map(str, vals)) + "\\}$"
            shuffled = rng.sample(vals, len(vals))
            wrong = [*vals[:-1], vals[-1] + 100]
            body = ",".join(map(str, [vals, shuffled, wrong][mode]))
            ans = f"\\left\\{{{body}\\right\\}}" if styled else f"\\{{{body}\\}}"
        out[(gold, say(ans))] = None
    return list(out)


def _open_r1_loop(items: list[tuple[str, str]]) -> list[float | None]:
    from latex2sympy2_extended import NormalizationConfig
    from math_verify import LatexExtractionConfig, parse, verify

    answer_cfg = [LatexExtractionConfig(
        normalization_config=NormalizationConfig(nits=False, malformed_operators=False, basic_latex=True,
                                                 boxed="all", units=True),
        boxed_match_priority=0, try_extract_without_anchor=False)]
    out: list[float | None] = []
    for gold, completion in items:
        gold_parsed = parse(gold, extraction_mode="first_match")
        if not gold_parsed:
            out.append(None)
            continue
        answer = parse(completion, extraction_config=answer_cfg, extraction_mode="first_match")
        try:
            out.append(float(verify(gold_parsed, answer)))
        except Exception:
            out.append(None)
    return out


def _score(fn, items: list[tuple[str, str]]) -> list[float | None]:
    out: list[float | None] = []
    for i in range(0, len(items), BATCH):
        chunk = items[i:i + BATCH]
        out.extend(fn(completions=[c for _, c in chunk], solution=[g for g, _ in chunk]))
    return out


def main() -> None:
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    from r1_core import get_reward
    from r1_rewards.accuracy import AccuracyConfig, shared_verifier
    from r1_rewards.math.pool import default_pool
    from r1_rewards.math.verifier import MathVerifier

    items = _items(N_ITEMS)
    n = len(items)
    warm_up = [("$1$", r"\boxed{1}"), ("$\\frac{1}{3}$", r"\boxed{\frac{2}{6}}"),
               ("$\\{1,2\\}$", r"\boxed{\{2,1\}}")]
    _open_r1_loop(warm_up)  # lazy imports and grammar set-up, for both sides
    t = time.perf_counter()
    pool = default_pool()
    pool.start()
    reward = get_reward("accuracy")
    _score(reward, warm_up)
    startup = time.perf_counter() - t

    t = time.perf_counter()
    base = _open_r1_loop(items)
    t_base = time.perf_counter() - t
    t = time.perf_counter()
    cold = _score(reward, items)
    t_cold = time.perf_counter() - t
    t = time.perf_counter()
    warm = _score(reward, items)
    t_warm = time.perf_counter() - t
    fast = shared_verifier(AccuracyConfig().timeout_s).fast_hits
    workers_only = MathVerifier(fast_path=False)  # its own, empty cache
    t = time.perf_counter()
    slow = []
    for i in range(0, n, BATCH):
        chunk = items[i:i + BATCH]
        slow.extend(workers_only.check([g for g, _ in chunk], [c for _, c in chunk]))
    t_slow = time.perf_counter() - t

    agree = sum(a == b for a, b in zip(base, cold, strict=True)) / n
    agree_slow = sum(a == b for a, b in zip(base, slow, strict=True)) / n
    assert cold == warm, "cached results differ from computed ones"
    print("## rewards: accuracy (math-verify) throughput\n")
    print(f"{n} unique items (integers, fractions, radicals, sets; same form / equivalent form / wrong), "
          f"batches of {BATCH}, {os.cpu_count()} cores, {pool.size} verifier workers "
          f"(started in {startup:.2f} s before timing, once per run).\n")
    print("| scorer | seconds | items/s | speed-up |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| open-r1 loop (parse+verify, one process) | {t_base:.2f} | {n / t_base:.0f} | 1.00× |")
    print(f"| r1 `accuracy`, cold cache | {t_cold:.2f} | {n / t_cold:.0f} | {t_base / t_cold:.2f}× |")
    print(f"| r1 `accuracy`, warm cache (same items) | {t_warm:.3f} | {n / t_warm:.0f} | "
          f"{t_base / t_warm:.0f}× |")
    print(f"| r1 worker pool only (answer fast path off), cold | {t_slow:.2f} | {n / t_slow:.0f} | "
          f"{t_base / t_slow:.2f}× |")
    same = sum(a == b for a, b in zip(base, cold, strict=True))
    print(f"\nAgreement with the open-r1 loop: {agree:.1%} ({same}"
          f"/{n}); pool only: {agree_slow:.1%}. Correct answers: {sum(v == 1.0 for v in cold)}; "
          f"decided by the exact fast path (numbers, fractions, radicals, sets): {fast}/{n}, the rest "
          "by math-verify in the workers.")
    print(f"Targets: cold ≥ 1.7× ({'met' if t_base / t_cold >= 1.7 else 'NOT met'}), "
          f"warm ≥ 10× ({'met' if t_base / t_warm >= 10 else 'NOT met'}), agreement ≥ 99% "
          f"({'met' if agree >= 0.99 else 'NOT met'}).")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
