"""How the public documents are served: validators and 304s, gzip, caching headers, fresh
after this process's own change, one page per incident, and a support link."""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator, Mapping

import aiohttp
import pytest

from tests.conftest import ALICE, BOB, Bot
from tests.status_page.conftest import SUPPORT_URL

DOCUMENTS = ("/status", "/api/v2/summary.json", "/history.atom", "/history.rss")


@pytest.fixture
async def raw() -> AsyncIterator[aiohttp.ClientSession]:
    """A client that shows bytes as sent: no decompression, no default Accept-Encoding."""
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        yield session


async def fetch(
    session: aiohttp.ClientSession, url: str, **headers: str
) -> tuple[int, bytes, Mapping[str, str]]:
    headers.setdefault("Accept-Encoding", "identity")
    async with session.get(url, headers=headers) as response:
        return response.status, await response.read(), response.headers.copy()


async def open_incident(bot: Bot) -> str:
    channel = await bot.declare("declare sev1 Checkout DB shard 7 corrupt")
    for user, text in [
        (BOB, "update SECRET-INTERNAL-NOTE shard 7 restore"),
        (ALICE, "public-name Checkout errors"),
        (ALICE, "impact Sora major"),
        (ALICE, "status investigating Some payments fail"),
    ]:
        reply = await bot.command(user, channel, text)
        assert ":warning:" not in reply.text, reply.text
    return channel


@pytest.mark.parametrize("path", DOCUMENTS)
async def test_document_revalidated_with_its_etag_or_date_answers_304(
    public_bot: Bot, raw: aiohttp.ClientSession, path: str
) -> None:
    await open_incident(public_bot)
    status, body, headers = await fetch(
        raw, public_bot.url + path, **{"Accept-Encoding": "identity"}
    )
    assert status == 200
    assert body
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert etag.startswith('"')
    assert not etag.startswith("W/")
    cache = headers["Cache-Control"]
    assert "public" in cache
    assert "s-maxage=" in cache
    assert "stale-while-revalidate=" in cache

    status, body, again = await fetch(raw, public_bot.url + path, **{"If-None-Match": etag})
    assert (status, body, again["ETag"]) == (304, b"", etag)
    status, body, _ = await fetch(raw, public_bot.url + path, **{"If-Modified-Since": modified})
    assert (status, body) == (304, b"")
    stale = "Mon, 01 Jan 2024 00:00:00 GMT"
    status, _, _ = await fetch(raw, public_bot.url + path, **{"If-Modified-Since": stale})
    assert status == 200
    status, _, _ = await fetch(raw, public_bot.url + path, **{"If-None-Match": '"other"'})
    assert status == 200


async def test_gzip_only_for_clients_that_take_it(
    public_bot: Bot, raw: aiohttp.ClientSession
) -> None:
    await open_incident(public_bot)
    url = public_bot.url + "/status"
    _, plain, plain_headers = await fetch(raw, url, **{"Accept-Encoding": "identity"})
    _, zipped, headers = await fetch(raw, url, **{"Accept-Encoding": "br, gzip;q=0.8"})
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped) == plain
    assert len(zipped) < len(plain) / 2
    assert headers["Vary"] == "Accept-Encoding"
    assert headers["ETag"] != plain_headers["ETag"]  # one strong tag per representation
    _, _, refused = await fetch(raw, url, **{"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused


async def test_own_public_change_is_served_at_once(
    public_bot: Bot, raw: aiohttp.ClientSession
) -> None:
    channel = await open_incident(public_bot)
    url = public_bot.url + "/api/v2/summary.json"
    _, _, before = await fetch(raw, url)
    reply = await public_bot.command(ALICE, channel, "status identified Bad deploy, rolling back")
    assert ":warning:" not in reply.text
    # No waiting: the very next request after the ack sees the update.
    status, body, after = await fetch(raw, url, **{"If-None-Match": before["ETag"]})
    assert status == 200
    assert after["ETag"] != before["ETag"]
    [incident] = json.loads(body)["incidents"]
    assert incident["incident_updates"][0]["body"] == "Bad deploy, rolling back"


async def test_incident_has_its_own_page_linked_from_everywhere(
    public_bot: Bot, raw: aiohttp.ClientSession
) -> None:
    channel = await open_incident(public_bot)
    await public_bot.command(ALICE, channel, "status monitoring Payments recover")
    await public_bot.command(ALICE, channel, "resolve Payments work again")
    _, body, _ = await fetch(raw, public_bot.url + "/api/v2/incidents.json")
    [incident] = json.loads(body)["incidents"]
    uid, link = incident["id"], incident["shortlink"]
    assert link == f"https://status.example.com/incidents/{uid}"
    assert len(uid) == 12
    assert uid.isalnum()
    for path in ("/status", "/history.atom", "/history.rss"):
        _, document, _ = await fetch(raw, public_bot.url + path)
        assert f"/incidents/{uid}".encode() in document, path

    status, page, headers = await fetch(raw, public_bot.url + f"/incidents/{uid}")
    assert status == 200
    assert headers["ETag"]
    text = page.decode()
    assert "Checkout errors" in text
    assert "lasted" in text
    updates = ["Payments work again", "Payments recover", "Some payments fail"]
    assert [text.index(u) for u in updates] == sorted(text.index(u) for u in updates)
    assert 'Sora</span> <span class="state state-major_outage">Major outage' in text
    for secret in ("SECRET-INTERNAL-NOTE", "shard 7", "INC-", ALICE, BOB):
        assert secret not in text, secret

    missing, _, _ = await fetch(raw, public_bot.url + "/incidents/zzzzzzzzzzzz")
    assert missing == 404


async def test_support_link_on_every_page(public_bot: Bot, raw: aiohttp.ClientSession) -> None:
    await open_incident(public_bot)
    _, body, _ = await fetch(raw, public_bot.url + "/api/v2/incidents.json")
    uid = json.loads(body)["incidents"][0]["id"]
    for path in ("/status", f"/incidents/{uid}"):
        _, page, _ = await fetch(raw, public_bot.url + path)
        assert f'href="{SUPPORT_URL}"'.encode() in page
        assert b"Contact support" in page
