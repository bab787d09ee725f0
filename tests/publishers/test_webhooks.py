"""Webhook subscribers over real HTTP: a local receiver checks each signature, fails for a
while, and still gets every public update exactly once, in order; nothing internal."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot import admin_subscribers
from bot.keys import DATABASE
from sandbox.slack_emulator import SlackEmulator
from storage import outbox
from tests.conftest import ALICE, BOB, Bot, bot_settings, start_bot
from tests.support import wait_until

SECRET_WORDS = ("SECRET-INTERNAL-NOTE", "shard 7", "U0ALICE", "U0BOB", "Checkout DB")
NAME = "Elevated checkout errors"


def verified(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """Check `X-Warroom-Signature: t=<unix>,v1=<hex>` the way the README tells receivers to."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    signed = fields["t"].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    recent = abs(time.time() - int(fields["t"])) <= tolerance
    return recent and hmac.compare_digest(expected, fields["v1"])


@dataclass
class Receiver:
    """A webhook endpoint: answers `script` in turn (then 200), keeps what it accepted."""

    secret: str = ""
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    seen: list[bytes] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    bad_signatures: int = 0
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.seen.append(body)
        self.times.append(time.monotonic())
        if not verified(self.secret, request.headers.get("X-Warroom-Signature", ""), body):
            self.bad_signatures += 1
            return web.Response(status=401)
        if self.script:
            status, headers = self.script.pop(0)
            return web.Response(status=status, headers=headers)
        if request.headers["X-Warroom-Delivery"] not in self.deliveries:
            self.deliveries.append(request.headers["X-Warroom-Delivery"])
            self.accepted.append(json.loads(body))
        return web.Response(status=204)


async def serve(hook: Receiver) -> web.AppRunner:
    """Run the receiver on a local port; return its runner."""
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hook.url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    return runner


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    runner = await serve(hook)
    yield hook
    await runner.cleanup()


@pytest.fixture
async def other_receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    runner = await serve(hook)
    yield hook
    await runner.cleanup()


@pytest.fixture
async def hook_bot(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession, receiver: Receiver
) -> AsyncIterator[Bot]:
    settings = bot_settings(
        emulator,
        database_url,
        status_components=("API",),
        public_base_url="https://status.example.com",
        subscriber_timeout=2.0,
    )
    bot = await start_bot(settings, emulator, http)
    _, receiver.secret = await admin_subscribers.add_webhook(bot.app[DATABASE], receiver.url)
    yield bot
    await bot.stop()


async def run(bot: Bot, *texts: str) -> str:
    channel = await bot.declare("declare sev1 Checkout DB shard 7 corrupt")
    for user, text in [
        (BOB, "update SECRET-INTERNAL-NOTE: restoring shard 7 from backup"),
        (ALICE, f"public-name {NAME}"),
        (ALICE, "impact API partial"),
        *((ALICE, t) for t in texts),
    ]:
        reply = await bot.command(user, channel, text)
        assert ":warning:" not in reply.text, reply.text
    return channel


async def test_webhook_receiver_failing_then_back_gets_each_update_once_in_order(
    hook_bot: Bot, receiver: Receiver
) -> None:
    receiver.script = [(500, {})] * 4 + [(503, {}), (408, {})]
    await run(
        hook_bot,
        "status identified We found the cause",
        "status monitoring A fix is out",
        "resolve Error rates are back to normal",
    )
    await hook_bot.settle(30)
    assert receiver.bad_signatures == 0
    assert len(receiver.accepted) == 3
    statuses = [n["incident"]["status"] for n in receiver.accepted]
    assert statuses == ["identified", "monitoring", "resolved"]
    latest = [n["incident"]["incident_updates"][0]["body"] for n in receiver.accepted]
    assert latest == ["We found the cause", "A fix is out", "Error rates are back to normal"]
    first = receiver.accepted[0]
    assert set(first) == {"meta", "page", "incident"}
    assert set(first["meta"]) == {"unsubscribe", "documentation"}
    assert first["meta"]["unsubscribe"].startswith("https://status.example.com/status/unsubscribe")
    assert set(first["page"]) == {"id", "status_indicator", "status_description"}
    assert first["incident"]["name"] == NAME
    async with hook_bot.http.get(hook_bot.url + "/api/v2/incidents.json") as response:
        [served] = (await response.json())["incidents"]
    last = receiver.accepted[-1]["incident"]
    assert last["impact"] == served["impact"]  # the same public model as the page's API
    assert last["incident_updates"] == served["incident_updates"]
    for body in receiver.seen:
        for word in [*SECRET_WORDS, receiver.secret]:
            assert word.encode() not in body, word


async def test_webhook_retry_after_is_honoured(hook_bot: Bot, receiver: Receiver) -> None:
    receiver.script = [(429, {"Retry-After": "1"})]
    await run(hook_bot, "status identified Found it")
    await hook_bot.settle(30)
    assert len(receiver.accepted) == 1
    assert receiver.times[1] - receiver.times[0] >= 0.9


async def test_webhook_refused_with_410_is_dead_at_once_with_its_error(
    hook_bot: Bot, receiver: Receiver
) -> None:
    receiver.script = [(410, {})]
    await run(hook_bot, "status identified Found it")
    await hook_bot.settle()
    async with hook_bot.app[DATABASE].read() as session:
        rows = await outbox.list_undelivered(session=session)
    [dead] = [r for r in rows if r.kind == "subscriber.webhook"]
    assert dead.status == outbox.DEAD
    assert dead.last_error == "webhook refused it: HTTP 410 (not retried)"
    assert len(receiver.seen) == 1


async def test_webhook_removed_gets_nothing_more(hook_bot: Bot, receiver: Receiver) -> None:
    channel = await run(hook_bot, "status identified Found it")
    await hook_bot.settle()
    await admin_subscribers.remove_webhook(hook_bot.app[DATABASE], receiver.url)
    reply = await hook_bot.command(ALICE, channel, "status monitoring Fixed")
    assert ":warning:" not in reply.text
    await hook_bot.settle()
    assert len(receiver.seen) == 1


async def test_webhook_added_after_update_does_not_get_it(
    hook_bot: Bot, receiver: Receiver
) -> None:
    await admin_subscribers.remove_webhook(hook_bot.app[DATABASE], receiver.url)
    await run(hook_bot, "status identified Found it")
    await hook_bot.settle()
    _, receiver.secret = await admin_subscribers.add_webhook(hook_bot.app[DATABASE], receiver.url)
    await hook_bot.settle()
    assert receiver.seen == []


async def test_webhook_unsubscribe_link_posted_stops_updates(
    hook_bot: Bot, receiver: Receiver
) -> None:
    channel = await run(hook_bot, "status identified Found it")
    await hook_bot.settle()
    link = receiver.accepted[0]["meta"]["unsubscribe"]
    local = link.replace("https://status.example.com", hook_bot.url)
    async with hook_bot.http.get(local) as response:  # the page: nothing happens yet
        assert response.status == 200
    async with hook_bot.http.post(local, data="List-Unsubscribe=One-Click") as response:
        assert response.status == 200
    reply = await hook_bot.command(ALICE, channel, "status monitoring Fixed")
    assert ":warning:" not in reply.text
    await hook_bot.settle()
    assert len(receiver.seen) == 1


async def test_webhook_one_receiver_down_holds_up_no_other(
    hook_bot: Bot, receiver: Receiver, other_receiver: Receiver
) -> None:
    db = hook_bot.app[DATABASE]
    _, other_receiver.secret = await admin_subscribers.add_webhook(db, other_receiver.url)
    receiver.script = [(500, {})] * 1000
    await run(hook_bot, "status identified Found it")
    await wait_until(lambda: len(other_receiver.accepted) == 1, 20, "the healthy receiver")
    await wait_until(lambda: len(receiver.seen) >= 2, 20, "the failing receiver retried")
    assert receiver.accepted == []
    receiver.script = []
    await hook_bot.settle(30)
    assert len(receiver.accepted) == 1
    assert len(other_receiver.accepted) == 1
