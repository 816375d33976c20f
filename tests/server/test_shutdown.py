"""SIGTERM: intake stops, the request in flight still gets its 202, delivery ends, exit 0."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import pytest

from pinbridge.config import QueueSettings
from pinbridge.queue import open_queue
from tests.server.events import purchase
from tests.server.harness import TOKEN, ServerProcess, server_config, start_server, wait_for
from tests.support.simulator import SimulatorProcess
from tests.support.simulator_fixtures import SIMULATOR_TOKEN, simulator

__all__ = ["simulator"]  # the fixture, re-exported for pytest


def _logged(server: ServerProcess, text: str) -> bool:
    return any(entry["msg"].startswith(text) for entry in server.log_entries())


def _read_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_sigterm_finishes_the_request_in_flight_and_exits_0(
    tmp_path: Path, simulator: SimulatorProcess
) -> None:
    assert SIMULATOR_TOKEN != TOKEN
    simulator.configure(tokens=[TOKEN])
    database = tmp_path / "queue.db"
    config = server_config(
        tmp_path,
        database=database,
        sections={"pinterest": {"api_base_url": simulator.base_url}},
    )
    ids = [f"term-{uuid.uuid4()}" for _ in range(20)]
    body = orjson.dumps({"batch": [purchase(event_id) for event_id in ids]})
    with start_server(config) as server:
        address = urlsplit(server.base_url)
        assert address.hostname is not None and address.port is not None
        with socket.create_connection((address.hostname, address.port), timeout=30) as conn:
            conn.sendall(
                b"POST /events/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
            )
            # 100 Continue comes when the handler starts reading the body: it is in flight.
            assert b"100 Continue" in _read_until(conn, b"\r\n\r\n")

            server.process.send_signal(15)
            wait_for(
                lambda: _logged(server, "Waiting for connections to close"),
                what="the server to start its shutdown",
            )
            with pytest.raises(OSError):
                socket.create_connection((address.hostname, address.port), timeout=5).close()

            conn.sendall(body)
            answer = _read_until(conn, b"]}")
        head, _, payload = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 202"), answer
        results = orjson.loads(payload)["results"]
        assert [r["status"] for r in results] == ["queued"] * len(ids)

        assert server.process.wait(30) == 0, server.stderr_text()
        assert _logged(server, "finishing in-flight deliveries")
        assert _logged(server, "pinbridge serve stopped")

    queue = open_queue(QueueSettings(url=f"sqlite:///{database}"))
    try:
        for event_id in ids:
            assert queue.history(event_id), f"{event_id} was answered 202 but is not stored"
    finally:
        queue.close()
