"""r1-rewards' bundled dataset: ``math`` (``bundled:math``), the default training set of the math rewards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["MATH_FILE", "math_rows"]

MATH_FILE = Path(__file__).parent / "data" / "math.jsonl"


def math_rows() -> list[dict[str, Any]]:
    """~50 math word problems: ``prompt``, ``solution`` (the gold answer, as ``accuracy`` reads it)
    and ``completion`` (a demonstration in the ``format`` shape, for SFT)."""
    lines = MATH_FILE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
