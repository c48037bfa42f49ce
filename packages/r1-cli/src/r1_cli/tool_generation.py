"""``r1 eval BENCH --environment NAME``: completions as multi-turn episodes with tools.

Each sample is one episode, run the way TRL runs a training rollout: the prompt is rendered with
the episode's tools, the model's turn is parsed for tool calls, each call's output is appended as a
tool message and the model continues, until a turn without tool calls, ``max_turns`` turns, or the
token budget (``--max-new-tokens`` over all turns). The completion scored is the whole transcript:
the model's turns and the tool outputs it saw.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from r1_core.environments import EnvironmentFactory, close_episode, tool_methods
from r1_core.training.environments import prepare_tool_tokenizer

from r1_cli.generation import Completion, Messages, Progress, SamplingParams, TransformersGenerator

__all__ = ["ToolEpisodeGenerator"]


class ToolEpisodeGenerator:
    """Episodes with a tool environment on top of the ``transformers`` backend."""

    def __init__(self, inner: TransformersGenerator, environment: EnvironmentFactory, *,
                 max_turns: int = 8) -> None:
        self.inner = inner
        self.environment = environment
        self.max_turns = max_turns
        self.name = f"{inner.name}+environment:{environment.name}"
        prepare_tool_tokenizer(inner.tokenizer)

    def generate(self, conversations: Sequence[Messages], params: SamplingParams,
                 progress: Progress | None = None) -> list[list[Completion]]:
        self.inner.reseed(params.seed)
        out = []
        for messages in conversations:
            samples = params.n if params.temperature > 0 else 1
            episodes = [self.episode(messages, params) for _ in range(samples)]
            out.append(episodes if params.temperature > 0 else episodes * params.n)
            if progress:
                progress(1)
        return out

    def episode(self, messages: Messages, params: SamplingParams) -> Completion:
        from trl.chat_template_utils import parse_response

        tok, torch = self.inner.tokenizer, self.inner._torch
        episode = self.environment()
        episode.reset()
        tools = [getattr(episode, name) for name in tool_methods(type(episode))]
        conversation: list[dict[str, Any]] = list(messages)
        transcript: list[str] = []
        used, finish = 0, "stop"
        try:
            for _ in range(self.max_turns):
                budget = params.max_new_tokens - used
                if budget <= 0:
                    finish = "length"
                    break
                prefix = tok.apply_chat_template(conversation, tools=tools, add_generation_prompt=True,
                                                 tokenize=True, return_dict=False)
                ids = self._generate(torch.tensor([prefix], device=self.inner.device), budget, params)
                used += len(ids)
                message = parse_response(tok, ids, prefix=prefix, tools=tools)
                conversation.append(message)
                transcript.append(message.get("content") or "")
                calls = message.get("tool_calls") or []
                if not calls:
                    finish = "stop" if any(t in self.inner._eos for t in ids) else "length"
                    break
                for call in calls:
                    name, result = _call_tool(episode, tools, call)
                    conversation.append({"role": "tool", "name": name, "content": result})
                    transcript.append(f"<tool_call>{name}</tool_call>\n<tool_response>\n{result}\n</tool_response>")
            else:
                finish = "max_turns"
        finally:
            close_episode(episode)
        return Completion("\n".join(transcript), finish, used)

    def _generate(self, input_ids: Any, budget: int, params: SamplingParams) -> list[int]:
        sample = params.temperature > 0
        kwargs: dict[str, Any] = {"max_new_tokens": budget, "do_sample": sample,
                                  "pad_token_id": self.inner.tokenizer.pad_token_id}
        if sample:
            kwargs.update(temperature=params.temperature, top_p=params.top_p)
        with self.inner._torch.no_grad():
            mask = input_ids.new_ones(input_ids.shape)
            out = self.inner.model.generate(input_ids=input_ids, attention_mask=mask, **kwargs)
        seq = out[0, input_ids.shape[1]:].tolist()
        stop = next((i for i, t in enumerate(seq) if t in self.inner._eos), None)
        return seq if stop is None else seq[:stop + 1]


def _call_tool(episode: Any, tools: list[Any], call: dict[str, Any]) -> tuple[str, str]:
    """Run one parsed tool call; a bad call is output for the model, as in TRL."""
    fn = call.get("function") or {}
    name = str(fn.get("name", "unknown"))
    by_name = {t.__name__: t for t in tools}
    if name not in by_name:
        return name, str({"error": f"Tool {name} not found."})
    try:
        return name, str(by_name[name](**(fn.get("arguments") or {})))
    except Exception as exc:  # the model's call, not r1's failure
        return name, str({"error": str(exc)})
