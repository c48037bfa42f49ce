"""``UnitsEnvironment``: one episode of unit conversion. The model calls ``convert``; each episode
allows ``max_calls`` conversions and remembers them (``history``) until the next ``reset``."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from r1_core import ToolError

# unit -> (dimension, size in the dimension's base unit), exact
UNITS: dict[str, tuple[str, Fraction]] = {
    "mm": ("length", Fraction(1, 1000)), "cm": ("length", Fraction(1, 100)), "m": ("length", Fraction(1)),
    "km": ("length", Fraction(1000)), "in": ("length", Fraction(254, 10000)),
    "ft": ("length", Fraction(3048, 10000)), "mi": ("length", Fraction(1609344, 1000)),
    "g": ("mass", Fraction(1, 1000)), "kg": ("mass", Fraction(1)), "lb": ("mass", Fraction(45359237, 10**8)),
    "s": ("time", Fraction(1)), "min": ("time", Fraction(60)), "h": ("time", Fraction(3600)),
    "day": ("time", Fraction(86400)),
}


class UnitsEnvironment:
    """Exact unit conversion (length, mass, time)."""

    def __init__(self, max_calls: int = 4, digits: int = 6) -> None:
        self.max_calls = max_calls
        self.digits = digits
        self.history: list[str] = []

    def reset(self, **row: Any) -> str | None:
        """A new episode: forget the previous conversions."""
        self.history = []
        return None

    def convert(self, value: float, from_unit: str, to_unit: str) -> str:
        """Convert a quantity from one unit to another.

        Args:
            value: the quantity to convert.
            from_unit: its unit, e.g. km, mi, lb, h.
            to_unit: the unit wanted, of the same kind (length, mass or time).

        Returns:
            The converted quantity with its unit.
        """
        if len(self.history) >= self.max_calls:
            return ToolError(f"at most {self.max_calls} conversions per episode")
        src, dst = UNITS.get(str(from_unit).strip()), UNITS.get(str(to_unit).strip())
        if src is None or dst is None:
            unknown = from_unit if src is None else to_unit
            return ToolError(f"unknown unit {unknown!r}; known: {', '.join(UNITS)}")
        if src[0] != dst[0]:
            return ToolError(f"cannot convert {src[0]} ({from_unit}) to {dst[0]} ({to_unit})")
        try:
            amount = Fraction(str(value))
        except (ValueError, ZeroDivisionError):
            return ToolError(f"value {value!r} is not a number")
        result = amount * src[1] / dst[1]
        text = f"{round(float(result), self.digits):g} {to_unit}"
        self.history.append(text)
        return text
