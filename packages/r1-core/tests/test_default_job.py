"""The embedded IOI job's pieces fit together: defaults, prompts, completion length, data, cold start.

`make run` (`r1 train grpo --reward ioi`) only learns when the pieces agree: the prompt states the
function to write, a reference answer fits in the default completion length, the training set is
disjoint from what is evaluated, and the cold-started model is built once and then reused. These
checks use the tiny random model, so they run in seconds; `benchmarks/bench_train.py` runs the
real job.
"""

from __future__ import annotations

import os
import types
from pathlib import Path

import pytest
from r1_core.tinymodel import build_tiny_model
from r1_core.training import coldstart
from r1_core.training.coldstart import cold_start_dataset, cold_start_model
from r1_core.training.data import load_dataset_named
from r1_core.training.options import GRPOOptions
from r1_core.training.rewards import default_dataset_for
from r1_core.training.session import CPU_DEFAULTS, CPU_PROMPTS_PER_STEP, Session, _apply_machine_defaults

pytest.importorskip("r1_cp")

COLD_START_DATA = "bundled:ioi-cold-start"  # named by r1-cp's registration of ioi-warmup


def _cpu_defaults(**given: object) -> GRPOOptions:
    opts = GRPOOptions.model_validate({"reward_funcs": ["ioi"], **given})
    session = Session(kind="grpo", opts=opts, run=None, resume_from=None, on_gpu=False)  # type: ignore[arg-type]
    _apply_machine_defaults(session)
    return session.opts


def test_cpu_defaults_train_several_prompts_per_step_on_all_linear_layers():
    o = _cpu_defaults()
    assert o.num_generations == CPU_DEFAULTS["grpo"]["num_generations"] >= 4
    # several prompts per optimizer step, all groups in one micro-batch (the loss forward shares
    # each prompt within its group, training/shared_prompt.py)
    assert o.per_device_train_batch_size == o.num_generations * CPU_PROMPTS_PER_STEP
    assert CPU_PROMPTS_PER_STEP >= 4 and o.gradient_accumulation_steps == 1
    assert o.max_steps == CPU_DEFAULTS["grpo"]["max_steps"] and o.use_peft is True
    assert o.learning_rate is not None and o.learning_rate >= 1e-4
    # flags still win, and the batch follows --num-generations
    assert _cpu_defaults(num_generations=2).per_device_train_batch_size == 2 * CPU_PROMPTS_PER_STEP
    assert _cpu_defaults(gradient_accumulation_steps=4).per_device_train_batch_size == 4  # one group each
    assert _cpu_defaults(per_device_train_batch_size=6).per_device_train_batch_size == 6
    assert _cpu_defaults(gradient_accumulation_steps=1).gradient_accumulation_steps == 1


def test_lora_covers_every_linear_layer_of_the_upper_half_on_cpu(tmp_path):
    from r1_core.training.model import load_model, lora_config

    model = load_model(str(build_tiny_model(tmp_path / "tiny")), _cpu_defaults(), "float32")
    cpu = lora_config(_cpu_defaults(), model, on_gpu=False)
    assert set(cpu.target_modules) == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                       "down_proj"}  # all-linear, spelled out (the head stays frozen)
    layers = model.config.num_hidden_layers
    assert cpu.layers_to_transform == list(range(layers // 2, layers))
    assert lora_config(_cpu_defaults(), model, on_gpu=True).target_modules == "all-linear"
    chosen = _cpu_defaults(lora_target_modules=["q_proj"])
    assert lora_config(chosen, model, on_gpu=False).layers_to_transform is None


def test_prompts_name_the_function_and_a_reference_answer_fits_the_completion_length(tmp_path):
    from transformers import AutoTokenizer

    data = default_dataset_for(["ioi"])
    assert data == "bundled:ioi-warmup"
    rows = list(load_dataset_named(data))
    tok = AutoTokenizer.from_pretrained(build_tiny_model(tmp_path / "tiny"))
    limit = _cpu_defaults().max_completion_length
    for row in rows:
        assert f"def {row['id']}(" in row["prompt"] and "one ```python code block" in row["prompt"]
        # the tiny byte-level tokenizer splits code finer than SmolLM2's, so this bound is conservative
        assert len(tok(row["reference_solution"]).input_ids) <= limit, row["id"]
    demos = {r["id"] for r in load_dataset_named(COLD_START_DATA)}
    held_out = {r["id"] for r in load_dataset_named("bundled:ioi-held-out")}
    evaluated = {r["id"] for r in load_dataset_named("bundled:ioi")}
    trained = {r["id"] for r in rows}
    assert not trained & demos and not trained & held_out and not trained & evaluated and not demos & held_out


def test_only_the_embedded_ioi_job_cold_starts_by_default(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    ioi = {"reward_funcs": ["ioi"]}
    assert cold_start_dataset(GRPOOptions.model_validate(ioi)) == COLD_START_DATA
    assert cold_start_dataset(GRPOOptions.model_validate({**ioi, "model": "some/model"})) is None
    assert cold_start_dataset(GRPOOptions.model_validate({**ioi, "dataset": "data.jsonl"})) is None
    assert cold_start_dataset(GRPOOptions.model_validate({"reward_funcs": ["my.mod:short"]})) is None
    assert cold_start_dataset(GRPOOptions.model_validate({**ioi, "cold_start": "none"})) is None
    assert cold_start_dataset(GRPOOptions.model_validate({"reward_funcs": ["x:y"],
                                                          "cold_start": "demos.jsonl"})) == "demos.jsonl"
    monkeypatch.setenv("WORLD_SIZE", "2")
    assert cold_start_dataset(GRPOOptions.model_validate(ioi)) is None


def test_the_cold_start_is_built_once_and_rebuilt_when_its_inputs_change(tmp_path, monkeypatch):
    monkeypatch.setenv("R1_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setitem(coldstart.SFT_SETTINGS, "max_steps", 2)
    base = str(build_tiny_model(tmp_path / "tiny"))
    opts = GRPOOptions.model_validate({"reward_funcs": ["ioi"], "dtype": "float32"})
    said: list[str] = []
    first = cold_start_model(base, COLD_START_DATA, opts, False, said.append)
    assert "SFT on 8 demonstrations" in said[-1]
    made = Path(first)
    assert (made / "model.safetensors").is_file() and (made / "tokenizer.json").is_file()
    assert (made / coldstart.MARKER).is_file() and not (made / "adapter_config.json").exists()
    stamp = os.stat(made / "model.safetensors").st_mtime_ns
    assert cold_start_model(base, COLD_START_DATA, opts, False, said.append) == first
    assert "cached" in said[-1] and os.stat(made / "model.safetensors").st_mtime_ns == stamp
    with_system = opts.model_copy(update={"system_prompt": "Be brief."})
    other = cold_start_model(base, COLD_START_DATA, with_system, False, said.append)
    assert other != first and "SFT on" in said[-1]


def test_a_cold_start_dataset_without_answers_is_a_one_line_error(tmp_path):
    from r1_core.errors import DataError

    data = tmp_path / "demos.jsonl"
    data.write_text('{"prompt": "hi", "other": 1}\n')
    with pytest.raises(DataError, match="needs a prompt and an answer column"):
        coldstart.demonstrations(str(data))


def test_a_busy_cpu_gets_fewer_torch_threads_unless_the_user_chose(monkeypatch):
    import torch
    from r1_core.training import session as sess

    before = torch.get_num_threads()
    said: list[str] = []
    s = types.SimpleNamespace(on_gpu=False, say=said.append)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.setattr(sess, "busy_cores", lambda: (64.0, "load average 64.0"))
    monkeypatch.setattr(sess.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    try:
        torch.set_num_threads(2)
        monkeypatch.setenv("OMP_NUM_THREADS", "2")
        sess._cpu_threads(s)
        assert torch.get_num_threads() == 2 and not said
        monkeypatch.delenv("OMP_NUM_THREADS")
        sess._cpu_threads(s)
        assert torch.get_num_threads() == 1 and "load average 64.0" in said[-1]
        monkeypatch.setattr(sess, "busy_cores", lambda: (0.1, "5% of the CPUs busy"))
        torch.set_num_threads(2)
        sess._cpu_threads(s)  # an idle machine keeps every thread
        assert torch.get_num_threads() == 2 and len(said) == 1
    finally:
        torch.set_num_threads(before)


def test_busy_cores_measure_now_not_the_last_minute(monkeypatch):
    """make run's evaluation just before training left a load average of 1.6 on an idle 2-core box,
    and the run got 1 thread (55 s steps instead of 35): what counts is the CPU time used now."""
    from r1_core.training import session as sess

    samples = iter([(100.0, 1000.0), (105.0, 1200.0)])  # 5 of 200 ticks busy over the window
    monkeypatch.setattr(sess, "_cpu_times", lambda: next(samples))
    monkeypatch.setattr(sess.os, "getloadavg", lambda: (1.6, 1.0, 0.5))
    monkeypatch.setattr(sess.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(sess.time, "sleep", lambda s: None)
    busy, how = sess.busy_cores()
    assert busy == pytest.approx(0.05) and how == "2% of the CPUs busy"
    monkeypatch.setattr(sess, "_cpu_times", lambda: None)  # no /proc/stat: the load average
    assert sess.busy_cores() == (1.6, "load average 1.6")
    monkeypatch.undo()
    busy, _ = sess.busy_cores(0.1)  # the real /proc/stat of this machine
    assert 0.0 <= busy <= (__import__("os").cpu_count() or 1)


def test_bf16_on_cpu_only_where_the_cpu_computes_it_natively(tmp_path, monkeypatch):
    from r1_core.training import session as session_mod

    native, emulated = tmp_path / "native", tmp_path / "emulated"
    native.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 avx512f avx512_bf16 avx512_vnni\n")
    emulated.write_text("processor\t: 0\nflags\t\t: fpu sse avx2 avx512f avx512bw\n")
    assert session_mod.cpu_has_bf16(str(native)) and not session_mod.cpu_has_bf16(str(emulated))
    assert not session_mod.cpu_has_bf16(str(tmp_path / "missing"))
    for has, expected in ((True, True), (False, False)):
        monkeypatch.setattr(session_mod, "cpu_has_bf16", lambda has=has: has)
        assert _cpu_defaults().bf16 is expected
        assert _cpu_defaults(bf16=False).bf16 is False  # a flag still wins
        assert _cpu_defaults(dtype="bfloat16").bf16 is True


def test_grpo_in_bf16_right_after_building_the_cold_start_in_the_same_process(tmp_path, monkeypatch):
    """Regression: the first `make run` on a fresh machine built the cold start (SFT, float32) and then
    failed as GRPO asked accelerate for bf16 ("AcceleratorState has already been initialized")."""
    from trainkit import metrics, run_r1, tiny_flags

    monkeypatch.setenv("R1_CACHE_DIR", str(tmp_path / "empty-cache"))
    tiny = build_tiny_model(tmp_path / "tiny")
    out = tmp_path / "run"
    proc = run_r1(tmp_path, "train", "grpo", "--model", str(tiny), "--reward", "r1_test_rewards:digits",
                  "--cold-start", COLD_START_DATA, "--bf16", "true", "--max-steps", "1",
                  "--output-dir", str(out), *tiny_flags())
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "cold start: SFT on 8 demonstrations" in proc.stderr
    assert [r["step"] for r in metrics(out)] == [1]


def test_a_pipeline_may_change_mixed_precision_between_stages(tmp_path):
    import yaml
    from trainkit import metrics, run_r1

    tiny = build_tiny_model(tmp_path / "tiny")
    out = tmp_path / "pipe"
    recipe = tmp_path / "pipe.yaml"
    recipe.write_text(yaml.safe_dump({
        "model_name_or_path": str(tiny), "use_peft": False, "output_dir": str(out),
        "stages": [{"trainer": "sft", "max_steps": 1, "max_length": 64, "bf16": False},
                   {"trainer": "grpo", "reward_funcs": ["r1_test_rewards:digits"], "max_steps": 1,
                    "bf16": True, "num_generations": 4, "max_completion_length": 8}],
    }))
    proc = run_r1(tmp_path, "train", "pipeline", "--config", str(recipe))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert [r["step"] for r in metrics(out / "stage-1-grpo")] == [1]
