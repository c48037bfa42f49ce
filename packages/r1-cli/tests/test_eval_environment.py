"""`r1 eval BENCH --environment NAME`: every sample is a multi-turn episode with the tools."""

import json

import pytest


def test_eval_with_the_python_environment_end_to_end(r1, tiny_model, tmp_path):
    result = r1("eval", "math_500", "--model", tiny_model, "--environment", "python",
                "--environment-option", "max_calls=2", "--num-samples", 2, "--limit", 1,
                "--max-new-tokens", 8, "--temperature", 0.7, "--offline", "--output-dir", tmp_path, "--json")
    assert result.code == 0, result.err
    res = result.json()
    assert res["backend"] == "transformers+environment:python" and res["num_samples"] == 2
    details = [json.loads(line) for line in (tmp_path / "details.jsonl").read_text().splitlines()]
    assert len(details) == 2 and all(d["tokens"] <= 8 for d in details)


@pytest.mark.parametrize(("args", "fragment"), [
    (["--environment", "nope"], "nope"),
    (["--environment", "python", "--backend", "openai"], "transformers backend"),
    (["--environment", "python", "--environment-option", "max_calls=0"], "max_calls"),
])
def test_eval_environment_errors_are_one_line(r1, args, fragment):
    result = r1("eval", "aime24", "--model", "m", *args)
    assert result.code == 2 and fragment in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1 and "Traceback" not in result.err


def test_scripted_model_calls_the_tool_and_is_scored_on_the_transcript(tiny_model):
    import torch
    from r1_cli.generation import SamplingParams, TransformersGenerator
    from r1_cli.tool_generation import ToolEpisodeGenerator
    from r1_core import get_environment

    inner = TransformersGenerator(tiny_model)
    gen = ToolEpisodeGenerator(inner, get_environment("python", max_calls=3), max_turns=4)
    tok = inner.tokenizer
    call = '<tool_call>\n{"name": "python", "arguments": {"code": "x = 6 * 7\\nprint(x)"}}\n</tool_call>'
    turns = [call + "<|im_end|>", "so $\\boxed{42}$<|im_end|>"]
    prompts = []

    def scripted_generate(input_ids, attention_mask, max_new_tokens, **kwargs):
        prompts.append(tok.decode(input_ids[0]))
        reply = tok(turns[len(prompts) - 1], add_special_tokens=False)["input_ids"]
        return torch.cat([input_ids, torch.tensor([reply])], dim=1)

    inner.model.generate = scripted_generate
    [[completion]] = gen.generate([[{"role": "user", "content": "What is 6*7?"}]],
                                  SamplingParams(n=1, temperature=0.0, max_new_tokens=400))
    assert "<tool_response>\n42\n</tool_response>" in completion.text
    assert completion.text.endswith("so $\\boxed{42}$") and completion.finish_reason == "stop"
    assert '"name": "python"' in prompts[0]  # the tool schema is in the prompt
    assert "<tool_response>\n42\n</tool_response>" in prompts[1]  # the model saw the tool output
