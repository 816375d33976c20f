"""Once shutdown began, new ingest is refused with 503 and readiness says why.

The window between SIGTERM and the listening socket closing is too short to hit from outside,
so this test runs the real app under real uvicorn in the test process (a thread, loopback,
a real SQLite file) and flips the same switch the SIGTERM handler flips.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from pinbridge.config import settings_from_mapping
from pinbridge.metrics import Metrics
from pinbridge.queue import open_queue
from pinbridge.server import ServerContext, bind_socket, create_app
from tests.server.events import purchase
from tests.server.harness import ACCOUNT


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[str, ServerContext]]:
    settings = settings_from_mapping(
        {
            "pinterest": {"ad_account_id": ACCOUNT},
            "queue": {"url": f"sqlite:///{tmp_path / 'queue.db'}"},
        },
        env={},
    )
    queue = open_queue(settings.queue)
    app = create_app(settings, queue, Metrics())
    sock = bind_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])))
    thread.start()
    try:
        while not server.started and thread.is_alive():
            thread.join(0.02)
        host, port = sock.getsockname()[:2]
        yield f"http://{host}:{port}", app.state.pinbridge
    finally:
        server.should_exit = True
        thread.join(30)
        queue.close()


def test_new_ingest_is_refused_while_shutting_down(running: tuple[str, ServerContext]) -> None:
    base_url, context = running
    with httpx.Client(base_url=base_url) as http:
        assert http.post("/events", json=purchase("before")).status_code == 202
        context.draining = True
        refused = http.post("/events/batch", json={"batch": [purchase("after")]})
        assert refused.status_code == 503
        assert int(refused.headers["Retry-After"]) > 0
        assert "shutting down" in refused.json()["error"]
        assert http.get("/v1/events/after").status_code == 404
        readiness = http.get("/readyz")
        assert readiness.status_code == 503
        assert any("shutting down" in reason for reason in readiness.json()["reasons"])
        assert http.get("/v1/events/before").json()["status"] == "queued"
