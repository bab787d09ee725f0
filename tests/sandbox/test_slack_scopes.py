"""The bot token's scopes (API-RULES 1.2): a method whose scope was not granted is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack.scopes import SCOPES, ByType, required_scope
from sandbox.slack.web_api import METHODS
from sandbox.slack_emulator import EmUser, SlackEmulator
from tests.sandbox.slack_support import ALICE, TOKEN, error_of

GRANTED = ("chat:write", "channels:read", "channels:history", "users:read")


@pytest.fixture
async def scoped() -> AsyncIterator[SlackEmulator]:
    em = SlackEmulator(
        users=[EmUser(ALICE, "alice", "Alice Liddell")],
        channels=[("C0GENERAL", "general")],
        scopes=GRANTED,
    )
    await em.start()
    yield em
    await em.stop()


@pytest.fixture
def scoped_client(scoped: SlackEmulator) -> AsyncWebClient:
    return AsyncWebClient(token=TOKEN, base_url=scoped.api_url, retry_handlers=[])


async def test_missing_scope_names_the_needed_scope_and_the_granted_ones(
    scoped: SlackEmulator, scoped_client: AsyncWebClient
) -> None:
    note = scoped.add_message("C0GENERAL", ALICE, "hello")
    err = await error_of(scoped_client.reactions_get(channel="C0GENERAL", timestamp=note.ts))
    assert err.response.data == {
        "ok": False,
        "error": "missing_scope",
        "needed": "reactions:read",
        "provided": "channels:history,channels:read,chat:write,users:read",
    }
    err = await error_of(scoped_client.conversations_create(name="inc-1"))
    assert err.response["needed"] == "channels:manage"
    err = await error_of(scoped_client.conversations_create(name="inc-2", is_private=True))
    assert err.response["needed"] == "groups:write"
    assert scoped.channel_by_name("inc-1") is None


async def test_canvas_without_canvases_write_is_refused_and_not_made(
    scoped: SlackEmulator, scoped_client: AsyncWebClient
) -> None:
    content = {"type": "markdown", "markdown": "# draft"}
    err = await error_of(
        scoped_client.conversations_canvases_create(
            channel_id="C0GENERAL", document_content=content
        )
    )
    assert err.response.data == {
        "ok": False,
        "error": "missing_scope",
        "needed": "canvases:write",
        "provided": "channels:history,channels:read,chat:write,users:read",
    }
    assert scoped.canvases == {}
    scoped.scopes = frozenset({*GRANTED, "canvases:write"})
    made = await scoped_client.conversations_canvases_create(
        channel_id="C0GENERAL", document_content=content
    )
    assert made["ok"]
    assert scoped.canvases == {"C0GENERAL": "# draft"}


@pytest.mark.parametrize("method", sorted(m for m in METHODS if SCOPES[m] is not None), ids=str)
async def test_every_method_needing_a_scope_is_refused_without_it(
    scoped: SlackEmulator, scoped_client: AsyncWebClient, method: str
) -> None:
    scoped.scopes = frozenset()
    need = SCOPES[method]
    err = await error_of(
        scoped_client.api_call(method, json={"channel": "C0GENERAL", "name": "inc-9"})
    )
    assert err.response["error"] == "missing_scope"
    assert err.response["needed"] == (need.public if isinstance(need, ByType) else need)
    assert err.response["provided"] == ""
    assert scoped.channel_by_name("inc-9") is None


async def test_granted_scopes_and_scopeless_methods_are_answered(
    scoped: SlackEmulator, scoped_client: AsyncWebClient
) -> None:
    posted = await scoped_client.chat_postMessage(channel="C0GENERAL", text="hi")
    assert (await scoped_client.conversations_history(channel="C0GENERAL"))["ok"]
    assert (await scoped_client.users_info(user=ALICE))["ok"]
    assert (await scoped_client.auth_test())["ok"]
    got = await scoped_client.chat_getPermalink(channel="C0GENERAL", message_ts=posted["ts"])
    assert got["ok"]


async def test_private_channel_needs_groups_scopes(
    scoped: SlackEmulator, scoped_client: AsyncWebClient
) -> None:
    scoped.channels["C0GENERAL"].is_private = True
    err = await error_of(scoped_client.conversations_history(channel="C0GENERAL"))
    assert err.response["needed"] == "groups:history"
    err = await error_of(scoped_client.conversations_info(channel="C0GENERAL"))
    assert err.response["needed"] == "groups:read"
    scoped.scopes = frozenset({*GRANTED, "groups:history", "groups:read"})
    assert (await scoped_client.conversations_history(channel="C0GENERAL"))["ok"]


async def test_default_scopes_none_grants_every_scope(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    assert emulator.scopes is None
    note = emulator.add_message("C0GENERAL", ALICE, "hello")
    assert (await client.reactions_get(channel="C0GENERAL", timestamp=note.ts))["ok"]
    assert (await client.conversations_create(name="inc-1", is_private=True))["ok"]


def test_required_scope_table_covers_the_methods_the_bot_calls(
    emulator: SlackEmulator,
) -> None:
    ws = emulator.state
    expected = {
        "chat.postMessage": "chat:write",
        "chat.update": "chat:write",
        "chat.postEphemeral": "chat:write",
        "chat.getPermalink": None,
        "conversations.replies": "channels:history",
        "conversations.invite": "channels:manage",
        "conversations.setTopic": "channels:manage",
        "conversations.join": "channels:join",
        "conversations.list": "channels:read",
        "conversations.open": "im:write",
        "conversations.canvases.create": "canvases:write",
        "files.getUploadURLExternal": "files:write",
        "pins.add": "pins:write",
        "reactions.add": "reactions:write",
        "usergroups.users.list": "usergroups:read",
        "views.open": None,
        "auth.test": None,
    }
    found = {m: required_scope(ws, m, {"channel": "C0GENERAL"}) for m in expected}
    assert found == expected
