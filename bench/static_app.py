"""The status page floor: a bare aiohttp process serving, from memory, the very bytes and headers
warroom answered for each measured path.

Usage: `python -m bench.static_app --port 3002 --documents FILE.json`, where FILE was written by
`capture_documents` (the bench fetches each path from warroom first, once as is and once with
`Accept-Encoding: gzip`). A request whose Accept-Encoding accepts gzip gets the gzip variant,
others the plain one, whether or not warroom compressed it. The response headers warroom sent are
replayed, but for those aiohttp sets itself (length, date, server, hop-by-hop). No access log:
warroom is served by `web.run_app` with aiohttp's access logger below INFO (bot/logs.py), so it
formats no access line either. Nothing is conditional here: wrk sends no If-None-Match.
"""

from __future__ import annotations

import argparse
import base64
import json
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypedDict

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

# Set by aiohttp itself for every response, or meaningful only on one hop.
SKIPPED = frozenset(
    {
        "connection",
        "content-length",
        "date",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "server",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
PLAIN, GZIP = "plain", "gzip"


class Variant(TypedDict):
    """One captured response: status, headers in the order sent, body in base64."""

    status: int
    headers: list[list[str]]
    body: str


Documents = dict[str, dict[str, Variant]]  # path -> PLAIN or GZIP -> variant
Response = tuple[int, CIMultiDict[str], bytes]
Handler = Callable[[web.Request], Awaitable[web.Response]]


def accepts_gzip(accept_encoding: str) -> bool:
    """Return whether an Accept-Encoding value accepts gzip (`gzip;q=0` refuses it)."""
    for item in accept_encoding.lower().split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        if coding in {"gzip", "x-gzip"}:
            return all(_quality(param) > 0 for param in params)
    return False


def _quality(param: str) -> float:
    if not param.startswith("q="):
        return 1.0
    try:
        return float(param[2:])
    except ValueError:
        return 1.0


async def _fetch(session: aiohttp.ClientSession, url: str, *, gzip: bool) -> Variant:
    """GET `url` as a browser with (or a client without) gzip would; keep the raw bytes."""
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    skip = () if gzip else ("Accept-Encoding",)
    async with session.get(
        url, headers=headers, skip_auto_headers=skip, auto_decompress=False
    ) as response:
        body = await response.read()
        return {
            "status": response.status,
            "headers": [[name, value] for name, value in response.headers.items()],
            "body": base64.b64encode(body).decode(),
        }


async def capture_documents(
    session: aiohttp.ClientSession, base_url: str, paths: Sequence[str]
) -> Documents:
    """Fetch each path from `base_url`, plain and with gzip."""
    return {
        path: {
            PLAIN: await _fetch(session, base_url + path, gzip=False),
            GZIP: await _fetch(session, base_url + path, gzip=True),
        }
        for path in paths
    }


def save_documents(documents: Documents, out: Path) -> None:
    """Write the documents where the static app reads them."""
    out.write_text(json.dumps(documents))


def body_bytes(variant: Variant) -> int:
    """Return the size of a variant's body as sent (compressed or not)."""
    return len(base64.b64decode(variant["body"]))


def _response(variant: Variant) -> Response:
    headers: CIMultiDict[str] = CIMultiDict()
    for name, value in variant["headers"]:
        if name.lower() not in SKIPPED:
            headers.add(name, value)
    return variant["status"], headers, base64.b64decode(variant["body"])


def _serve(plain: Response, gzip: Response) -> Handler:
    """Return a handler answering `gzip` to clients that accept it, `plain` to the others."""

    async def handle_document_http(request: web.Request) -> web.Response:
        use = gzip if accepts_gzip(request.headers.get("Accept-Encoding", "")) else plain
        status, headers, body = use
        return web.Response(status=status, body=body, headers=headers)

    return handle_document_http


def create_app(documents: Documents) -> web.Application:
    """Serve each captured path from memory."""
    app = web.Application()
    for path, variants in documents.items():
        app.router.add_get(path, _serve(_response(variants[PLAIN]), _response(variants[GZIP])))
    app.router.add_get("/healthz", handle_healthz_http)
    return app


async def handle_healthz_http(_: web.Request) -> web.Response:
    """Answer 200 once serving."""
    return web.Response(text="ok")


def main() -> None:
    """Serve the captured documents on 127.0.0.1."""
    parser = argparse.ArgumentParser(prog="python -m bench.static_app")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--documents", type=Path, required=True)
    args = parser.parse_args()
    app = create_app(json.loads(args.documents.read_text()))
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
