"""Threads (API-RULES 1.5): replies, reply_broadcast, conversations.replies, and how the
transcript shows them."""

from __future__ import annotations

import time

from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack_emulator import SlackEmulator
from tests.sandbox.slack_support import ALICE, error_of

META = {"event_type": "incident_update", "event_payload": {"incident_id": 7}}


async def test_post_message_reply_broadcast_shows_in_history_as_thread_broadcast(
    client: AsyncWebClient,
) -> None:
    parent = await client.chat_postMessage(channel="C0GENERAL", text="parent")
    quiet = await client.chat_postMessage(channel="C0GENERAL", text="quiet", thread_ts=parent["ts"])
    loud = await client.chat_postMessage(
        channel="C0GENERAL", text="loud", thread_ts=parent["ts"], reply_broadcast=True
    )
    assert loud["message"]["subtype"] == "thread_broadcast"
    assert loud["message"]["thread_ts"] == parent["ts"]
    assert "subtype" not in quiet["message"]
    history = (await client.conversations_history(channel="C0GENERAL"))["messages"]
    assert [m["text"] for m in history] == ["loud", "parent"]  # the plain reply stays out
    assert history[0]["subtype"] == "thread_broadcast"
    assert history[1]["reply_count"] == 2


async def test_post_message_reply_broadcast_without_thread_is_a_plain_message(
    client: AsyncWebClient,
) -> None:
    posted = await client.chat_postMessage(channel="C0GENERAL", text="x", reply_broadcast=True)
    assert "subtype" not in posted["message"]
    assert "thread_ts" not in posted["message"]


async def test_conversations_replies_returns_parent_then_all_replies_with_metadata(
    client: AsyncWebClient,
) -> None:
    parent = await client.chat_postMessage(channel="C0GENERAL", text="parent", metadata=META)
    ts = parent["ts"]
    await client.chat_postMessage(channel="C0GENERAL", text="a", thread_ts=ts, metadata=META)
    await client.chat_postMessage(
        channel="C0GENERAL", text="b", thread_ts=ts, reply_broadcast=True, metadata=META
    )
    full = await client.conversations_replies(channel="C0GENERAL", ts=ts, include_all_metadata=True)
    assert [m["text"] for m in full["messages"]] == ["parent", "a", "b"]
    assert [m.get("metadata") for m in full["messages"]] == [META] * 3
    assert full["messages"][2]["subtype"] == "thread_broadcast"
    plain = await client.conversations_replies(channel="C0GENERAL", ts=ts)
    assert all("metadata" not in m for m in plain["messages"])
    by_reply = await client.conversations_replies(channel="C0GENERAL", ts=full["messages"][1]["ts"])
    assert [m["text"] for m in by_reply["messages"]] == ["parent", "a", "b"]


async def test_post_message_thread_ts_not_in_channel_returns_thread_not_found(
    client: AsyncWebClient,
) -> None:
    elsewhere = await client.chat_postMessage(channel="C0ANNOUNCE", text="other channel")
    for thread_ts in ("1.000001", elsewhere["ts"]):
        call = client.chat_postMessage(channel="C0GENERAL", text="x", thread_ts=thread_ts)
        assert (await error_of(call)).response["error"] == "thread_not_found"
    err = await error_of(client.conversations_replies(channel="C0GENERAL", ts="1.000001"))
    assert err.response["error"] == "thread_not_found"


async def test_transcript_shows_buttons_on_one_line_and_marks_broadcast_replies(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    buttons = [
        {"type": "button", "action_id": a, "text": {"type": "plain_text", "text": label}}
        for a, label in (("take", "Take command"), ("update", "Post update"))
    ]
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*INC-1* checkout down"}},
        {"type": "actions", "elements": buttons},
    ]
    parent = await client.chat_postMessage(channel="C0GENERAL", text="summary", blocks=blocks)
    ts = parent["ts"]
    await client.chat_postMessage(channel="C0GENERAL", text="quiet", thread_ts=ts)
    emulator.add_message("C0GENERAL", ALICE, "loud", thread_ts=ts, broadcast=True)
    first, second, third = (
        time.strftime("%H:%M", time.gmtime(float(m.ts))) for m in emulator.history("C0GENERAL")
    )
    assert emulator.transcript("C0GENERAL").split("\n\n") == [
        f"[{first}] warroom: *INC-1* checkout down\n[Take command] [Post update]",
        f"↳ [{second}] warroom: quiet",
        f"↳ [{third}] alice: loud (also sent to the channel)",
    ]
