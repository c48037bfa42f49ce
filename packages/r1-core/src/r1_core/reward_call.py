"""Calling a TRL-protocol reward — sync or ``async`` — from plain synchronous code."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Awaitable
from typing import Any

from r1_core.protocols import RewardFunc

__all__ = ["call_reward", "wait_for"]


def call_reward(fn: RewardFunc, **kwargs: Any) -> list[float | None]:
    """``fn(**kwargs)`` as a list, awaiting the result when ``fn`` is async."""
    return list(wait_for(fn(**kwargs)))


def wait_for(value: Any) -> Any:
    """``value`` itself, or what it resolves to when it is awaitable.

    Works with or without a running event loop in this thread: inside one (a notebook, an async
    test, a router's handler) the awaitable runs on a fresh loop in a helper thread, since
    ``asyncio.run`` refuses to nest.
    """
    if not inspect.isawaitable(value):
        return value
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_await(value))
    box: dict[str, Any] = {}

    def runner() -> None:
        try:
            box["value"] = asyncio.run(_await(value))
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=runner, name="r1-reward-call")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


async def _await(aw: Awaitable[Any]) -> Any:
    return await aw
