"""Validate payloads against Pinterest's official OpenAPI schema (from ``../shared``).

Uses an OpenAPI 3.0 validator so that ``nullable``, ``additionalProperties: false`` and
``required`` are honoured exactly as Pinterest's schema states them.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.support.shared import OPENAPI_PATH

__all__ = ["contract_errors", "require_contract", "validate_request", "validate_event"]

_SKIP_REASON = (
    f"Pinterest's OpenAPI contract is not at {OPENAPI_PATH} "
    "(the shared/ folder beside the repository); contract checks skipped"
)


def require_contract() -> None:
    """Skip the calling test, saying why, when the shared contract file is absent."""
    if not OPENAPI_PATH.is_file():
        pytest.skip(_SKIP_REASON)


@cache
def _validators() -> tuple[OAS30Validator, OAS30Validator]:
    document = json.loads(OPENAPI_PATH.read_text())
    resource = Resource.from_contents(document, default_specification=DRAFT4)
    registry: Registry[Any] = Registry().with_resource("urn:pinterest", resource)
    request = {"$ref": "urn:pinterest#/components/schemas/ConversionEvents"}
    event = {"$ref": "urn:pinterest#/components/schemas/ConversionEvents/properties/data/items"}
    return (
        OAS30Validator(request, registry=registry),
        OAS30Validator(event, registry=registry),
    )


def contract_errors(body: Any, *, event: bool = False) -> list[str]:
    """Every schema violation in ``body`` (a whole request, or one event), as text."""
    require_contract()
    validator = _validators()[1 if event else 0]
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator.iter_errors(body)
    ]


def validate_event(event: Any) -> None:
    """Assert that one mapped event is a valid element of ``ConversionEvents.data``."""
    errors = contract_errors(event, event=True)
    assert not errors, errors


def validate_request(body: Any) -> None:
    """Assert that a whole request body is a valid ``ConversionEvents``."""
    errors = contract_errors(body)
    assert not errors, errors
