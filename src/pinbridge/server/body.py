"""Read a request body without ever holding more than a limit in memory, gzip included.

A declared ``Content-Length`` over the limit is refused before reading; otherwise the
stream is read chunk by chunk and abandoned as soon as it passes the limit. A body sent with
``Content-Encoding: gzip`` is decompressed as it arrives, never more than the limit plus one
byte at a time: the limit applies to the decompressed body too, so a small gzip bomb stops
at the limit instead of expanding in memory. Other encodings are refused before reading.
"""

from __future__ import annotations

import zlib

from starlette.requests import Request

__all__ = [
    "BadCompression",
    "BodyTooLarge",
    "UnsupportedEncoding",
    "read_bounded",
    "read_decoded",
]

_GZIP = 16 + zlib.MAX_WBITS  # zlib's window bits for the gzip format
_GZIP_NAMES = ("gzip", "x-gzip")
_IDENTITY_NAMES = ("", "identity")


class BodyTooLarge(Exception):
    """The body is over ``limit`` bytes; ``seen`` is how much was declared or read.

    ``decompressed`` says the limit was passed while decompressing a gzip body.
    """

    def __init__(
        self, seen: int, limit: int, *, declared: bool, decompressed: bool = False
    ) -> None:
        super().__init__(f"body of {seen} bytes over the {limit}-byte limit")
        self.seen = seen
        self.limit = limit
        self.declared = declared
        self.decompressed = decompressed


class UnsupportedEncoding(Exception):
    """The body's ``Content-Encoding`` is not one pinbridge decodes; the message says so."""


class BadCompression(Exception):
    """A body sent as gzip is not valid gzip, or is cut short; the message says which."""


async def read_bounded(request: Request, limit: int) -> bytes:
    """The whole body, or :class:`BodyTooLarge` once it is known to exceed ``limit``."""
    _refuse_declared_over(request, limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(size, limit, declared=False)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_decoded(request: Request, limit: int) -> bytes:
    """The body, decompressed if gzip; both the sent and the decompressed body within ``limit``.

    Raises :class:`UnsupportedEncoding` before reading anything, :class:`BodyTooLarge`, or
    :class:`BadCompression`.
    """
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding in _IDENTITY_NAMES:
        return await read_bounded(request, limit)
    if encoding not in _GZIP_NAMES:
        shown = encoding if len(encoding) <= 40 else encoding[:40] + "..."
        raise UnsupportedEncoding(
            f"Content-Encoding {shown!r} is not accepted; send the body uncompressed, or "
            "gzip-compressed with Content-Encoding: gzip"
        )
    _refuse_declared_over(request, limit)
    gunzip = _Gunzip(limit)
    sent = 0
    async for chunk in request.stream():
        sent += len(chunk)
        if sent > limit:
            raise BodyTooLarge(sent, limit, declared=False)
        gunzip.feed(chunk)
    return gunzip.finish()


def _refuse_declared_over(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length", "").strip()
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(int(declared), limit, declared=True)


class _Gunzip:
    """Incremental gzip decompression that never produces more than ``limit`` + 1 bytes."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._size = 0
        self._parts: list[bytes] = []
        self._inflate = zlib.decompressobj(_GZIP)

    def feed(self, data: bytes) -> None:
        try:
            while data:
                room = self._limit - self._size
                part = self._inflate.decompress(data, room + 1)
                self._size += len(part)
                if self._size > self._limit:
                    raise BodyTooLarge(self._size, self._limit, declared=False, decompressed=True)
                self._parts.append(part)
                if self._inflate.eof:  # a gzip file may hold several members, one after another
                    data = self._inflate.unused_data
                    if data:
                        self._inflate = zlib.decompressobj(_GZIP)
                else:
                    data = self._inflate.unconsumed_tail
        except zlib.error:
            raise BadCompression(
                "the request body is not valid gzip (Content-Encoding: gzip); compress it with "
                "gzip, or send it uncompressed without that header"
            ) from None

    def finish(self) -> bytes:
        if not self._inflate.eof:
            raise BadCompression(
                "the gzip-compressed request body is empty or cut short; send the whole "
                "compressed body"
            )
        return b"".join(self._parts)
