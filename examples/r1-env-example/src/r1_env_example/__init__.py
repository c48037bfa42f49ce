"""An example r1 environment plugin: unit conversion as a tool the model can call."""

from r1_env_example.units import UNITS, UnitsEnvironment

__all__ = ["UNITS", "UnitsEnvironment"]
