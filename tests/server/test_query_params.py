"""Query parameters are strict everywhere: bad ones are a 400 naming the range, never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.server.harness import ServerProcess, server_config, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    config = server_config(tmp_path_factory.mktemp("params"))
    with start_server(config, "--no-delivery") as running:
        yield running


@pytest.fixture
def http(server: ServerProcess) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("offset=99999999999999999999", "offset"),
        ("offset=" + "9" * 5000, "offset"),  # longer than int() accepts by default
        ("offset=1000000001", "offset"),
        ("offset=%C2%B2", "offset"),  # '²': str.isdigit() says yes, int() refuses
        ("limit=%D9%A3", "limit"),  # Arabic-Indic three: int() would read it as 3
        ("limit=-1", "limit"),
        ("offset=-1", "offset"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=", "limit"),
        ("offset=", "offset"),
        ("limit=+5", "limit"),
        ("limit=%205", "limit"),
        ("limit=5.0", "limit"),
        ("limit=1&limit=2", "limit"),
    ],
)
def test_a_bad_query_parameter_is_a_400_with_the_range(
    http: httpx.Client, query: str, named: str
) -> None:
    response = http.get(f"/v1/dead-letters?{query}")
    assert response.status_code == 400, response.text
    message = response.json()["error"]
    assert f"query parameter {named}" in message
    assert "ASCII digits" in message or "empty" in message or "once" in message
    assert "from " in message and " to " in message, "the message gives the allowed range"


def test_good_query_parameters_are_taken(http: httpx.Client) -> None:
    page = http.get("/v1/dead-letters?limit=1000&offset=1000000000")
    assert page.status_code == 200, page.text
    assert (page.json()["limit"], page.json()["offset"]) == (1000, 10**9)
    default = http.get("/v1/dead-letters").json()
    assert (default["limit"], default["offset"]) == (100, 0)
