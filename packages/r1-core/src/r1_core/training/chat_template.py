"""The chat template r1 gives a tokenizer that has none: ChatML, as open-r1's ``setup_chat_format``."""

from __future__ import annotations

__all__ = ["CHAT_TEMPLATE"]

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
