"""Keep an ingest answer within a few times the size of its request.

An answer has one result per event, in order. Without care, 1,000 ``{}`` lines (3 KB) would
get 1,000 long ``invalid`` results (300 KB): a cheap way to make the server build, hold and
send far more than it was sent. Two rules keep every result in its place and the answer small:

- **Repeated results are sent once.** A result identical to an earlier one in the same answer
  is sent as ``{"same_as": i}``, ``i`` being the index of the first event that has it (always
  a full result). ``queued`` results are never replaced: their event ids are unique.
- **Error details have a budget**: the ``invalid`` results sent in full may take as many bytes
  as the request body (at least :data:`MIN_DETAIL_BYTES`). Past it, an invalid event's result
  is :data:`DETAILS_LEFT_OUT` (sent once, then referenced like any repeat), so that errors that
  differ only by their line number cannot grow the answer either.
"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["DETAILS_LEFT_OUT", "MIN_DETAIL_BYTES", "compact_results", "expand_results"]

MIN_DETAIL_BYTES = 4096
DETAILS_LEFT_OUT: dict[str, Any] = {
    "status": "invalid",
    "errors": [
        "not detailed: the errors of earlier events already fill this answer's budget "
        "(the size of the request); fix those and send the events again to see what is left"
    ],
    "warnings": [],
}


def compact_results(results: list[dict[str, Any]], request_bytes: int) -> list[dict[str, Any]]:
    """``results`` with repeats as ``{"same_as": i}`` and invalid details within budget."""
    budget = max(request_bytes, MIN_DETAIL_BYTES)
    spent = 0
    first_index: dict[bytes, int] = {}
    compact: list[dict[str, Any]] = []
    for index, full in enumerate(results):
        if full["status"] == "queued":
            compact.append(full)
            continue
        invalid = full["status"] == "invalid"
        result = DETAILS_LEFT_OUT if invalid and spent >= budget else full
        key = orjson.dumps(result, option=orjson.OPT_SORT_KEYS)
        first = first_index.get(key)
        if first is not None:
            compact.append({"same_as": first})
            continue
        first_index[key] = index
        if invalid:
            spent += len(key)
        compact.append(result)
    return compact


def expand_results(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For a client: each event's own result, ``{"same_as": i}`` replaced by result ``i``."""
    return [results[result["same_as"]] if "same_as" in result else result for result in results]
