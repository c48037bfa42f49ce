"""Whether the Hugging Face Hub can be reached from here: decided fast, once per endpoint.

The environment decides at once: ``HF_HUB_OFFLINE`` or ``R1_OFFLINE`` (and, for dataset loads,
``HF_DATASETS_OFFLINE``) mean offline. Otherwise one TCP connect to ``HF_ENDPOINT`` (default
``https://huggingface.co``) with a short timeout, DNS included, decides; the answer is cached for
the process.
"""

from __future__ import annotations

import os
import socket
import threading
from urllib.parse import urlparse

__all__ = ["hub_endpoint", "hub_reachable", "offline_by_env"]

_TRUTHY = {"1", "true", "yes", "on"}
_probed: dict[tuple[str, int], bool] = {}


def offline_by_env(*, datasets: bool = False) -> bool:
    """True when an environment switch says not to use the network."""
    names = ("HF_HUB_OFFLINE", "R1_OFFLINE", *(("HF_DATASETS_OFFLINE",) if datasets else ()))
    return any(os.environ.get(v, "").strip().lower() in _TRUTHY for v in names)


def hub_endpoint() -> tuple[str, int]:
    """``(host, port)`` of the Hub this process talks to (``HF_ENDPOINT`` honoured)."""
    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    return url.hostname or "huggingface.co", url.port or (80 if url.scheme == "http" else 443)


def _connects(host: str, port: int, timeout: float) -> bool:
    result: list[bool] = []

    def connect() -> None:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    # getaddrinfo ignores socket timeouts; a daemon thread bounds the DNS lookup too.
    worker = threading.Thread(target=connect, daemon=True)
    worker.start()
    worker.join(timeout + 0.5)
    return bool(result and result[0])


def hub_reachable(timeout: float = 2.0, *, datasets: bool = False) -> bool:
    """True when the Hub can be reached (``datasets=True``: for a dataset load, which
    ``HF_DATASETS_OFFLINE`` also turns off)."""
    if offline_by_env(datasets=datasets):
        return False
    endpoint = hub_endpoint()
    if endpoint not in _probed:
        _probed[endpoint] = _connects(*endpoint, timeout)
    return _probed[endpoint]
