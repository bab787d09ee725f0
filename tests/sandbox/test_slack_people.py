"""People acting in Slack (edit, delete, react, archive) and the methods that read the result:
reactions.get, chat.getPermalink, conversations.unarchive."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack.args import SlackError
from sandbox.slack_emulator import SlackEmulator
from tests.sandbox.slack_support import ALICE, BOB, error_of


async def test_reactions_get_any_message_thread_replies_included(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    parent = emulator.add_message("C0GENERAL", ALICE, "parent")
    reply = emulator.add_message("C0GENERAL", BOB, "reply", thread_ts=parent.ts)
    emulator.add_reaction("C0GENERAL", reply.ts, ALICE, ":pushpin:")
    emulator.add_reaction("C0GENERAL", reply.ts, BOB, "pushpin")
    emulator.add_reaction("C0GENERAL", reply.ts, BOB, "pushpin")  # once per person
    got = await client.reactions_get(channel="C0GENERAL", timestamp=reply.ts, full=True)
    assert (got["type"], got["channel"]) == ("message", "C0GENERAL")
    message = got["message"]
    assert (message["text"], message["user"], message["thread_ts"]) == ("reply", BOB, parent.ts)
    assert message["reactions"] == [{"name": "pushpin", "users": [ALICE, BOB], "count": 2}]
    plain = await client.reactions_get(channel="C0GENERAL", timestamp=parent.ts)
    assert "reactions" not in plain["message"]
    assert plain["message"]["reply_count"] == 1


async def test_reactions_get_gone_message_or_hidden_channel_is_refused(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    note = emulator.add_message("C0GENERAL", ALICE, "soon gone")
    emulator.delete_message("C0GENERAL", note.ts)
    err = await error_of(client.reactions_get(channel="C0GENERAL", timestamp=note.ts))
    assert err.response["error"] == "message_not_found"
    secret = emulator.add_message("C0ANNOUNCE", ALICE, "private")
    emulator.channels["C0ANNOUNCE"].is_private = True
    emulator.channels["C0ANNOUNCE"].members.discard(emulator.bot_user_id)
    err = await error_of(client.reactions_get(channel="C0ANNOUNCE", timestamp=secret.ts))
    assert err.response["error"] == "channel_not_found"


async def test_chat_get_permalink_message_and_thread_reply(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    parent = emulator.add_message("C0GENERAL", ALICE, "parent")
    reply = emulator.add_message("C0GENERAL", BOB, "reply", thread_ts=parent.ts)
    base = "https://warroom-emulator.slack.com/archives/C0GENERAL/p"
    got = await client.chat_getPermalink(channel="C0GENERAL", message_ts=parent.ts)
    assert (got["channel"], got["permalink"]) == ("C0GENERAL", base + parent.ts.replace(".", ""))
    got = await client.chat_getPermalink(channel="C0GENERAL", message_ts=reply.ts)
    digits = reply.ts.replace(".", "")
    assert got["permalink"] == f"{base}{digits}?thread_ts={parent.ts}&cid=C0GENERAL"
    emulator.delete_message("C0GENERAL", reply.ts)
    err = await error_of(client.chat_getPermalink(channel="C0GENERAL", message_ts=reply.ts))
    assert err.response["error"] == "message_not_found"


async def test_edit_message_sets_text_and_a_fresh_edited_ts(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    note = emulator.add_message("C0GENERAL", ALICE, "p99 at 9s")
    edited = emulator.edit_message("C0GENERAL", note.ts, "p99 at 12s")
    assert edited is note
    shown = emulator.message_json("C0GENERAL", note.ts)
    assert shown["text"] == "p99 at 12s"
    assert shown["edited"]["user"] == ALICE
    assert float(shown["edited"]["ts"]) > float(note.ts)
    history = await client.conversations_history(channel="C0GENERAL")
    assert history["messages"][0]["edited"] == shown["edited"]


async def test_delete_message_removes_it_and_its_pin(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    note = emulator.add_message("C0GENERAL", ALICE, "pin me")
    await client.pins_add(channel="C0GENERAL", timestamp=note.ts)
    gone = emulator.delete_message("C0GENERAL", note.ts)
    assert (gone.ts, gone.text) == (note.ts, "pin me")
    assert emulator.pins["C0GENERAL"] == []
    assert (await client.conversations_history(channel="C0GENERAL"))["messages"] == []
    err = await error_of(client.pins_add(channel="C0GENERAL", timestamp=note.ts))
    assert err.response["error"] == "message_not_found"
    with pytest.raises(SlackError, match="message_not_found"):
        emulator.delete_message("C0GENERAL", note.ts)


async def test_archive_channel_by_a_person_and_bot_token_cannot_unarchive(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    emulator.archive_channel("C0ANNOUNCE")
    info = await client.conversations_info(channel="C0ANNOUNCE")
    assert info["channel"]["is_archived"] is True
    err = await error_of(client.chat_postMessage(channel="C0ANNOUNCE", text="x"))
    assert err.response["error"] == "is_archived"
    err = await error_of(client.conversations_unarchive(channel="C0ANNOUNCE"))
    assert err.response["error"] == "not_allowed_token_type"  # API-RULES 1.2
    emulator.unarchive_channel("C0ANNOUNCE")
    assert (await client.chat_postMessage(channel="C0ANNOUNCE", text="back"))["ok"]
    with pytest.raises(SlackError, match="not_archived"):
        emulator.unarchive_channel("C0ANNOUNCE")


async def test_conversations_open_returns_the_bots_dm_with_a_user(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    opened = await client.conversations_open(users=ALICE)
    again = await client.conversations_open(users=[ALICE])
    assert opened["channel"]["id"] == again["channel"]["id"]
    posted = await client.chat_postMessage(channel=ALICE, text="hi")
    assert posted["channel"] == opened["channel"]["id"]
    err = await error_of(client.conversations_open(users="U0NOBODY"))
    assert err.response["error"] == "user_not_found"
