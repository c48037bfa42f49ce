"""``--environment NAME``: multi-turn GRPO episodes with tools, on TRL's ``environment_factory``.

TRL runs the episodes: it renders the tools into the prompt, parses tool calls out of each turn,
calls the episode's methods, appends their output and lets the model continue; tool output tokens
are masked out of the loss, and rewards receive the whole conversation. r1 adds here what TRL
leaves to the user:

* the environment from the registry, with its options (``environment_options``);
* a chat template that can render tool calls when the model's own cannot (a ChatML model such as
  SmolLM2 or r1's tiny test model gets r1's Hermes-style ``<tool_call>`` template, and the parser
  that goes with it);
* the ``tools/*`` metrics per logging step (calls, errors and tool time per episode);
* the episodes' sessions closed after each step and when training ends.
"""

from __future__ import annotations

from typing import Any

from r1_core.environments import EnvironmentFactory, close_episode, summarize_episodes
from r1_core.errors import ConfigError

__all__ = ["TOOL_CHAT_TEMPLATE", "TOOL_RESPONSE_TEMPLATE", "ToolMetricsCallback", "build_environment",
           "close_environments", "prepare_tool_tokenizer"]

# ChatML with Hermes-style tool calls (the format Qwen2.5 and many open models use), rendering each
# message independently of what follows, as TRL's multi-turn loop requires (prefix-preserving).
TOOL_CHAT_TEMPLATE = (
    "{%- if tools %}"
    "{{ '<|im_start|>system\n' }}"
    "{%- if messages[0]['role'] == 'system' %}{{ messages[0]['content'] + '\n\n' }}{%- endif %}"
    "{{ '# Tools\n\nYou may call these functions. Their signatures, in <tools></tools>:\n<tools>' }}"
    "{%- for tool in tools %}{{ '\n' + (tool | tojson) }}{%- endfor %}"
    "{{ '\n</tools>\n\nTo call one, write:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
    "<args-json-object>}\n</tool_call><|im_end|>\n' }}"
    "{%- elif messages[0]['role'] == 'system' %}"
    "{{ '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{%- if message['role'] == 'system' and loop.first %}"
    "{%- elif message['role'] == 'assistant' %}"
    "{{ '<|im_start|>assistant\n' + (message['content'] or '') }}"
    "{%- for call in (message['tool_calls'] or []) %}"
    "{%- set f = call['function'] if call['function'] is defined else call %}"
    "{{ '<tool_call>\n{\"name\": \"' + f['name'] + '\", \"arguments\": ' }}"
    "{%- if f['arguments'] is string %}{{ f['arguments'] }}"
    "{%- else %}{{ f['arguments'] | tojson }}{%- endif %}"
    "{{ '}\n</tool_call>' }}"
    "{%- endfor %}"
    "{{ '<|im_end|>\n' }}"
    "{%- elif message['role'] == 'tool' %}"
    "{{ '<|im_start|>tool\n<tool_response>\n' + message['content'] + '\n</tool_response><|im_end|>\n' }}"
    "{%- else %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{%- endif %}"
)

# transformers' response parser for the template above: text up to <|im_end|>, and any number of
# <tool_call> JSON objects (no reasoning field: r1's rewards read <think> in the content).
TOOL_RESPONSE_TEMPLATE: dict[str, Any] = {
    "defaults": {"role": "assistant"},
    "start_anchor": "<|im_start|>assistant\n",
    "fields": {
        "tool_calls": {
            "open": "<tool_call>",
            "close_pattern": r"</tool_call>\s*",
            "repeats": True,
            "content": "json",
            "transform": {"type": "function", "function": "{content}"},
        },
        "content": {"close_pattern": r"<\|im_end\|>\s*", "content": "text"},
    },
}


def build_environment(opts: Any) -> EnvironmentFactory | None:
    """The run's environment factory (None without ``--environment``); unknown names and bad
    options fail here, before anything heavy loads."""
    name = getattr(opts, "environment", None)
    if not name:
        return None
    from r1_core.api import get_environment

    return get_environment(name, **(getattr(opts, "environment_options", None) or {}))


def _chatml(template: str | None) -> bool:
    return bool(template) and "<|im_start|>" in str(template)


def prepare_tool_tokenizer(tokenizer: Any, say: Any = None) -> None:
    """Make ``tokenizer`` able to render and parse tool calls (TRL refuses templates that cannot).

    Left alone: a template TRL already knows how to parse (Qwen, Llama 3.1, ...) or one the user set
    with a ``response_template``. A ChatML template without tool support gets r1's. Anything else
    is a one-line error naming ``--chat-template``.
    """
    from trl.chat_template_utils import add_response_schema, supports_tool_calling

    has_parser = any(getattr(tokenizer, attr, None) is not None
                     for attr in ("response_template", "response_schema"))
    if supports_tool_calling(tokenizer):
        if has_parser:
            return
        try:
            add_response_schema(tokenizer)
            return
        except ValueError:
            pass
    if not _chatml(tokenizer.chat_template):
        raise ConfigError("the model's chat template cannot render tool calls (needed by --environment)",
                          "pass --chat-template with a template that renders tool_calls and tool messages, "
                          "or use a ChatML model")
    tokenizer.chat_template = TOOL_CHAT_TEMPLATE
    _set_response_template(tokenizer)
    if say is not None:
        say("the model's chat template cannot call tools: using r1's ChatML <tool_call> template")


def _set_response_template(tokenizer: Any) -> None:
    from trl.chat_template_utils import _SUPPORTS_RESPONSE_TEMPLATE

    if not _SUPPORTS_RESPONSE_TEMPLATE:  # transformers < 5.13: only the legacy schema exists
        raise ConfigError("tool environments need transformers >= 5.13 for r1's tool-call parser",
                          "pip install 'transformers>=5.13'")
    tokenizer.response_template = TOOL_RESPONSE_TEMPLATE


def _transformers_callback_base() -> type:
    from transformers import TrainerCallback

    return TrainerCallback


class ToolMetricsCallback:
    """Adds ``tools/*`` (per-episode means of the episodes since the last log) to every log row,
    ahead of the metrics.jsonl writer. Built through :func:`tool_metrics_callback`."""

    def __init__(self, factory: EnvironmentFactory) -> None:
        self.factory = factory

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None,
               **kwargs: Any) -> None:
        if logs is None or "train_runtime" in logs or any(k.startswith("eval_") for k in logs):
            return
        logs.update(summarize_episodes(self.factory.drain()))

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # TRL scores an episode batch as soon as it is generated: by the end of a step no tool of
        # it is called again, and idle sessions (sandboxed processes) need not wait for the next
        # batch's reset
        self.factory.close_episodes()


def tool_metrics_callback(factory: EnvironmentFactory) -> Any:
    """A ``transformers.TrainerCallback`` (imported lazily) recording the ``tools/*`` metrics."""
    cls = type("ToolMetricsCallback", (ToolMetricsCallback, _transformers_callback_base()), {})
    return cls(factory)


def close_environments(trainer: Any) -> None:
    """Close every episode TRL pooled (their sandboxed sessions hold processes)."""
    for pool in (getattr(trainer, "_environment_pool", None) or {}).values():
        for episode in pool:
            close_episode(episode)
