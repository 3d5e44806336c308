"""The suite runs offline: remote connections and name lookups raise, localhost works, HF is offline."""

from __future__ import annotations

import os
import socket
import threading

import pytest

from tests.conftest import NetworkBlockedError


def test_remote_connection_is_blocked() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s, pytest.raises(NetworkBlockedError):
        s.connect(("93.184.216.34", 80))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s, pytest.raises(NetworkBlockedError):
        s.connect_ex(("8.8.8.8", 53))
    with pytest.raises(NetworkBlockedError):
        socket.create_connection(("huggingface.co", 443), timeout=1)


def test_localhost_still_works() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        accepted = threading.Thread(target=lambda: server.accept()[0].close())
        accepted.start()
        with socket.create_connection(("localhost", port), timeout=5):
            pass
        accepted.join(5)


def test_hugging_face_libraries_are_offline() -> None:
    from huggingface_hub import constants

    assert os.environ["HF_HUB_OFFLINE"] == os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert constants.HF_HUB_OFFLINE is True
