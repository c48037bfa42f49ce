"""Hook implementations: registration only, no work at import time."""

from r1_core import hookimpl

from r1_env_example.units import UnitsEnvironment


@hookimpl
def r1_register_environments(register):
    register("units", UnitsEnvironment, description="convert between units of length, mass and time")
