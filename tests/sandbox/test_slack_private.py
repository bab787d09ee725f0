"""Private channels in the Slack emulator: invisible to non-members (the bot too), listed by
type with the type's scope, and member events sent to the bot only from channels it is in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack.records import EmChannel
from sandbox.slack_driver import SlackDriver
from sandbox.slack_emulator import EmUser, SlackEmulator
from tests.sandbox.slack_support import ALICE, BOB, TOKEN, error_of

SECRET = "s3cret"


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    em = SlackEmulator(
        users=[EmUser(ALICE, "alice", "Alice"), EmUser(BOB, "bob", "Bob")],
        channels=[("C0GENERAL", "general")],
        scopes=("channels:read", "channels:manage", "channels:join", "chat:write", "groups:write"),
    )
    await em.start()
    yield em
    await em.stop()


@pytest.fixture
async def received() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    """A stand-in for the bot's events URL: keeps every event it is sent."""
    events: list[dict[str, Any]] = []

    async def handle(request: web.Request) -> web.Response:
        events.append((await request.json())["event"])
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", events
    await runner.cleanup()


def private_channel(slack: SlackEmulator, cid: str, members: set[str]) -> EmChannel:
    channel = EmChannel(cid, cid.lower(), ALICE, 0, members=members, is_private=True)
    slack.channels[cid] = channel
    return channel


async def test_private_channel_the_bot_is_not_in_is_invisible_to_it(slack: SlackEmulator) -> None:
    private_channel(slack, "G0SECRET", {ALICE})
    client = AsyncWebClient(token=TOKEN, base_url=slack.api_url, retry_handlers=[])
    err = await error_of(client.chat_postMessage(channel="G0SECRET", text="hi"))
    assert err.response["error"] == "channel_not_found"
    err = await error_of(client.conversations_join(channel="G0SECRET"))
    assert err.response["error"] == "channel_not_found"


async def test_list_of_private_channels_needs_groups_read(slack: SlackEmulator) -> None:
    client = AsyncWebClient(token=TOKEN, base_url=slack.api_url, retry_handlers=[])
    made = await client.conversations_create(name="inc-1-secret", is_private=True)
    public = await client.conversations_list(types="public_channel")
    assert made["channel"]["id"] not in [c["id"] for c in public["channels"]]
    err = await error_of(client.conversations_list(types="private_channel"))
    assert err.response["needed"] == "groups:read"


async def test_member_events_reach_the_bot_only_from_channels_it_is_in(
    slack: SlackEmulator, received: tuple[str, list[dict[str, Any]]]
) -> None:
    url, events = received
    async with aiohttp.ClientSession() as http:
        driver = SlackDriver(bot_url=url, signing_secret=SECRET, session=http, emulator=slack)
        private_channel(slack, "G0HIDDEN", {ALICE})
        assert await driver.member_joined("G0HIDDEN", BOB, by=ALICE) is None
        assert await driver.member_left("G0HIDDEN", BOB) is None
        private_channel(slack, "G0MINE", {ALICE, slack.bot_user_id})
        joined = await driver.member_joined("G0MINE", BOB, by=ALICE)
        left = await driver.member_left("G0MINE", BOB)
    assert joined is not None
    assert left is not None
    assert [(e["type"], e["channel"], e["user"], e["channel_type"]) for e in events] == [
        ("member_joined_channel", "G0MINE", BOB, "G"),
        ("member_left_channel", "G0MINE", BOB, "G"),
    ]
    assert slack.channels["G0MINE"].members == {ALICE, slack.bot_user_id}
