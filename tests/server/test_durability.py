"""A 202 means stored: it survives kill -9; a full queue pushes back with 503 and stores nothing."""

from __future__ import annotations

import uuid
from pathlib import Path

from pinbridge.config import QueueSettings
from pinbridge.queue import open_queue
from tests.server.events import purchase
from tests.server.harness import server_config, start_server


def _ids(count: int) -> list[str]:
    return [f"dur-{uuid.uuid4()}" for _ in range(count)]


def test_accepted_events_survive_a_kill_and_a_restart(tmp_path: Path) -> None:
    database = tmp_path / "queue.db"
    config = server_config(tmp_path, database=database)
    ids = _ids(50)
    with start_server(config, "--no-delivery") as server, server.client() as http:
        response = http.post("/events/batch", json={"batch": [purchase(e) for e in ids]})
        assert response.status_code == 202
        server.kill()  # no shutdown, no chance to flush anything after the answer

    queue = open_queue(QueueSettings(url=f"sqlite:///{database}"))
    try:
        assert all([h.status for h in queue.history(e)] == ["queued"] for e in ids)
        assert queue.depth() == len(ids)
    finally:
        queue.close()

    with start_server(config, "--no-delivery") as server, server.client() as http:
        for event_id in ids:
            assert http.get(f"/v1/events/{event_id}").json()["status"] == "queued"
        again = http.post("/events/batch", json={"batch": [purchase(e) for e in ids[:5]]})
        assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 5


def test_a_full_queue_answers_503_with_retry_after_and_stores_nothing(tmp_path: Path) -> None:
    config = server_config(tmp_path, sections={"queue": {"max_depth": 3}})
    first, refused = _ids(3), _ids(2)
    with start_server(config, "--no-delivery") as server, server.client() as http:
        accepted = http.post("/events/batch", json={"batch": [purchase(e) for e in first]})
        assert [r["status"] for r in accepted.json()["results"]] == ["queued"] * 3

        full = http.post("/events/batch", json={"batch": [purchase(e) for e in refused]})
        assert full.status_code == 503
        assert int(full.headers["Retry-After"]) > 0
        message = full.json()["error"]
        assert "max_depth" in message and "nothing from this request was stored" in message
        assert all(http.get(f"/v1/events/{e}").status_code == 404 for e in refused)
        assert http.post("/events", json=purchase(refused[0])).status_code == 503
        metrics = http.get("/metrics").text
        assert "pinbridge_queue_depth 3.0" in metrics
