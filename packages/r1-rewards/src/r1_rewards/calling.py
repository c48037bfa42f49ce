"""Calling any reward — sync or ``async`` — from plain synchronous code."""

from __future__ import annotations

import asyncio
import inspect
import threading
from typing import Any

from r1_core.protocols import RewardFunc

__all__ = ["call_reward"]


def call_reward(fn: RewardFunc, **kwargs: Any) -> list[float | None]:
    """``fn(**kwargs)``, awaiting the result when ``fn`` is async.

    Works with or without a running event loop in this thread (inside one, the coroutine runs
    on a fresh loop in a helper thread).
    """
    out = fn(**kwargs)
    if not inspect.isawaitable(out):
        return list(out)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return list(asyncio.run(_await(out)))
    box: dict[str, Any] = {}

    def runner() -> None:
        try:
            box["value"] = asyncio.run(_await(out))
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=runner, name="r1-reward-call")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return list(box["value"])


async def _await(aw: Any) -> Any:
    return await aw
