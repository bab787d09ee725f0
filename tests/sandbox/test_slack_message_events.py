"""The driver delivers what people do in Slack as the events and shortcut payloads Slack sends."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack_driver import SlackDriver
from sandbox.slack_emulator import SlackEmulator
from tests.sandbox.slack_support import ALICE, BOB, CAROL

Json = dict[str, Any]
SECRET = "events-secret"


@dataclass
class Receiver:
    """Records what reaches the bot: event envelopes, interaction payloads, retry headers."""

    envelopes: list[Json] = field(default_factory=list)
    payloads: list[Json] = field(default_factory=list)
    retries: list[str | None] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not SignatureVerifier(SECRET).is_valid_request(body, dict(request.headers)):
            return web.Response(status=401)
        if request.content_type == "application/json":
            self.envelopes.append(json.loads(body))
            self.retries.append(request.headers.get("X-Slack-Retry-Num"))
        else:
            self.payloads.append(json.loads(parse_qs(body.decode())["payload"][0]))
        return web.Response(text="")

    @property
    def event(self) -> Json:
        """Return the newest event delivered."""
        event: Json = self.envelopes[-1]["event"]
        return event


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, Receiver]]:
    got = Receiver()
    app = web.Application()
    app.router.add_post("/slack/events", got.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", got
    await runner.cleanup()


@pytest.fixture
async def driver(
    emulator: SlackEmulator, receiver: tuple[str, Receiver]
) -> AsyncIterator[SlackDriver]:
    async with aiohttp.ClientSession() as session:
        url = receiver[0]
        yield SlackDriver(bot_url=url, signing_secret=SECRET, session=session, emulator=emulator)


async def test_message_posted_reply_carries_thread_ts_and_channel_type(
    emulator: SlackEmulator, driver: SlackDriver, receiver: tuple[str, Receiver]
) -> None:
    got = receiver[1]
    parent = emulator.add_message("C0GENERAL", ALICE, "parent")
    reply = emulator.add_message("C0GENERAL", BOB, "reply", thread_ts=parent.ts)
    assert (await driver.message_posted("C0GENERAL", parent)).status == 200
    event = got.event
    assert {k: event[k] for k in ("type", "channel", "user", "text", "ts", "channel_type")} == {
        "type": "message",
        "channel": "C0GENERAL",
        "user": ALICE,
        "text": "parent",
        "ts": parent.ts,
        "channel_type": "channel",
    }
    assert "thread_ts" not in event
    assert "reply_count" not in event  # what only the API's view of a message shows
    await driver.message_posted("C0GENERAL", reply, event_id="Ev1", retry_num=1)
    assert (got.event["thread_ts"], got.event["parent_user_id"]) == (parent.ts, ALICE)
    assert got.envelopes[-1]["event_id"] == "Ev1"
    assert got.retries == [None, "1"]


async def test_message_changed_carries_edit_and_previous_message(
    emulator: SlackEmulator, driver: SlackDriver, receiver: tuple[str, Receiver]
) -> None:
    parent = emulator.add_message("C0GENERAL", BOB, "parent")
    note = emulator.add_message("C0GENERAL", ALICE, "p99 at 9s", thread_ts=parent.ts)
    before = emulator.message_json("C0GENERAL", note.ts)
    emulator.edit_message("C0GENERAL", note.ts, "p99 at 12s")
    after = emulator.message_json("C0GENERAL", note.ts)
    await driver.message_changed("C0GENERAL", before, after, event_id="EvEdit")
    event = receiver[1].event
    assert (event["type"], event["subtype"], event["hidden"]) == (
        "message",
        "message_changed",
        True,
    )
    assert (event["channel"], event["channel_type"]) == ("C0GENERAL", "channel")
    assert event["ts"] == event["event_ts"] != note.ts
    message = event["message"]
    assert (message["ts"], message["text"], message["user"]) == (note.ts, "p99 at 12s", ALICE)
    assert message["edited"] == {"user": ALICE, "ts": note.edited_ts}
    assert message["thread_ts"] == parent.ts
    assert event["previous_message"]["text"] == "p99 at 9s"
    assert "edited" not in event["previous_message"]


async def test_message_deleted_names_the_deleted_ts(
    emulator: SlackEmulator, driver: SlackDriver, receiver: tuple[str, Receiver]
) -> None:
    emulator.channels["C0ANNOUNCE"].is_private = True
    note = emulator.add_message("C0ANNOUNCE", ALICE, "oops")
    await driver.message_deleted("C0ANNOUNCE", emulator.delete_message("C0ANNOUNCE", note.ts))
    event = receiver[1].event
    assert (event["subtype"], event["hidden"], event["deleted_ts"]) == (
        "message_deleted",
        True,
        note.ts,
    )
    assert (event["channel"], event["channel_type"]) == ("C0ANNOUNCE", "group")
    assert event["previous_message"]["text"] == "oops"
    assert event["ts"] != note.ts


async def test_channel_archive_unarchive_and_private_group_archive(
    emulator: SlackEmulator, driver: SlackDriver, receiver: tuple[str, Receiver]
) -> None:
    got = receiver[1]
    emulator.archive_channel("C0ANNOUNCE")
    await driver.channel_archive("C0ANNOUNCE", BOB)
    assert {k: got.event[k] for k in ("type", "channel", "user")} == {
        "type": "channel_archive",
        "channel": "C0ANNOUNCE",
        "user": BOB,
    }
    await driver.channel_unarchive("C0ANNOUNCE", BOB)
    assert got.event["type"] == "channel_unarchive"
    emulator.channels["C0ANNOUNCE"].is_private = True
    await driver.channel_archive("C0ANNOUNCE", BOB)
    assert got.event["type"] == "group_archive"  # Slack's event for a private channel


async def test_reaction_added_names_the_item_and_its_author(
    emulator: SlackEmulator, driver: SlackDriver, receiver: tuple[str, Receiver]
) -> None:
    note = emulator.add_message("C0GENERAL", BOB, "root cause")
    await driver.reaction_added(CAROL, "C0GENERAL", note.ts, event_id="EvPin")
    event = receiver[1].event
    assert {k: event[k] for k in ("type", "user", "reaction", "item", "item_user")} == {
        "type": "reaction_added",
        "user": CAROL,
        "reaction": "pushpin",
        "item": {"type": "message", "channel": "C0GENERAL", "ts": note.ts},
        "item_user": BOB,
    }
    assert receiver[1].envelopes[-1]["event_id"] == "EvPin"


async def test_message_shortcut_payload_trigger_and_response_url_work(
    emulator: SlackEmulator,
    client: AsyncWebClient,
    driver: SlackDriver,
    receiver: tuple[str, Receiver],
) -> None:
    parent = emulator.add_message("C0GENERAL", BOB, "parent")
    reply = emulator.add_message("C0GENERAL", BOB, "the db is full", thread_ts=parent.ts)
    await driver.message_shortcut(ALICE, "C0GENERAL", reply.ts)
    [payload] = receiver[1].payloads
    assert (payload["type"], payload["callback_id"]) == ("message_action", "add_to_timeline")
    assert payload["team"] == {"id": "T0EMULATOR", "domain": "warroom-emulator"}
    assert payload["channel"] == {"id": "C0GENERAL", "name": "general"}
    assert payload["user"] == {
        "id": ALICE,
        "username": "alice",
        "name": "alice",
        "team_id": "T0EMULATOR",
    }
    assert payload["token"] == driver.verification_token
    assert payload["message_ts"] == reply.ts
    message = payload["message"]
    assert (message["text"], message["user"], message["thread_ts"]) == (
        "the db is full",
        BOB,
        parent.ts,
    )
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Add"}, "blocks": []}
    assert (await client.views_open(trigger_id=payload["trigger_id"], view=view))["ok"]
    async with (
        aiohttp.ClientSession() as session,
        session.post(payload["response_url"], json={"text": "added"}) as resp,
    ):
        assert resp.status == 200
    assert emulator.responses[-1]["text"] == "added"


async def test_message_shortcut_on_a_gone_message_raises_lookup_error(
    emulator: SlackEmulator, driver: SlackDriver
) -> None:
    note = emulator.add_message("C0GENERAL", BOB, "gone")
    emulator.delete_message("C0GENERAL", note.ts)
    with pytest.raises(LookupError):
        await driver.message_shortcut(ALICE, "C0GENERAL", note.ts, callback_id="other")
