"""Tool-integrated reasoning across packages: a scripted policy drives ``python`` episodes through
the same steps TRL's multi-turn loop takes (chat template with the tool schema, response parser,
episode methods as tools, tool messages appended), and the reward sees the whole episode."""

from __future__ import annotations

import json

import pytest
from r1_core import ToolError, get_environment, get_reward
from r1_core.environments import summarize_episodes, tool_methods
from r1_core.errors import ConfigError
from r1_core.training.environments import TOOL_CHAT_TEMPLATE, prepare_tool_tokenizer


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    from r1_core.tinymodel import build_tiny_model
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(build_tiny_model(tmp_path_factory.mktemp("tiny")))
    prepare_tool_tokenizer(tok)
    return tok


def _call(code: str) -> str:
    return "<tool_call>\n" + json.dumps({"name": "python", "arguments": {"code": code}}) + "\n</tool_call>"


def _run_episode(tokenizer, env, episode, row, turns):
    """What TRL does for one rollout, with ``turns`` as the policy's outputs."""
    from trl.chat_template_utils import parse_response

    tools = [getattr(episode, name) for name in tool_methods(type(episode))]
    prompt = [{"role": "user", "content": row["prompt"]}]
    observation = episode.reset(**row)
    if observation:
        prompt[-1]["content"] += observation
    completion: list[dict] = []
    for turn in turns:
        prefix = tokenizer.apply_chat_template(prompt + completion, tools=tools, tokenize=True,
                                               add_generation_prompt=True, return_dict=False)
        ids = tokenizer(turn + "<|im_end|>", add_special_tokens=False)["input_ids"]
        message = parse_response(tokenizer, ids, prefix=prefix, tools=tools)
        completion.append(message)
        for call in message.get("tool_calls") or []:
            fn = call["function"]
            result = getattr(episode, fn["name"])(**fn["arguments"])
            completion.append({"role": "tool", "name": fn["name"], "content": str(result)})
    return completion


def test_scripted_policy_drives_python_episodes_end_to_end(tokenizer):
    env = get_environment("python", max_calls=4, call_wall_s=3, call_cpu_s=2, memory_mb=128)
    episode = env()
    row = {"prompt": "What is 6 * 7 + 1?", "solution": "$43$"}
    completion = _run_episode(tokenizer, env, episode, row, [
        "Let me compute." + _call("x = 6 * 7\nx"),
        _call("print(x + 1)"),  # the variable from the first call is still there
        "<answer>\n$\\boxed{43}$\n</answer>",
    ])
    roles = [m["role"] for m in completion]
    assert roles == ["assistant", "tool", "assistant", "tool", "assistant"]
    assert [m["content"] for m in completion if m["role"] == "tool"] == ["42", "43"]
    rendered = tokenizer.apply_chat_template([{"role": "user", "content": row["prompt"]}, *completion],
                                             tokenize=False)
    assert "<tool_response>\n42\n</tool_response>" in rendered
    accuracy = get_reward("accuracy")
    assert accuracy(completions=[completion], solution=[row["solution"]]) == [1.0]

    # the pooled instance is reused for the next episode (as TRL does): nothing survives reset
    second = _run_episode(tokenizer, env, episode, {"prompt": "again", "solution": "$1$"},
                          [_call("x"), "$\\boxed{1}$"])
    assert "NameError" in second[1]["content"]
    metrics = summarize_episodes(env.drain())
    assert metrics["tools/calls_per_episode"] == 1.5 and metrics["tools/errors_per_episode"] == 0.5
    assert metrics["tools/episodes_with_calls"] == 1.0 and metrics["tools/time_s_per_episode"] > 0
    episode._close()


def test_hostile_tool_calls_come_back_as_tool_output(tokenizer):
    env = get_environment("python", max_calls=6, call_wall_s=2, call_cpu_s=1, memory_mb=128)
    episode = env()
    completion = _run_episode(tokenizer, env, episode, {"prompt": "p"}, [
        _call("import time\ntime.sleep(60)"),
        _call("b = []\nwhile True: b.append(bytearray(8 << 20))"),
        _call("import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=1)"),
        _call("print(open('/etc/shadow').read())"),
        _call("import os\nwhile True:\n    try: os.fork()\n    except OSError: break"),
        _call("'alive'"),
        _call("1"),
    ])
    outputs = [m["content"] for m in completion if m["role"] == "tool"]
    assert "TimeoutError" in outputs[0]
    assert "MemoryError" in outputs[1] and "restarted" in outputs[1]
    assert "Error" in outputs[2] and "Error" in outputs[3]
    assert outputs[5] == "'alive'"
    assert "at most 6" in outputs[6]
    episode._close()


def test_tool_errors_are_tool_error_strings():
    env = get_environment("python", max_calls=1)
    episode = env()
    episode.reset()
    assert isinstance(episode.python(code="raise ValueError('bad')"), ToolError)
    assert isinstance(episode.python(code="1"), ToolError)  # over budget
    episode._close()


def test_tool_template_is_refused_for_non_chatml_models(tokenizer):
    from trl.chat_template_utils import is_chat_template_prefix_preserving, supports_tool_calling

    assert tokenizer.chat_template == TOOL_CHAT_TEMPLATE
    assert supports_tool_calling(tokenizer) and is_chat_template_prefix_preserving(tokenizer)

    class Plain:
        chat_template = "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}"

        def apply_chat_template(self, messages, **kwargs):
            return "".join(f"[{m['role']}] {m.get('content', '')}\n" for m in messages)

    with pytest.raises(ConfigError, match="--chat-template"):
        prepare_tool_tokenizer(Plain())


def _r1(tmp, *args, timeout=600, env_extra=None):
    import os
    import subprocess
    import sys

    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "TRL_EXPERIMENTAL_SILENCE": "1",
           **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "r1_core.cli", *map(str, args)], cwd=tmp, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_unknown_environment_is_one_line(tmp_path):
    proc = _r1(tmp_path, "train", "grpo", "--environment", "pyhton", "--model", "/nonexistent")
    assert proc.returncode == 2 and "did you mean 'python'" in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


SECRET_CODE = "print(7 ** 77 % 1000003)"
SECRET_VALUE = str(7 ** 77 % 1000003)
VALUE_REWARD = f'''
def tool_value(completions, **kwargs):
    """1.0 when the episode holds a value only the python tool computes."""
    return [1.0 if any({SECRET_VALUE!r} in str(m.get("content", "")) for m in c) else 0.0
            for c in completions]
'''


def _scripted_model(path, decision_bias=None):
    """The tiny model, with its tool call as three added tokens, and generation biases (constrained
    decoding) that complete ``<tool_call>\\n{"name": "python", ...}\\n</tool_call>`` once begun.

    ``decision_bias=None``: every turn opens a call (a scripted policy that TRL's real generation
    loop runs). A number: only the first token of a turn is nudged toward ``<tool_call>`` by that
    much; whether to call is then the model's own choice, which training can change."""
    from r1_core.tinymodel import build_tiny_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    build_tiny_model(path)
    tok = AutoTokenizer.from_pretrained(path)
    call = json.dumps({"name": "python", "arguments": {"code": SECRET_CODE}})
    tok.add_tokens(["<tool_call>", "</tool_call>", call])
    prepare_tool_tokenizer(tok)
    model = AutoModelForCausalLM.from_pretrained(path)
    model.resize_token_embeddings(len(tok), mean_resizing=False)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    open_, close, body = tok.convert_tokens_to_ids(["<tool_call>", "</tool_call>", call])
    nl = tok("\n", add_special_tokens=False)["input_ids"][0]
    turn_start = tok("<|im_start|>assistant\n", add_special_tokens=False)["input_ids"]
    decision = [[open_], 30.0] if decision_bias is None else [[*turn_start, open_], decision_bias]
    return [decision, [[open_, nl], 60.0], [[open_, nl, body], 90.0], [[body, nl], 60.0],
            [[body, nl, close], 90.0], [[close, tok.eos_token_id], 100.0]]


@pytest.mark.slow
def test_trl_runs_scripted_tool_episodes_and_rewards_see_the_tool_output(tmp_path):
    import yaml

    bias = _scripted_model(tmp_path / "scripted")
    (tmp_path / "value_reward.py").write_text(VALUE_REWARD)
    config = {"model_name_or_path": str(tmp_path / "scripted"), "reward_funcs": ["value_reward:tool_value"],
              "environment": "python", "max_tool_calling_iterations": 2,
              "generation_kwargs": {"sequence_bias": bias}, "max_steps": 2, "use_peft": False,
              "num_generations": 2, "max_completion_length": 64, "save_steps": 1000}
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(config))
    out = tmp_path / "run"
    proc = _r1(tmp_path, "train", "grpo", "--config", tmp_path / "cfg.yaml", "--output-dir", out,
               "--environment-options", '{"max_calls": 4, "call_wall_s": 5}',
               env_extra={"PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "environment python (tools: python)" in proc.stderr
    assert "max_calls: 4" in (out / "config.yaml").read_text()
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert row["tools/calls_per_episode"] == 2.0  # one call per tool-calling iteration
        assert row["tools/episodes_with_calls"] == 1.0 and row["tools/errors_per_episode"] == 0.0
        assert row["tools/time_s_per_episode"] > 0 and row["tools/call_frequency"] == 2.0
        assert row["rewards/tool_value/mean"] == 1.0  # the reward saw the tool's output
    report = _r1(tmp_path, "report", out, "--json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["metrics"]["tools/calls_per_episode"]["last"] == 2.0
    assert (out / "tools.png").is_file()


@pytest.mark.slow
def test_tiny_model_learns_to_call_the_tool_when_the_reward_needs_its_value(tmp_path):
    """The call's syntax is scaffolded (added tokens + constrained decoding once a call is opened);
    the decision to open one is the model's. The reward needs 7**77 % 1000003, which only the
    sandboxed tool computes: GRPO raises the call rate from about a third to nearly always."""
    import yaml

    bias = _scripted_model(tmp_path / "chooser", decision_bias=4.5)
    (tmp_path / "value_reward.py").write_text(VALUE_REWARD)
    config = {"model_name_or_path": str(tmp_path / "chooser"), "reward_funcs": ["value_reward:tool_value"],
              "environment": "python", "environment_options": {"max_calls": 2, "call_wall_s": 5},
              "max_tool_calling_iterations": 1, "generation_kwargs": {"sequence_bias": bias},
              "max_steps": 12, "use_peft": False, "num_generations": 8, "max_completion_length": 64,
              "learning_rate": 3e-2, "save_steps": 1000}
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(config))
    out = tmp_path / "run"
    proc = _r1(tmp_path, "train", "grpo", "--config", tmp_path / "cfg.yaml", "--output-dir", out,
               env_extra={"PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    calls = [r["tools/episodes_with_calls"] for r in rows]
    rewards = [r["rewards/tool_value/mean"] for r in rows]
    assert len(rows) == 12
    assert sum(calls[:2]) / 2 < 0.6 and sum(rewards[:2]) / 2 < 0.6, calls
    assert sum(calls[-4:]) / 4 > 0.85 and sum(rewards[-4:]) / 4 > 0.85, (calls, rewards)


@pytest.mark.slow
def test_combined_trainer_runs_tool_episodes_too(tmp_path):
    import yaml

    bias = _scripted_model(tmp_path / "scripted")
    (tmp_path / "value_reward.py").write_text(VALUE_REWARD)
    config = {"model_name_or_path": str(tmp_path / "scripted"), "reward_funcs": ["value_reward:tool_value"],
              "environment": "python", "max_tool_calling_iterations": 1,
              "generation_kwargs": {"sequence_bias": bias}, "max_steps": 1, "use_peft": False,
              "num_generations": 2, "max_completion_length": 64, "save_steps": 1000}
    (tmp_path / "cfg.yaml").write_text(yaml.safe_dump(config))
    out = tmp_path / "run"
    proc = _r1(tmp_path, "train", "combined", "--config", tmp_path / "cfg.yaml", "--output-dir", out,
               env_extra={"PYTHONPATH": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    [row] = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert row["tools/calls_per_episode"] == 1.0 and row["rewards/tool_value/mean"] == 1.0
    assert isinstance(row["sft_loss"], float)
