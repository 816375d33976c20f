"""Several destinations in one ``pinbridge serve``, sender keys apart from operator keys, and
live reload, against two real simulator processes (one per Pinterest account)."""

from __future__ import annotations

import signal
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.server.events import purchase
from tests.server.harness import ServerProcess, run_cli, start_server, wait_for
from tests.support.simulator import SimulatorProcess, start_simulator

FR_ACCOUNT = "111111111111"
DE_ACCOUNT = "222222222222"
FR_TOKEN = "fr-token-9d8c7b6a5f4e"
DE_TOKEN = "de-token-1a2b3c4d5e6f"
FR_KEY = "fr-sender-key-0123456789"
DE_KEY = "de-sender-key-0123456789"
ADMIN_KEY = "operator-key-abcdefghijkl"

ADMIN_GETS = (
    "/v1/status",
    "/v1/dead-letters",
    "/v1/events/some-event",
    "/metrics",
)


@dataclass
class Deployment:
    """A server with two destinations, each delivering to its own simulator."""

    server: ServerProcess
    fr: SimulatorProcess
    de: SimulatorProcess
    config: Path
    de_token_file: Path

    def http(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return self.server.client(headers=headers)


def _config(directory: Path, fr: SimulatorProcess, de: SimulatorProcess, token_file: Path) -> str:
    return f"""
[pinterest]
ad_account_id = "{FR_ACCOUNT}"
access_token = "{FR_TOKEN}"
api_base_url = "{fr.base_url}"

[server]
source_keys = ["{FR_KEY}"]
admin_keys = ["{ADMIN_KEY}"]

[queue]
url = "sqlite:///{directory / "queue.db"}"

[delivery]
batch_max_age_seconds = 0.1
pause_seconds = 0.5

[destinations.de]
ad_account_id = "{DE_ACCOUNT}"
access_token_file = "{token_file}"
api_base_url = "{de.base_url}"
source_keys = ["{DE_KEY}"]

[destinations.de.events]
order_completed = "checkout"

[destinations.de.mapping]
"custom_data.order_id" = "de_order"
"""


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    token_file = tmp_path / "de-token"
    token_file.write_text(DE_TOKEN + "\n")
    with (
        start_simulator("--tokens", FR_TOKEN) as fr,
        start_simulator("--tokens", DE_TOKEN) as de,
    ):
        config = tmp_path / "pinbridge.toml"
        config.write_text(_config(tmp_path, fr, de, token_file))
        with start_server(config) as server:
            yield Deployment(server, fr, de, config, token_file)


def _id() -> str:
    return f"evt-{uuid.uuid4().hex[:12]}"


def _accepted(simulator: SimulatorProcess) -> Counter[str]:
    return Counter(simulator.stats()["accepted_event_ids"])


def test_each_sender_key_reaches_only_its_own_account(deployment: Deployment) -> None:
    fr_ids = [_id() for _ in range(5)]
    de_ids = [_id() for _ in range(4)]
    with deployment.http(FR_KEY) as fr, deployment.http(DE_KEY) as de:
        for event_id in fr_ids:
            assert fr.post("/events", json=purchase(event_id)).status_code == 202
        for event_id in de_ids:
            answer = de.post(f"/events?token={DE_KEY}", json=purchase(event_id, de_order="D-1"))
            assert answer.status_code == 202
    wait_for(
        lambda: (
            sum(_accepted(deployment.fr).values()) == 5
            and sum(_accepted(deployment.de).values()) == 4
        ),
        what="both accounts' events delivered",
    )
    assert _accepted(deployment.fr) == Counter(fr_ids)
    assert _accepted(deployment.de) == Counter(de_ids)
    assert {r["ad_account_id"] for r in deployment.fr.stats()["log"]} == {FR_ACCOUNT}
    assert {r["ad_account_id"] for r in deployment.de.stats()["log"]} == {DE_ACCOUNT}
    with deployment.http(ADMIN_KEY) as admin:
        history = admin.get(f"/v1/events/{de_ids[0]}").json()
        assert history["history"][0]["destination"] == "de"
        assert history["status"] == "delivered"
        metrics = admin.get("/metrics").text
    assert 'destination="de"' in metrics and 'destination="default"' in metrics


def test_a_destination_maps_with_its_own_event_table(deployment: Deployment) -> None:
    event_id = _id()
    completed = purchase(event_id, event_name="order_completed")
    with deployment.http(FR_KEY) as fr, deployment.http(DE_KEY) as de:
        [at_fr] = fr.post("/events", json=completed).json()["results"]
        [at_de] = de.post("/events", json=completed).json()["results"]
    assert at_fr == {"status": "filtered", "reason": "unmapped_event"}
    assert at_de["status"] == "queued"
    wait_for(lambda: _accepted(deployment.de)[event_id] == 1, what="the event delivered")
    assert _accepted(deployment.fr)[event_id] == 0


def test_a_sender_key_opens_only_the_ingest_endpoints(deployment: Deployment) -> None:
    with deployment.http(FR_KEY) as sender:
        for path in ADMIN_GETS:
            answer = sender.get(path)
            assert answer.status_code == 401, path
            assert "sender key" in answer.json()["error"]
        refused = sender.post("/v1/dead-letters/replay", json={"all": True})
        assert refused.status_code == 401
        assert sender.post("/v1/reload").status_code == 401


def test_an_admin_key_opens_everything_but_not_in_the_query(deployment: Deployment) -> None:
    with deployment.http(ADMIN_KEY) as admin:
        for path in ADMIN_GETS:
            assert admin.get(path).status_code in (200, 404), path
        assert admin.get("/v1/status").json()["destinations"]["de"]["ad_account_id"] == DE_ACCOUNT
        posted = admin.post("/events?destination=de", json=purchase(_id()))
        assert posted.status_code == 202
        assert admin.post("/events?destination=nowhere", json=purchase(_id())).status_code == 404
    with deployment.http() as anonymous:
        for path in ADMIN_GETS:
            answer = anonymous.get(f"{path}?token={ADMIN_KEY}")
            assert answer.status_code == 401, path
        assert "ingest endpoints only" in anonymous.get(f"/v1/status?token={ADMIN_KEY}").text
        in_url = anonymous.post(f"/events?token={ADMIN_KEY}", json=purchase(_id()))
        assert in_url.status_code == 401
        assert "Authorization header only" in in_url.json()["error"]


def test_readyz_tells_anonymous_callers_only_ready_or_not(deployment: Deployment) -> None:
    deployment.de.configure(tokens=["revoked"])
    with deployment.http(DE_KEY) as de:
        de.post("/events", json=purchase(_id())).raise_for_status()
    with deployment.http() as anonymous, deployment.http(ADMIN_KEY) as admin:
        wait_for(lambda: admin.get("/readyz").status_code == 503, what="the pause")
        public = anonymous.get("/readyz")
        assert public.status_code == 503
        assert public.json() == {"status": "not ready"}
        assert DE_ACCOUNT not in public.text and FR_ACCOUNT not in public.text
        reasons = admin.get("/readyz").json()["reasons"]
        assert any("destination de is paused" in reason for reason in reasons)
        assert anonymous.get("/healthz").status_code == 200


def test_a_rotated_token_file_and_sighup_resume_a_refused_destination(
    deployment: Deployment,
) -> None:
    deployment.de.configure(tokens=["the-new-token-4242"])
    ids = [_id() for _ in range(6)]
    with deployment.http(DE_KEY) as de:
        for event_id in ids:
            de.post("/events", json=purchase(event_id)).raise_for_status()
    with deployment.http(ADMIN_KEY) as admin:
        wait_for(
            lambda: admin.get("/v1/status").json()["destinations"]["de"]["paused"],
            what="destination de paused",
        )
        wait_for(
            lambda: deployment.de.stats()["requests"].get("401", 0) >= 2,
            what="a second probe refused",
        )
        refused_batches = [r for r in deployment.de.stats()["log"] if r["status"] == 401]
        assert all(len(r["event_ids"]) <= 10 for r in refused_batches[1:])  # small probes
        deployment.de_token_file.write_text("the-new-token-4242")
        deployment.server.process.send_signal(signal.SIGHUP)
        wait_for(lambda: sum(_accepted(deployment.de).values()) == 6, what="all delivered")
        status = admin.get("/v1/status").json()
        assert status["destinations"]["de"]["paused"] is None
        assert status["configuration"]["reloads"] == 1
        for event_id in ids:
            history = admin.get(f"/v1/events/{event_id}").json()
            assert [h["status"] for h in history["history"]] == ["queued", "delivered"]
    assert _accepted(deployment.de) == Counter(ids)
    assert "the-new-token-4242" not in deployment.server.stderr_text()


def test_a_broken_configuration_on_reload_keeps_the_old_one(deployment: Deployment) -> None:
    good = deployment.config.read_text()
    deployment.config.write_text(good.replace("[destinations.de.mapping]", "[destinations.DE!]"))
    with deployment.http(ADMIN_KEY) as admin:
        answer = admin.post("/v1/reload")
        assert answer.status_code == 422
        assert "previous one stays in force" in answer.json()["error"]
        status = admin.get("/v1/status").json()["configuration"]
        assert status["reload_error"] is not None and status["reloads"] == 0
        assert status["loaded_at"] is not None
    with deployment.http(DE_KEY) as de:
        assert de.post("/events", json=purchase(_id())).status_code == 202
    deployment.config.write_text(good)
    with deployment.http(ADMIN_KEY) as admin:
        reloaded = admin.post("/v1/reload")
        assert reloaded.status_code == 200
        assert reloaded.json()["destinations"] == ["default", "de"]
        assert admin.get("/v1/status").json()["configuration"]["reload_error"] is None


def test_a_new_sender_key_works_after_a_reload(deployment: Deployment) -> None:
    new_key = "fr-second-key-0123456789"
    text = deployment.config.read_text().replace(
        f'source_keys = ["{FR_KEY}"]', f'source_keys = ["{FR_KEY}", "{new_key}"]'
    )
    with deployment.http(new_key) as newcomer:
        assert newcomer.post("/events", json=purchase(_id())).status_code == 401
        deployment.config.write_text(text)
        with deployment.http(ADMIN_KEY) as admin:
            assert admin.post("/v1/reload").status_code == 200
        assert newcomer.post("/events", json=purchase(_id())).status_code == 202


def test_a_foreign_host_name_is_refused_while_bound_to_loopback(deployment: Deployment) -> None:
    with deployment.http(FR_KEY) as sender:
        rebound = sender.post(
            "/events", json=purchase(_id()), headers={"Host": "attacker.example:8080"}
        )
        assert rebound.status_code == 421
        assert "allowed_hosts" in rebound.json()["error"]
        assert sender.get("/healthz", headers={"Host": "localhost:1234"}).status_code == 200
        assert sender.get("/healthz", headers={"Host": "[::1]:1234"}).status_code == 200


def test_serve_refuses_to_listen_beyond_loopback_without_keys(tmp_path: Path) -> None:
    config = tmp_path / "open.toml"
    config.write_text(
        f"""
[pinterest]
ad_account_id = "{FR_ACCOUNT}"
access_token = "{FR_TOKEN}"
[queue]
url = "sqlite:///{tmp_path / "q.db"}"
"""
    )
    refused = run_cli("serve", "--config", str(config), "--host", "0.0.0.0", "--port", "0")
    assert refused.returncode == 2
    assert "admin_keys" in refused.stderr and "allow_open" in refused.stderr
    assert "source_keys" in refused.stderr
