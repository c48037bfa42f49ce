"""r1 code execution: a secure local sandbox, E2B and Morph providers, the router service."""

__version__ = "0.1.0"
