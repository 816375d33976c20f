"""The trivial handler of bench/e2e.py: pinbridge's own stack, doing nothing else.

Starlette under uvicorn, started with pinbridge's own ``run``, ``bind_socket`` and
``serve_app`` (src/pinbridge/server/runner.py), so the uvicorn settings, the event loop and
the HTTP parser are those of ``pinbridge serve``. ``POST /events`` and ``POST /events/batch``
read the whole body and answer 202 with a tiny JSON body: the ceiling of this stack on this
machine, which bench/e2e.py compares pinbridge with. Prints
``trivial handler listening on http://HOST:PORT`` once it takes requests.

    python bench/e2e_trivial.py [--port 0]
"""

from __future__ import annotations

import argparse
import sys

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pinbridge.config import ServerSettings
from pinbridge.server.runner import bind_socket, run, serve_app

__all__ = ["app", "main"]

_ANSWER = b'{"status":"accepted"}'


async def _accept(request: Request) -> Response:
    await request.body()
    return Response(_ANSWER, status_code=202, media_type="application/json")


app = Starlette(
    routes=[
        Route("/events", _accept, methods=["POST"]),
        Route("/events/batch", _accept, methods=["POST"]),
    ]
)


async def _serve(host: str, port: int) -> None:
    sock = bind_socket(host, port)
    url = f"http://{host}:{sock.getsockname()[1]}"
    try:
        await serve_app(
            app,
            sock,
            ServerSettings(),  # pinbridge serve's default limits and timeouts
            on_signal=lambda: None,
            on_ready=lambda: print(f"trivial handler listening on {url}", flush=True),
        )
    finally:
        sock.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    run(_serve(args.host, args.port))  # the event loop of pinbridge serve
    return 0


if __name__ == "__main__":
    sys.exit(main())
