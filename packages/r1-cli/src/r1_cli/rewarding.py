"""Calling a TRL-protocol reward from outside a trainer (it may be sync or async)."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

__all__ = ["call_reward"]


def call_reward(fn: Any, **kwargs: Any) -> list[float | None]:
    """``fn(**kwargs)``, awaiting the result when the reward is async."""
    out = fn(**kwargs)
    if inspect.isawaitable(out):
        out = asyncio.run(_wait(out))
    return list(out)


async def _wait(awaitable: Any) -> Any:
    return await awaitable
