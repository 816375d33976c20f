"""The HTTP edge over raw sockets: timeouts, the connection cap, shutdown, open-file exhaustion.

Every wait here is bounded by a generous socket or process timeout: a server that hangs fails
the test instead of blocking it, and no test asserts how fast anything happened.
"""

from __future__ import annotations

import contextlib
import os
import resource
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson
import pytest

from pinbridge.server.limits import SPARE_CONNECTIONS
from pinbridge.server.openfiles import RESERVED_FILES
from tests.server.events import purchase
from tests.server.harness import ServerProcess, server_config, start_server, wait_for

WAIT = 30.0  # seconds: the bound on every read, far above any timeout configured here


@contextlib.contextmanager
def _server(tmp_path: Path, **limits: Any) -> Iterator[ServerProcess]:
    config = server_config(tmp_path, sections={"server": limits})
    with start_server(config, "--no-delivery") as server:
        yield server


def _connect(server: ServerProcess) -> socket.socket:
    address = urlsplit(server.base_url)
    assert address.hostname is not None and address.port is not None
    return socket.create_connection((address.hostname, address.port), timeout=WAIT)


def _read_to_end(conn: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := conn.recv(65536):
            data += chunk
    return data


def _read_answer(conn: socket.socket) -> tuple[str, dict[str, str], bytes]:
    """One HTTP answer: status line, headers (lower-case names) and body (by Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        assert chunk, f"the server closed the connection mid-answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode().split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (x.split(":", 1) for x in lines)}
    while len(body) < int(headers.get("content-length", "0")):
        body += conn.recv(65536)
    return status, headers, body


def _error(answer: bytes) -> str:
    message: str = orjson.loads(answer.partition(b"\r\n\r\n")[2])["error"]
    return message


def _logged(server: ServerProcess, text: str) -> list[dict[str, Any]]:
    return [entry for entry in server.log_entries() if entry["msg"].startswith(text)]


def test_a_slow_request_head_gets_408_and_a_silent_one_is_closed(tmp_path: Path) -> None:
    with _server(tmp_path, header_timeout_seconds=0.5) as server:
        with _connect(server) as conn:
            conn.sendall(b"POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            answer = _read_to_end(conn)
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert "header_timeout_seconds" in _error(answer)
        with _connect(server) as silent:
            assert _read_to_end(silent) == b"", "nothing was asked: nothing is answered"
        with server.client() as http:
            assert http.get("/healthz").status_code == 200


def test_a_request_head_growing_past_16_kib_gets_431_and_nothing_is_stored(
    tmp_path: Path,
) -> None:
    with _server(tmp_path) as server:
        with _connect(server) as conn:
            conn.sendall(b"POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                for _ in range(40):  # 40 reads of 1 KiB: the head never completes
                    conn.sendall(b"X-Filler: " + b"a" * 1014 + b"\r\n")
            answer = _read_to_end(conn)
        assert answer.startswith(b"HTTP/1.1 431 "), answer
        assert "16,384 bytes" in _error(answer) and "shorter headers" in _error(answer)
        assert _logged(server, "answered 431")
        with server.client() as http:
            assert http.get("/healthz").status_code == 200
            assert http.get("/v1/status").json()["queue_depth"] == 0


def test_a_slow_body_gets_408_and_nothing_is_stored(tmp_path: Path) -> None:
    event_id = "slow-body-1"
    body = orjson.dumps(purchase(event_id))
    with _server(tmp_path, body_timeout_seconds=0.5) as server:
        with _connect(server) as conn:
            conn.sendall(
                b"POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body[:10]
            )
            answer = _read_to_end(conn)
        assert answer.startswith(b"HTTP/1.1 408 "), answer
        assert "body_timeout_seconds" in _error(answer)
        with server.client() as http:
            assert http.get(f"/v1/events/{event_id}").status_code == 404
            assert http.post("/events", json=purchase("after-slow-body")).status_code == 202


def test_an_idle_kept_alive_connection_is_closed(tmp_path: Path) -> None:
    with _server(tmp_path, keepalive_timeout_seconds=0.5) as server, _connect(server) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        status, headers, _ = _read_answer(conn)
        assert status.startswith("HTTP/1.1 200")
        assert headers.get("connection") != "close", "kept alive after the answer"
        assert _read_to_end(conn) == b"", "then closed once idle"


def test_connections_over_the_limit_are_answered_never_left_hanging(tmp_path: Path) -> None:
    cap = 3
    with _server(tmp_path, max_connections=cap, header_timeout_seconds=600) as server:
        with contextlib.ExitStack() as stack:
            # Accepted in the order they connect, so the server counts them in this order.
            served = [stack.enter_context(_connect(server)) for _ in range(cap)]
            spares = [stack.enter_context(_connect(server)) for _ in range(SPARE_CONNECTIONS)]
            beyond = stack.enter_context(_connect(server))

            answer = _read_to_end(beyond)  # sent nothing: answered and closed at once
            assert answer.startswith(b"HTTP/1.1 503 "), answer
            assert b"retry-after: 5" in answer.lower()
            assert "max_connections = 3" in _error(answer)

            spares[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            status, headers, body = _read_answer(spares[0])
            assert status.startswith("HTTP/1.1 200") and orjson.loads(body) == {"status": "ok"}
            assert headers["connection"] == "close"
            ingest = orjson.dumps(purchase("over-the-cap"))
            spares[1].sendall(
                b"POST /events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(ingest)}\r\n\r\n".encode()
                + ingest
            )
            answer = _read_to_end(spares[1])
            assert answer.startswith(b"HTTP/1.1 503 "), answer
            assert "max_connections" in _error(answer)

            served[0].sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            status, headers, _ = _read_answer(served[0])
            assert status.startswith("HTTP/1.1 200") and headers.get("connection") != "close"

        with server.client() as http:  # all closed: new connections are served again
            assert wait_for(
                lambda: http.post("/events", json=purchase("after-the-cap")).status_code == 202,
                what="a new connection to be served once the others closed",
            )
            assert http.get("/v1/events/over-the-cap").status_code == 404
        refusals = _logged(server, "connection limit reached")
        assert 1 <= len(refusals) <= 3, (
            f"{len(refusals)} lines for {SPARE_CONNECTIONS + 1} refusals"
        )


def test_sigterm_with_a_half_sent_body_exits_within_the_shutdown_limit(tmp_path: Path) -> None:
    body = orjson.dumps({"batch": [purchase("half-sent")]})
    with _server(tmp_path, shutdown_timeout_seconds=1, body_timeout_seconds=3600) as server:
        with _connect(server) as conn:
            conn.sendall(
                b"POST /events/batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
            )
            status, _, _ = _read_answer(conn)  # the handler is reading the body: in flight
            assert status.startswith("HTTP/1.1 100")
            conn.sendall(body[:5])
            server.process.send_signal(15)
            # Without a shutdown limit this waits for the body timeout: an hour.
            assert server.process.wait(WAIT) == 0, server.stderr_text()
            assert _read_to_end(conn) == b"", "the connection was closed without an answer"
        assert _logged(server, "shutdown limit reached")
        assert _logged(server, "pinbridge serve stopped")


def test_the_open_file_limit_is_raised_and_connections_kept_below_it(tmp_path: Path) -> None:
    config = server_config(tmp_path)
    with start_server(config, "--no-delivery", open_files=(200, 300)) as server:
        (limits,) = _logged(server, "connection limits")
        assert limits["open_file_limit"] == 300, "the soft limit was raised to the hard one"
        assert limits["max_connections"] == 300 - RESERVED_FILES - SPARE_CONNECTIONS
        (warning,) = _logged(server, "[server] max_connections is more than")
        assert warning["max_connections"] == 1000 and warning["using"] == limits["max_connections"]


def test_out_of_files_the_server_logs_once_and_answers_again(tmp_path: Path) -> None:
    with _server(tmp_path, header_timeout_seconds=600) as server:
        pid = server.process.pid
        with server.client() as http:
            assert http.get("/healthz").status_code == 200
        # Leave the running server a few files only, as a busy machine or a leak would.
        in_use = len(os.listdir(f"/proc/{pid}/fd"))
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (in_use + 5, in_use + 5))
        with contextlib.ExitStack() as stack:
            for _ in range(60):  # the kernel completes them; the server cannot accept them all
                stack.enter_context(_connect(server))
            wait_for(
                lambda: _logged(server, "cannot accept new connections"),
                what="the server to run out of files",
            )

        # The sockets are closed: the server frees its files and accepts again.
        def healthy() -> bool:
            try:
                return httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200
            except httpx.TransportError:
                return False

        assert wait_for(healthy, what="/healthz from a new connection")
        lines = server.stderr_text().splitlines()
        failures = _logged(server, "cannot accept new connections")
        assert 1 <= len(failures) <= 5, f"{len(failures)} lines for one exhaustion"
        assert len(lines) < 100, f"{len(lines)} log lines: the exhaustion flooded the log"
        assert not any("Traceback" in line for line in lines)


@pytest.mark.parametrize("seconds", [0, -1, 3601])
def test_a_timeout_out_of_range_is_refused_at_start(tmp_path: Path, seconds: float) -> None:
    from tests.server.harness import run_cli

    config = server_config(tmp_path, sections={"server": {"body_timeout_seconds": seconds}})
    done = run_cli("serve", "--config", str(config), "--port", "0")
    assert done.returncode == 2
    assert "[server] body_timeout_seconds" in done.stderr
