"""Shared helpers of the training tests: the tiny model, test rewards, running `r1` as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REWARDS = textwrap.dedent('''
    """Rewards for the training tests (loaded with --reward r1_test_rewards:NAME)."""
    import time


    def _text(c):
        return c[-1]["content"] if isinstance(c, list) else c


    def digits(completions, **kwargs):
        """Fraction of digit characters: a random tiny model learns this within a few steps."""
        return [sum(ch.isdigit() for ch in _text(c)) / max(1, len(_text(c))) for c in completions]


    def slow_digits(completions, **kwargs):
        time.sleep(0.3)
        return digits(completions)


    def needs_gold(completions, gold, **kwargs):
        return [0.0 for _ in completions]
''')


def env_for(tmp: Path) -> dict[str, str]:
    rewards_dir = tmp / "pyrewards"
    rewards_dir.mkdir(exist_ok=True)
    (rewards_dir / "r1_test_rewards.py").write_text(REWARDS)
    env = dict(os.environ)
    env.update(PYTHONPATH=f"{rewards_dir}{os.pathsep}{env.get('PYTHONPATH', '')}", OMP_NUM_THREADS="1",
               HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
               TMPDIR=str(tmp), TORCH_EXTENSIONS_DIR=str(tmp / "torch_ext"),
               R1_CACHE_DIR=os.environ.get("R1_CACHE_DIR", str(Path.home() / ".cache" / "r1")))
    return env


def r1_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "r1_core.cli", *args]


def run_r1(tmp: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(r1_cmd(*args), cwd=tmp, env=env_for(tmp), capture_output=True, text=True,
                          timeout=timeout)


def metrics(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def tiny_flags(**overrides: object) -> list[str]:
    """Tiny-model GRPO flags: full fine-tune, short completions, no checkpoint unless asked."""
    flags = {"use_peft": "false", "num_generations": 4, "max_completion_length": 16, "learning_rate": "3e-2",
             "save_steps": 1000, **overrides}
    return [x for k, v in flags.items() for x in (f"--{k.replace('_', '-')}", str(v))]
