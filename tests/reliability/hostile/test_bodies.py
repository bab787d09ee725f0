"""Oversized and malformed bodies, correctly signed: answered (never 5xx), nothing recorded."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.config import Secret
from bot.slack import ids
from sandbox.slack_emulator import APP_ID, EmChannel, SlackEmulator
from tests.conftest import ALICE, BOB, Bot, bot_settings, start_bot
from tests.reliability.hostile.requests import (
    FORM,
    command_fields,
    created_channels,
    never_5xx,
    post_signed,
)
from tests.reliability.steps import DECLARING
from tests.reliability.store import Store


async def test_events_oversized_streamed_body_is_413_before_it_is_all_sent(
    bot: Bot, store: Store
) -> None:
    total, chunk = 2 * 1024 * 1024, 64 * 1024
    fields = urlencode(command_fields("declare sev1 Big one")).encode()
    body = fields + b"&padding=" + b"a" * (total - len(fields) - 9)
    headers = {"Content-Type": FORM, **bot.driver.sign(body)}  # correctly signed, just too big
    sent = 0

    async def stream() -> AsyncIterator[bytes]:
        nonlocal sent
        for start in range(0, total, chunk):
            piece = body[start : start + chunk]
            sent += len(piece)
            yield piece
            await asyncio.sleep(0.002)

    try:
        async with bot.http.post(bot.driver.url, data=stream(), headers=headers) as response:
            status, answer = response.status, await response.text()
    except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as error:
        pytest.fail(f"no answer to an oversized body, the connection failed: {error!r}")
    await bot.settle()

    assert status == 413, (status, answer[:300])
    assert sent < total  # answered without reading the whole body
    assert created_channels(bot.slack) == []
    assert await store.incidents() == []


MALFORMED: dict[str, tuple[str, dict[str, Any]]] = {
    "reaction-item-not-an-object": (
        "event",
        {"type": "event_callback", "event": {"type": "reaction_added", "item": "x"}},
    ),
    "event-not-an-object": ("event", {"type": "event_callback", "event": "x"}),
    "event-null": ("event", {"type": "event_callback", "event": None}),
    "declare-view-state-not-an-object": (
        "interaction",
        {
            "type": "view_submission",
            "user": {"id": ALICE},
            "view": {"type": "modal", "callback_id": ids.DECLARE_MODAL_CALLBACK, "state": "x"},
        },
    ),
    "declare-view-block-not-an-object": (
        "interaction",
        {
            "type": "view_submission",
            "user": {"id": ALICE},
            "view": {
                "type": "modal",
                "callback_id": ids.DECLARE_MODAL_CALLBACK,
                "state": {"values": {ids.TITLE_BLOCK: "x"}},
            },
        },
    ),
    "declare-view-user-not-an-object": (
        "interaction",
        {
            "type": "view_submission",
            "user": ALICE,
            "view": {
                "type": "modal",
                "callback_id": ids.DECLARE_MODAL_CALLBACK,
                "state": {"values": {}},
            },
        },
    ),
    "publish-view-summary-not-text": (
        "interaction",
        {
            "type": "view_submission",
            "user": {"id": ALICE},
            "view": {
                "type": "modal",
                "callback_id": ids.PUBLISH_MODAL_CALLBACK,
                "state": {"values": {ids.SUMMARY_BLOCK: {ids.SUMMARY_ACTION: {"value": 5}}}},
            },
        },
    ),
    "view-without-type": (
        "interaction",
        {
            "type": "view_submission",
            "user": {"id": ALICE},
            "view": {"callback_id": ids.DECLARE_MODAL_CALLBACK, "state": {"values": {}}},
        },
    ),
    "publish-view-block-not-an-object": (
        "interaction",
        {
            "type": "view_submission",
            "user": {"id": ALICE},
            "view": {
                "type": "modal",
                "callback_id": ids.PUBLISH_MODAL_CALLBACK,
                "state": {"values": {ids.SUMMARY_BLOCK: "x"}},
            },
        },
    ),
    "block-actions-not-a-list": (
        "interaction",
        {"type": "block_actions", "user": {"id": ALICE}, "actions": "x"},
    ),
    "block-actions-null": (
        "interaction",
        {"type": "block_actions", "user": {"id": ALICE}, "actions": None},
    ),
}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("case", list(MALFORMED))
async def test_events_malformed_signed_payload_shape_is_answered_never_5xx(
    bot: Bot, store: Store, case: str
) -> None:
    surface, shape = MALFORMED[case]
    common = {"team": {"id": "T0EMULATOR"}, "team_id": "T0EMULATOR", "api_app_id": APP_ID}
    if surface == "event":
        reply = await post_signed(bot, json.dumps({**common, **shape}).encode(), "application/json")
    else:
        body = urlencode({"payload": json.dumps({**common, **shape})}).encode()
        reply = await post_signed(bot, body, FORM)
    await bot.settle()
    never_5xx(reply, shape)
    assert await store.incidents() == []


@pytest.mark.parametrize(
    ("text", "channel_name"),
    [
        ("declare sev2 payload service returns 502", "general"),
        ("list", "payload-team"),
    ],
    ids=["word-in-title", "word-in-channel-name"],
)
async def test_incident_command_containing_word_payload_is_answered(
    bot: Bot, store: Store, text: str, channel_name: str
) -> None:
    channel = "C0PAYLOADS"
    bot.slack.channels[channel] = EmChannel(
        channel, channel_name, BOB, 0, members={ALICE, BOB, bot.slack.bot_user_id}
    )
    reply = await bot.command(ALICE, channel, text)
    await bot.settle()
    assert reply.status == 200, (reply.status, reply.body)
    if text.startswith("declare"):
        assert DECLARING.search(reply.text), reply.text
        [incident] = await store.incidents()
        assert incident.title == "payload service returns 502"
    else:
        assert reply.text == "No open incidents. :tada:"


@pytest.mark.parametrize(
    "number",
    ["2147483648", "99999999999999999999", "9" * 5000],
    ids=["int32-plus-one", "20-digits", "5000-digits"],
)
async def test_postmortem_http_huge_incident_number_is_404(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession, number: str
) -> None:
    token = secrets.token_hex(16)
    bot = await start_bot(
        bot_settings(emulator, database_url, admin_token=Secret(token)), emulator, http
    )
    try:
        headers = {"Authorization": f"Bearer {token}"}
        async with http.get(f"{bot.url}/incidents/{number}/postmortem.md", headers=headers) as r:
            status, body = r.status, await r.text()
    finally:
        await bot.stop()
    assert status == 404, (status, body[:300])
