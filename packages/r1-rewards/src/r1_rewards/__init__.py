"""r1 reward functions: math, format, length, repetition, QA, code, IOI, Codeforces, USACO."""

__version__ = "0.1.0"
