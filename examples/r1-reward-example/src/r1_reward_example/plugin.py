"""Hook implementations: registration only, no work at import time."""

from r1_core import factory, hookimpl

from r1_reward_example.brevity import make_brevity_reward


@hookimpl
def r1_register_rewards(register):
    register("brevity", factory(make_brevity_reward),
             description="prefers short completions: max(0, 1 - len/max_chars)")
