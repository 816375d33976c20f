"""The suite's TCP proxy forwards both ways, and a cut resets open connections and refuses
new ones until it is restored on the same port."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from tests.support.tcp_proxy import running_proxy

pytestmark = pytest.mark.reliability


@pytest.fixture
def echo_server() -> Iterator[tuple[str, int]]:
    """A loopback server that echoes what each connection sends."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(4096):
                conn.sendall(data)

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()
    stop.set()
    thread.join()
    server.close()


def _echo(address: tuple[str, int], data: bytes) -> bytes:
    with socket.create_connection(address, timeout=5) as conn:
        conn.sendall(data)
        return conn.recv(4096)


def test_forwards_both_ways(echo_server: tuple[str, int]) -> None:
    with running_proxy(echo_server) as proxy:
        assert _echo(proxy.address, b"ping") == b"ping"
        assert proxy.connections == 1


def test_cut_resets_connections_refuses_new_ones_and_restore_reopens(
    echo_server: tuple[str, int],
) -> None:
    with running_proxy(echo_server) as proxy:
        port = proxy.port
        conn = socket.create_connection(proxy.address, timeout=5)
        conn.sendall(b"one")
        assert conn.recv(4096) == b"one"

        assert proxy.cut() == 1
        with pytest.raises(OSError):  # reset, or read as the end of the stream
            conn.sendall(b"two")
            if conn.recv(4096) == b"":
                raise ConnectionResetError("closed")
        conn.close()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(proxy.address, timeout=5)

        proxy.restore()
        assert proxy.port == port
        assert _echo(proxy.address, b"three") == b"three"
