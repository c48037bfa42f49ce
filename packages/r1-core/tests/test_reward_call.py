"""call_reward / wait_for: one way to call a sync or async reward from synchronous code."""

import asyncio

import pytest
from r1_core import call_reward
from r1_core.testing import check_reward_contract


async def async_reward(completions, **kwargs):
    await asyncio.sleep(0)
    return [float(len(c) > 0) for c in completions]


def sync_reward(completions, **kwargs):
    return (0.5 for _ in completions)  # any iterable: call_reward hands back a list


def test_sync_and_async_rewards_outside_an_event_loop():
    assert call_reward(sync_reward, completions=["a", "b"]) == [0.5, 0.5]
    assert call_reward(async_reward, completions=["a", ""]) == [1.0, 0.0]


def test_async_reward_inside_a_running_event_loop():
    """A notebook or an async test calls from inside a loop, where asyncio.run refuses to nest."""
    async def main():
        return call_reward(async_reward, completions=["a", ""])

    assert asyncio.run(main()) == [1.0, 0.0]


def test_errors_of_an_async_reward_reach_the_caller_inside_a_loop():
    async def broken(completions, **kwargs):
        raise ValueError("bad row")

    async def main():
        return call_reward(broken, completions=["a"])

    with pytest.raises(ValueError, match="bad row"):
        asyncio.run(main())


def test_the_reward_contract_check_runs_inside_an_event_loop():
    async def main():
        check_reward_contract(async_reward)

    asyncio.run(main())
