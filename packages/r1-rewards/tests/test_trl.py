"""The rewards inside a real TRL GRPOTrainer step: sync math (worker processes), async code (on
TRL's event-loop thread), logged as rewards/<name>."""

from __future__ import annotations

import pytest


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_one_grpo_step_with_math_format_and_code_rewards(tmp_path, stats):
    datasets = pytest.importorskip("datasets")
    trl = pytest.importorskip("trl")
    from r1_core import get_reward
    from r1_core.tinymodel import build_tiny_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = build_tiny_model(tmp_path / "tiny")
    info = {"language": "python", "test_cases": [{"input": "", "output": "1"}]}
    rows = [{"prompt": "What is 1+1?", "solution": "$2$", "verification_info": info}] * 4
    args = trl.GRPOConfig(output_dir=str(tmp_path / "run"), use_cpu=True, bf16=False, max_steps=1,
                          per_device_train_batch_size=4, num_generations=2, max_completion_length=8,
                          report_to=[], logging_steps=1, save_strategy="no")
    trainer = trl.GRPOTrainer(
        model=AutoModelForCausalLM.from_pretrained(path),
        processing_class=AutoTokenizer.from_pretrained(path),
        reward_funcs=[get_reward("accuracy"), get_reward("format"), get_reward("code")], args=args,
        train_dataset=datasets.Dataset.from_list(rows))
    trainer.train()
    logged = next(h for h in trainer.state.log_history if "rewards/accuracy/mean" in h)
    # a random tiny model writes no code fence: a real 0.0, not NaN (None) and not an error
    assert logged["rewards/code/mean"] == 0.0
    for name in ("accuracy", "format"):
        assert 0.0 <= logged[f"rewards/{name}/mean"] <= 1.0  # NaN fails this
    assert stats.snapshot() == {}  # no verifier error, timeout or sandbox failure
