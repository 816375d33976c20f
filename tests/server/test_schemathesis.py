"""The API document is the truth: a bounded schemathesis pass over every operation.

A real ``pinbridge serve`` (delivering to a real simulator) runs with a sender key and an
operator key, on a SQLite queue and then on PostgreSQL; its own ``/openapi.json`` is loaded and
schemathesis sends generated requests, valid and invalid, to every operation. Every answer must
be documented (status code, content type, headers, body schema), none may be a 5xx, a request
the document calls valid must be accepted and one it calls invalid must be refused.

The pass's requests carry the operator key, which opens every endpoint and makes
``?destination=`` meaningful on ingest too (a sender key's requests ignore it); the refusals
(keys, Host, sizes, content types) are provoked by hand. The pass is bounded (a few examples
per operation, no stateful phase) and deterministic (derandomized, one seed). It runs through
schemathesis's engine: its pytest loader cannot wait for a server started by a fixture.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from schemathesis.core.result import Err, Ok
from schemathesis.engine import events
from schemathesis.specs.openapi.checks import negative_data_rejection

from tests.conftest import POSTGRES_ENV
from tests.server.events import filtered, invalid, purchase
from tests.server.harness import ServerProcess, server_config, start_server, wait_for
from tests.support.postgres import fresh_schema_url
from tests.support.simulator import SimulatorProcess, start_simulator

SENDER_KEY = "sender-key-schemathesis-0123"
ADMIN_KEY = "operator-key-schemathesis-4567"
SENDER = {"Authorization": f"Bearer {SENDER_KEY}"}
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}
MAX_EXAMPLES = 10
SEED = 20261128
DELIVERED = "seed-delivered"
DEAD = "seed-dead"
NDJSON = "application/x-ndjson"
REFUSALS = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429]
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
    "invalid_data_is_refused",
    "the_operator_key_opens_everything",
)


@schemathesis.serializer(NDJSON)
def _ndjson(context: schemathesis.SerializationContext, value: Any) -> bytes:
    """The document describes an NDJSON body as the list of its lines."""
    lines = value if isinstance(value, list) else [value]
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


@schemathesis.check
def invalid_data_is_refused(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    """schemathesis's ``negative_data_rejection``, except for NDJSON bodies.

    NDJSON lines stand alone: a line that is not an event is answered as that event's
    ``invalid`` result in a 202, by design, so "invalid" NDJSON is accepted whatever it is.
    """
    if case.media_type == NDJSON:
        return None
    return negative_data_rejection(ctx, response, case)


@schemathesis.check
def the_operator_key_opens_everything(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    """Every request of the pass carries the operator key: a 401 means it was not sent, and
    the pass would test nothing but refusals."""
    if response.status_code == 401:
        raise AssertionError(f"401 for a request with the operator key: {response.text}")
    return None


@pytest.fixture(scope="module")
def simulator() -> Iterator[SimulatorProcess]:
    with start_simulator() as running:
        yield running


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    simulator: SimulatorProcess,
) -> Iterator[ServerProcess]:
    """A server on a SQLite queue, then one on PostgreSQL (where the suite has one)."""
    directory: Path = tmp_path_factory.mktemp("schemathesis")
    with contextlib.ExitStack() as stack:
        sections: dict[str, dict[str, Any]] = {
            "pinterest": {"api_base_url": simulator.base_url},
            "server": {"source_keys": [SENDER_KEY], "admin_keys": [ADMIN_KEY]},
            "delivery": {"batch_max_age_seconds": 0.1},
        }
        if request.param == "postgresql":
            dsn = os.environ.get(POSTGRES_ENV, "").strip()
            if not dsn:
                pytest.skip(f"{POSTGRES_ENV} is not set; PostgreSQL tests need a server")
            url = stack.enter_context(fresh_schema_url(dsn, "schemathesis"))
            sections["queue"] = {"url": url}
        running = stack.enter_context(start_server(server_config(directory, sections=sections)))
        _seed(running, simulator)
        yield running


def _seed(server: ServerProcess, simulator: SimulatorProcess) -> None:
    """Give the answers something to show: a delivered event, a dead letter, counts."""
    simulator.configure(fail_prefix=DEAD)
    batch = [purchase(DELIVERED), purchase(DEAD), filtered("seed-f"), invalid("seed-i")]
    with server.client(headers=ADMIN) as http:
        assert http.post("/events/batch", json={"batch": batch}, headers=SENDER).status_code == 202

        def settled() -> bool:
            statuses = {e["event_id"]: e["status"] for e in http.get("/v1/events").json()["events"]}
            return statuses == {DELIVERED: "delivered", DEAD: "failed"}

        wait_for(settled, what="the seeded events to be delivered and refused")


def _schema(server: ServerProcess) -> schemathesis.BaseSchema:
    """The live server's document; the pass's requests carry the operator key (cases made
    by hand carry only the headers given to their call)."""
    return schemathesis.openapi.from_url(
        f"{server.base_url}/openapi.json", config=_config(server.base_url)
    )


def _config(base_url: str) -> schemathesis.Config:
    checks: dict[str, Any] = {"enabled": False}
    checks.update({name: {"enabled": True} for name in CHECKS})
    # Refusing too much (too many events, too large a body) is a 413.
    checks["negative_data_rejection"] = {"enabled": False, "expected-statuses": REFUSALS}
    return schemathesis.Config.from_dict(
        {
            "base-url": base_url,
            "seed": SEED,
            "workers": 1,
            # Generation speed depends on the machine's load; the server's answers do not.
            "suppress-health-check": ["all"],
            "headers": ADMIN,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "with-security-parameters": False,
                "database": "none",
            },
            "phases": {"stateful": {"enabled": False}},
            "checks": checks,
        }
    )


def test_populated_answers_match_the_document(server: ServerProcess) -> None:
    """Generated requests rarely name a real event; these name the seeded ones."""
    schema = _schema(server)
    history = schema["/v1/events/{event_id}"]["GET"]
    letters = schema["/v1/dead-letters"]["GET"]
    cases = [
        history.Case(path_parameters={"event_id": DELIVERED}),
        history.Case(path_parameters={"event_id": DEAD}),
        letters.Case(query={"group_by": "reason"}),
        letters.Case(query={"destination": "default"}),
        schema["/v1/events"]["GET"].Case(query={"status": "failed"}),
        schema["/v1/stats"]["GET"].Case(query={"window": 600}),
        schema["/v1/match-quality"]["GET"].Case(query={"window": 3600}),
    ]
    answers = [case.call_and_validate(headers=ADMIN).json() for case in cases]
    delivered, dead, groups, page, failed, stats, quality = answers
    assert delivered["status"] == "delivered" and len(delivered["attempts"]) == 1
    assert dead["status"] == "failed" and dead["payload"]["event_id"] == DEAD
    assert groups["total"] == page["total"] == 1 and groups["groups"][0]["count"] == 1
    assert [event["event_id"] for event in failed["events"]] == [DEAD]
    assert stats["by_event_name"]["checkout"]["queued"] == 2
    assert quality["event_names"]["checkout"]["events"] == 2


def test_refusals_match_the_document(server: ServerProcess) -> None:
    """Answers the pass does not provoke: wrong keys, a foreign Host, too much, a form."""
    schema = _schema(server)
    event = schema["/events"]["POST"]
    refusals = [
        (schema["/v1/status"]["GET"].Case(), SENDER, 401),
        (schema["/v1/dead-letters"]["GET"].Case(query={"token": ADMIN_KEY}), {}, 401),
        (event.Case(body={}), {}, 401),
        (schema["/metrics"]["GET"].Case(), {}, 401),
        (schema["/healthz"]["GET"].Case(), {"Host": "attacker.example"}, 421),
        (event.Case(body={"padding": "x" * 40_000}), SENDER, 413),
        (event.Case(body="a=b", media_type="text/plain"), SENDER, 415),
        (schema["/v1/transform"]["POST"].Case(body=[0] * 20_000), ADMIN, 413),
        (
            schema["/v1/dead-letters/discard"]["POST"].Case(
                body={"row_ids": list(range(1, 200_000))}
            ),
            ADMIN,
            413,
        ),
    ]
    for case, headers, status in refusals:
        response = case.call_and_validate(
            headers=headers, excluded_checks=[the_operator_key_opens_everything]
        )
        assert response.status_code == status, (case.path, response.text)


def test_every_answer_is_documented(server: ServerProcess) -> None:
    schema = _schema(server)
    documented = {_operation(result).label for result in schema.get_all_operations()}
    problems, tested = _run(schema)
    assert not problems, f"{len(problems)} mismatches:\n\n" + "\n\n".join(problems)
    # schemathesis leaves out the document's own endpoint; test_operations checks it.
    assert tested == documented - {"GET /openapi.json"}


def _operation(result: Ok[Any] | Err[Any]) -> Any:
    assert isinstance(result, Ok), f"the document has an invalid operation: {result.err()}"
    return result.ok()


def _run(schema: schemathesis.BaseSchema) -> tuple[list[str], set[str]]:
    """Every distinct failure of the pass, and the operations it exercised."""
    problems: set[str] = set()
    tested: set[str] = set()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            if event.recorder.cases:
                tested.add(event.recorder.label)
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    if node.failure_info is not None:
                        failure = node.failure_info.failure
                        problems.add(
                            f"{failure.operation}: {failure.title}\n{failure.message}\n"
                            f"{node.failure_info.code_sample}"
                        )
        elif isinstance(event, events.NonFatalError):
            problems.add(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            problems.add(f"schemathesis stopped: {event.exception!r}")
        elif isinstance(event, events.EngineFinished):
            problems.update(str(failure) for failure in event.failures)
    return sorted(problems), tested
