"""r1-core: hook specs, registries, protocols and the library API of r1.

Importing this package is cheap: no torch, no plugin loading. Plugins load on first use of a
façade function.
"""

from r1_core.api import (
    factory,
    get_benchmark,
    get_environment,
    get_reward,
    get_sandbox,
    get_scorer,
    get_trainer,
    list_entries,
    list_plugins,
    load_object,
)
from r1_core.environments import EnvironmentFactory, ToolError, ToolSystemError
from r1_core.errors import (
    ConfigError,
    DataError,
    DuplicateNameError,
    MissingExtraError,
    PluginError,
    R1Error,
    SandboxError,
    UnknownNameError,
)
from r1_core.hookspecs import hookimpl
from r1_core.protocols import (
    Benchmark,
    ExecRequest,
    ExecResult,
    RewardFunc,
    Sandbox,
    Scorer,
    ScoreSummary,
    Trainer,
    Verdict,
)
from r1_core.reward_call import call_reward

__version__ = "0.1.0"

__all__ = [
    "Benchmark",
    "ConfigError",
    "DataError",
    "DuplicateNameError",
    "EnvironmentFactory",
    "ExecRequest",
    "ExecResult",
    "MissingExtraError",
    "PluginError",
    "R1Error",
    "RewardFunc",
    "Sandbox",
    "SandboxError",
    "ScoreSummary",
    "Scorer",
    "ToolError",
    "ToolSystemError",
    "Trainer",
    "UnknownNameError",
    "Verdict",
    "__version__",
    "call_reward",
    "factory",
    "get_benchmark",
    "get_environment",
    "get_reward",
    "get_sandbox",
    "get_scorer",
    "get_trainer",
    "hookimpl",
    "list_entries",
    "list_plugins",
    "load_object",
]
