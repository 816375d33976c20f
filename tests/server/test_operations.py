"""Probes, metrics, the OpenAPI document (checked against the real answers) and the console's
files."""

from __future__ import annotations

import posixpath
import re
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from pinbridge.server import console, dashboard, deliverylog, ingest, insights, ops, reloading
from tests.server.events import filtered, invalid, purchase
from tests.server.harness import ServerProcess, run_cli, server_config, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    config = server_config(tmp_path_factory.mktemp("operations"))
    with start_server(config, "--no-delivery") as running:
        yield running


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@cache
def _document(base_url: str) -> dict[str, Any]:
    response = httpx.get(f"{base_url}/openapi.json")
    assert response.headers["content-type"].startswith("application/json")
    document: dict[str, Any] = orjson.loads(response.content)
    return document


def _check(base_url: str, path: str, method: str, response: httpx.Response) -> None:
    """Assert that ``response`` matches the schema documented for it."""
    document = _document(base_url)
    documented = _resolved(document, document["paths"][path][method]["responses"])
    documented = _resolved(document, documented[str(response.status_code)])
    media = documented["content"]
    assert response.headers["content-type"].split(";")[0] in media, (path, response.status_code)
    schema = media.get("application/json", {}).get("schema")
    if schema is None:
        return
    resource = Resource.from_contents(document, default_specification=DRAFT4)
    registry: Registry[Any] = Registry().with_resource("urn:pinbridge", resource)
    validator = OAS30Validator(_within(schema, "urn:pinbridge"), registry=registry)
    errors = list(validator.iter_errors(response.json()))
    assert not errors, [e.message for e in errors]


def _within(schema: Any, base: str) -> Any:
    """``schema`` with its local references (``#/...``) made to point into ``base``."""
    if isinstance(schema, dict):
        return {
            key: base + value if key == "$ref" else _within(value, base)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_within(item, base) for item in schema]
    return schema


def _resolved(document: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """``item``, or what its ``$ref`` (``#/components/...``) points to."""
    while "$ref" in item:
        node: Any = document
        for part in item["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        item = node
    return item


def _app_routes() -> set[tuple[str, str]]:
    routes = [
        *ingest.routes,
        *deliverylog.routes,
        *reloading.routes,
        *console.routes,
        *insights.routes,
        *ops.routes,
        *dashboard.routes,
    ]
    found = set()
    for route in routes:
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        for method in route.methods or ():
            if method != "HEAD":
                found.add((path, method.lower()))
    return found


def test_health_and_readiness(http: httpx.Client, server: ServerProcess) -> None:
    health = http.get("/healthz")
    assert health.json() == {"status": "ok"}
    ready = http.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready", "reasons": []}
    _check(server.base_url, "/healthz", "get", health)
    _check(server.base_url, "/readyz", "get", ready)


def test_metrics_count_ingest_results_and_read_the_queue_depth(http: httpx.Client) -> None:
    def sample(text: str, name: str) -> float:
        match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
        return float(match.group(1)) if match else 0.0

    queued = 'pinbridge_events_total{destination="default",event_name="checkout",status="queued"}'
    rejected = 'pinbridge_events_total{destination="default",event_name="none",status="invalid"}'
    before = http.get("/metrics").text
    batch = [purchase(f"m-{uuid.uuid4()}") for _ in range(3)] + [invalid("m-x"), filtered("m-y")]
    http.post("/events/batch", json={"batch": batch})
    after = http.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    assert sample(after.text, queued) - sample(before, queued) == 3
    assert sample(after.text, rejected) - sample(before, rejected) == 1
    depth = http.get("/v1/status").json()["queue_depth"]
    assert sample(after.text, "pinbridge_queue_depth") == depth >= 3
    assert "_created" not in after.text


def test_openapi_lists_every_route_and_matches_the_answers(
    http: httpx.Client, server: ServerProcess
) -> None:
    document = _document(server.base_url)
    assert document["openapi"].startswith("3.")
    documented = {(p, m) for p, ops_ in document["paths"].items() for m in ops_}
    assert documented == _app_routes()

    base = server.base_url
    event_id = f"doc-{uuid.uuid4()}"
    batch = {"batch": [purchase(event_id), filtered("f"), invalid("i"), purchase(event_id)]}
    _check(base, "/events/batch", "post", http.post("/events/batch", json=batch))
    repeated = http.post("/events/batch", json={"batch": [{}, {}]})
    assert repeated.json()["results"][1] == {"same_as": 0}
    _check(base, "/events/batch", "post", repeated)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    _check(base, "/events/batch", "post", http.post("/events/batch", content=b"a=b", headers=form))
    _check(base, "/events", "post", http.post("/events", content=b"a=b", headers=form))
    _check(base, "/events", "post", http.post("/events", json=purchase(f"doc-{uuid.uuid4()}")))
    _check(base, "/events", "post", http.post("/events", content=b"{"))
    _check(base, "/v1/events/{event_id}", "get", http.get(f"/v1/events/{event_id}"))
    _check(base, "/v1/events/{event_id}", "get", http.get("/v1/events/unknown"))
    _check(base, "/v1/dead-letters", "get", http.get("/v1/dead-letters"))
    _check(base, "/v1/dead-letters", "get", http.get("/v1/dead-letters?offset=-1"))
    replay = http.post("/v1/dead-letters/replay", json={"all": True})
    assert replay.json() == {"replayed": 0}
    _check(base, "/v1/dead-letters/replay", "post", replay)
    _check(base, "/v1/dead-letters/replay", "post", http.post("/v1/dead-letters/replay", json={}))
    _check(base, "/v1/status", "get", http.get("/v1/status"))
    for path in ("/", "/metrics", "/openapi.json"):
        _check(base, path, "get", http.get(path))
    for file in ("main.js", "pages/events.js", "console.css", "icon.svg", "nope.js"):
        _check(base, "/console/{file}", "get", http.get(f"/console/{file}"))
    console = document["paths"]["/console/{file}"]["get"]["parameters"][0]["schema"]["enum"]
    assert sorted(console) == sorted(dashboard.console_files()), "list the console's files"


def test_the_console_loads_nothing_from_elsewhere(http: httpx.Client) -> None:
    page = http.get("/")
    assert page.status_code == 200
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "unsafe" not in policy
    assert "<script>" not in page.text and "style=" not in page.text  # nothing inline
    for asset in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert asset.startswith(("/", "#")), f"the console loads {asset} from elsewhere"
    files = dashboard.console_files()
    assert {"main.js", "api.js", "charts.js", "console.css", "pages/overview.js"} <= set(files)
    scripts = ""
    for name, (content, media_type) in files.items():
        served = http.get(f"/console/{name}")
        assert served.status_code == 200 and served.content == content, name
        assert served.headers["content-type"].startswith(media_type)
        assert served.headers["content-security-policy"] == policy
        text = content.decode()
        assert not re.search(r'(?:from|import)\s*\(?\s*"(?!\.\.?/)', text), (
            f"{name} imports from afar"
        )
        assert text.count("fetch(") == (1 if name == "api.js" else 0), name  # one door to the API
        for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "eval(", "Function("):
            assert forbidden not in text, f"{name} uses {forbidden}"
        for imported in re.findall(r'from "(\.\.?/[^"]+)"', text):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), imported))
            assert target in files, f"{name} imports {imported}, which the console does not serve"
        scripts += text
    for endpoint in ("/v1/status", "/v1/stats", "/v1/events", "/v1/dead-letters", "/v1/transform"):
        assert endpoint in scripts
    for endpoint in ("/v1/match-quality", "/v1/config", "/v1/dead-letters/${verb}"):
        assert endpoint in scripts
    assert http.get("/console/../index.html").status_code == 404
    assert http.get("/console/pages").status_code == 404


def test_serve_refuses_to_start_without_credentials(tmp_path: Path) -> None:
    config = tmp_path / "empty.toml"
    config.write_text('[queue]\nurl = "sqlite:///' + str(tmp_path / "q.db") + '"\n')
    result = run_cli("serve", "--config", str(config), "--port", "0")
    assert result.returncode == 2
    message = result.stderr
    assert "[pinterest] ad_account_id" in message and "PINBRIDGE_AD_ACCOUNT_ID" in message
    assert "[pinterest] access_token" in message and "PINBRIDGE_ACCESS_TOKEN" in message
