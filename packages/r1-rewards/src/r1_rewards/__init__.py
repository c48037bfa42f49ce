"""r1 reward functions: math, format, length, repetition, QA, code, IOI, Codeforces, USACO.

Get them by name with ``r1_core.get_reward`` (``docs/rewards.md`` lists them). This package also
exports the pieces a library user may want directly.
"""

from r1_core.reward_call import call_reward

from r1_rewards.math.verifier import MathVerifier
from r1_rewards.stats import reward_stats

__all__ = ["MathVerifier", "__version__", "call_reward", "reward_stats"]

__version__ = "0.1.0"
