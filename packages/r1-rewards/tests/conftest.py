from __future__ import annotations

import pytest
from r1_core.testing import r1_host, r1_register  # noqa: F401  (fixtures for plugin-level tests)
from r1_rewards.stats import reward_stats


@pytest.fixture
def stats():
    """The process-wide reward counters, reset for one test."""
    reward_stats.reset()
    yield reward_stats
    reward_stats.reset()
