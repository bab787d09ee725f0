"""The static floor answers what warroom answered: the same bytes and headers, the gzip variant
to clients that accept gzip, and no header aiohttp sets itself twice."""

from __future__ import annotations

import base64
import gzip
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bench.static_app import Documents, Variant, accepts_gzip, capture_documents, create_app

PAGE = b"<!doctype html><title>Status</title>" * 50


def _variant(body: bytes, *headers: tuple[str, str]) -> Variant:
    return {
        "status": 200,
        "headers": [[name, value] for name, value in headers],
        "body": base64.b64encode(body).decode(),
    }


async def _serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def warroom_like() -> AsyncIterator[str]:
    """A server answering /status like a warroom that compresses for gzip clients."""

    async def handle(request: web.Request) -> web.Response:
        headers = {"ETag": '"v7"', "Cache-Control": "public, max-age=10", "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            headers["Content-Encoding"] = "gzip"
            return web.Response(
                body=gzip.compress(PAGE, mtime=0), headers=headers, content_type="text/html"
            )
        return web.Response(body=PAGE, headers=headers, content_type="text/html")

    app = web.Application()
    app.router.add_get("/status", handle)
    async for url in _serve(app):
        yield url


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, GZIP;q=0.5", True),
        ("gzip;q=0", False),
        ("deflate, br", False),
        ("", False),
        ("identity", False),
    ],
)
def test_accepts_gzip_reads_codings_and_quality(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected


async def test_static_app_replays_captured_bytes_and_headers_per_encoding(
    warroom_like: str,
) -> None:
    async with aiohttp.ClientSession() as session:
        documents: Documents = await capture_documents(session, warroom_like, ["/status"])
        async for floor in _serve(create_app(documents)):
            for accept in ("gzip, deflate", None):
                answers = []
                for base in (warroom_like, floor):
                    headers = {"Accept-Encoding": accept} if accept else {}
                    skip = () if accept else ("Accept-Encoding",)
                    async with session.get(
                        base + "/status",
                        headers=headers,
                        skip_auto_headers=skip,
                        auto_decompress=False,
                    ) as response:
                        kept = {k: v for k, v in response.headers.items() if k not in {"Date"}}
                        answers.append((response.status, kept, await response.read()))
                assert answers[0] == answers[1]
                assert (answers[1][1].get("Content-Encoding") == "gzip") is (accept is not None)


async def test_static_app_drops_headers_aiohttp_sets_itself() -> None:
    plain = _variant(
        b"{}",
        ("Content-Type", "application/json"),
        ("Content-Length", "999"),
        ("Date", "Mon, 01 Jan 2024 00:00:00 GMT"),
        ("Connection", "close"),
        ("Access-Control-Allow-Origin", "*"),
    )
    async with aiohttp.ClientSession() as session:
        async for floor in _serve(create_app({"/x.json": {"plain": plain, "gzip": plain}})):
            async with session.get(floor + "/x.json") as response:
                assert await response.read() == b"{}"
                assert response.headers["Content-Length"] == "2"
                assert response.headers["Content-Type"] == "application/json"
                assert response.headers["Access-Control-Allow-Origin"] == "*"
                assert response.headers["Date"] != "Mon, 01 Jan 2024 00:00:00 GMT"
                assert response.headers.get("Connection") != "close"
