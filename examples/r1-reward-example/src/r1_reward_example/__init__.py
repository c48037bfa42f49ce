"""Example r1 plugin: a brevity reward."""

from r1_reward_example.brevity import brevity_reward, make_brevity_reward

__all__ = ["brevity_reward", "make_brevity_reward"]
