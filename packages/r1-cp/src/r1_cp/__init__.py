"""r1 competitive programming: an offline judge for IOI, Codeforces and USACO problems."""

__version__ = "0.1.0"
