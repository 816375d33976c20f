"""Read a request body without ever holding more than a limit in memory.

A declared ``Content-Length`` over the limit is refused before reading; otherwise the
stream is read chunk by chunk and abandoned as soon as it passes the limit.
"""

from __future__ import annotations

from starlette.requests import Request

__all__ = ["BodyTooLarge", "read_bounded"]


class BodyTooLarge(Exception):
    """The body is over ``limit`` bytes; ``seen`` is how much was declared or read."""

    def __init__(self, seen: int, limit: int, *, declared: bool) -> None:
        super().__init__(f"body of {seen} bytes over the {limit}-byte limit")
        self.seen = seen
        self.limit = limit
        self.declared = declared


async def read_bounded(request: Request, limit: int) -> bytes:
    """The whole body, or :class:`BodyTooLarge` once it is known to exceed ``limit``."""
    declared = request.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(int(declared), limit, declared=True)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(size, limit, declared=False)
        chunks.append(chunk)
    return b"".join(chunks)
