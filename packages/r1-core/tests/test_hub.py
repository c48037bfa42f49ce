"""hub_reachable: environment switches first, then one probe of HF_ENDPOINT (not always huggingface.co)."""

import socket

import pytest
from r1_core.hub import hub_reachable


@pytest.fixture
def online(monkeypatch):
    for var in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE", "R1_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_the_probe_goes_to_hf_endpoint(online):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        online.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
        assert hub_reachable(timeout=1) is True
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        online.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed.getsockname()[1]}")
        assert hub_reachable(timeout=1) is False


@pytest.mark.parametrize("var", ["HF_HUB_OFFLINE", "R1_OFFLINE"])
def test_offline_switches_decide_without_a_probe(online, var):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        online.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
        online.setenv(var, "1")
        assert hub_reachable(timeout=1) is False


def test_datasets_offline_only_stops_dataset_loads(online):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        online.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
        online.setenv("HF_DATASETS_OFFLINE", "1")
        assert hub_reachable(timeout=1, datasets=True) is False
        assert hub_reachable(timeout=1) is True
