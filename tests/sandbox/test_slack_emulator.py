"""Tests for the Slack Web API emulator and the signed-request driver, via the real slack_sdk."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.slack_driver import SlackDriver, slack_escape
from sandbox.slack_emulator import EmChannel, SlackEmulator
from tests.sandbox.slack_support import ALICE, BOB, TOKEN, error_of


async def test_auth_test_valid_token_returns_bot_identity(client: AsyncWebClient) -> None:
    resp = await client.auth_test()
    assert resp["user_id"] == "UWARROOM"
    assert resp["team_id"] == "T0EMULATOR"
    assert resp["bot_id"] == "B0WARROOM"


async def test_auth_bad_or_missing_token_returns_auth_errors(emulator: SlackEmulator) -> None:
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=emulator.api_url, retry_handlers=[])
    assert (await error_of(wrong.auth_test())).response["error"] == "invalid_auth"
    async with (
        aiohttp.ClientSession() as session,
        session.post(emulator.api_url + "auth.test") as resp,
    ):
        assert (await resp.json())["error"] == "not_authed"
    assert [m for m, _ in emulator.calls] == ["auth.test", "auth.test"]


async def test_auth_rotated_bot_token_refuses_old_and_accepts_new(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    emulator.bot_token = "xoxb-rotated"
    assert (await error_of(client.auth_test())).response["error"] == "invalid_auth"
    rotated = AsyncWebClient(token="xoxb-rotated", base_url=emulator.api_url, retry_handlers=[])
    assert (await rotated.auth_test())["ok"] is True


async def test_api_json_body_and_unknown_method_are_handled(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    body = {
        "channel": "C0GENERAL",
        "text": "json body",
        "metadata": {"event_type": "incident_opened", "event_payload": {"id": 7}},
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(emulator.api_url + "chat.postMessage", json=body, headers=headers) as resp,
    ):
        assert (await resp.json())["ok"] is True
    assert emulator.messages[-1].metadata == body["metadata"]
    err = await error_of(client.api_call("nope.nothing"))
    assert err.response["error"] == "unknown_method"


async def test_conversations_create_valid_name_returns_channel(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    resp = await client.conversations_create(name="inc-42-db_down", is_private=False)
    ch = resp["channel"]
    assert re.fullmatch(r"C[A-Z0-9]{10}", ch["id"])
    assert ch["name"] == "inc-42-db_down"
    assert ch["is_member"] is True
    assert ch["creator"] == "UWARROOM"
    assert ch["topic"] == {"value": "", "creator": "", "last_set": 0}
    assert emulator.channel_by_name("inc-42-db_down") is not None


async def test_conversations_create_taken_name_returns_name_taken(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    created = await client.conversations_create(name="inc-1")
    await client.conversations_archive(channel=created["channel"]["id"])
    err = await error_of(client.conversations_create(name="inc-1"))
    assert err.response["error"] == "name_taken"
    assert (await error_of(client.conversations_create(name="general"))).response[
        "error"
    ] == "name_taken"


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("Has Caps", "invalid_name_specials"),
        ("bad!name", "invalid_name_specials"),
        ("", "invalid_name_required"),
        ("x" * 81, "invalid_name_maxlength"),
        ("--", "invalid_name_punctuation"),
    ],
)
async def test_conversations_create_invalid_name_returns_error(
    client: AsyncWebClient, name: str, error: str
) -> None:
    assert (await error_of(client.conversations_create(name=name))).response["error"] == error


async def test_chat_post_update_pin_history_roundtrip_keeps_shapes(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*SEV1* db down"}}]
    meta = {"event_type": "incident_opened", "event_payload": {"incident_id": 42}}
    first = await client.chat_postMessage(
        channel="C0ANNOUNCE", text="db down", blocks=blocks, metadata=meta
    )
    second = await client.chat_postMessage(channel="incidents", text="two", thread_ts=first["ts"])
    assert first["channel"] == second["channel"] == "C0ANNOUNCE"
    assert float(second["ts"]) > float(first["ts"])
    assert first["message"]["blocks"] == blocks
    updated = await client.chat_update(channel="C0ANNOUNCE", ts=first["ts"], text="db back")
    assert updated["text"] == "db back"
    await client.pins_add(channel="C0ANNOUNCE", timestamp=first["ts"])
    err = await error_of(client.pins_add(channel="C0ANNOUNCE", timestamp=first["ts"]))
    assert err.response["error"] == "already_pinned"
    history = await client.conversations_history(channel="C0ANNOUNCE", include_all_metadata=True)
    [top] = history["messages"]  # thread replies stay out of history, as in Slack
    assert top["text"] == "db back"
    assert top["blocks"] == blocks
    assert top["metadata"] == meta
    assert top["reply_count"] == 1
    assert top["edited"]["user"] == "UWARROOM"
    assert emulator.pins["C0ANNOUNCE"] == [first["ts"]]
    assert emulator.messages[0].edited is True
    plain = await client.conversations_history(channel="C0ANNOUNCE")
    assert "metadata" not in plain["messages"][0]
    replies = await client.conversations_replies(channel="C0ANNOUNCE", ts=first["ts"])
    assert [m["text"] for m in replies["messages"]] == ["db back", "two"]


async def test_chat_post_message_user_id_opens_dm_channel(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    first = await client.chat_postMessage(channel=ALICE, text="hello")
    again = await client.chat_postMessage(channel=ALICE, text="again")
    assert first["channel"].startswith("D")
    assert again["channel"] == first["channel"]
    assert emulator.channels[first["channel"]].members == {ALICE, "UWARROOM"}


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"channel": "C0GENERAL", "text": ""}, "no_text"),
        ({"channel": "C0MISSING", "text": "x"}, "channel_not_found"),
        ({"channel": "C0OUTSIDE", "text": "x"}, "not_in_channel"),
        ({"channel": "C0OLD", "text": "x"}, "is_archived"),
        ({"channel": "C0GENERAL", "text": "x" * 40_001}, "msg_too_long"),
        ({"channel": "C0GENERAL", "text": "x", "blocks": [{"type": "section"}]}, "invalid_blocks"),
    ],
)
async def test_chat_post_message_bad_request_returns_slack_error(
    emulator: SlackEmulator, client: AsyncWebClient, kwargs: dict[str, Any], error: str
) -> None:
    emulator.channels["C0OUTSIDE"] = EmChannel("C0OUTSIDE", "outside", ALICE, 0, members={ALICE})
    emulator.channels["C0OLD"] = EmChannel(
        "C0OLD", "old", ALICE, 0, members={"UWARROOM"}, is_archived=True
    )
    call = client.api_call("chat.postMessage", json=kwargs)  # JSON body, as some clients send
    assert (await error_of(call)).response["error"] == error
    assert emulator.calls[-1][0] == "chat.postMessage"


async def test_chat_update_other_users_message_returns_cant_update(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    human = emulator.add_message("C0GENERAL", ALICE, "hi")
    err = await error_of(client.chat_update(channel="C0GENERAL", ts=human.ts, text="x"))
    assert err.response["error"] == "cant_update_message"
    err = await error_of(client.chat_update(channel="C0GENERAL", ts="1.000001", text="x"))
    assert err.response["error"] == "message_not_found"


async def test_conversations_invite_new_user_adds_member(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    ch = (await client.conversations_create(name="inc-2"))["channel"]["id"]
    resp = await client.conversations_invite(channel=ch, users=[ALICE, BOB])
    assert resp["channel"]["num_members"] == 3
    assert emulator.channels[ch].members == {"UWARROOM", ALICE, BOB}


@pytest.mark.parametrize(
    ("channel", "users", "error"),
    [
        ("NEW", "U0NOBODY", "user_not_found"),
        ("NEW", "UWARROOM", "cant_invite_self"),
        ("C0GENERAL", f"{ALICE},{BOB}", "already_in_channel"),
        ("C0MISSING", ALICE, "channel_not_found"),
        ("C0OLD", ALICE, "is_archived"),
        ("C0OUTSIDE", BOB, "not_in_channel"),
    ],
)
async def test_conversations_invite_bad_request_returns_slack_error(
    emulator: SlackEmulator, client: AsyncWebClient, channel: str, users: str, error: str
) -> None:
    emulator.channels["C0OUTSIDE"] = EmChannel("C0OUTSIDE", "outside", ALICE, 0, members={ALICE})
    emulator.channels["C0OLD"] = EmChannel(
        "C0OLD", "old", ALICE, 0, is_archived=True, members={"UWARROOM"}
    )
    if channel == "NEW":
        channel = (await client.conversations_create(name="inc-3"))["channel"]["id"]
    err = await error_of(client.conversations_invite(channel=channel, users=users))
    assert err.response["error"] == error


async def test_conversations_set_topic_long_topic_returns_too_long(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    resp = await client.conversations_setTopic(channel="C0GENERAL", topic="SEV1 | IC @alice")
    assert resp["channel"]["topic"]["value"] == "SEV1 | IC @alice"
    err = await error_of(client.conversations_setTopic(channel="C0GENERAL", topic="x" * 251))
    assert err.response["error"] == "too_long"
    assert emulator.messages == []


async def test_chat_post_ephemeral_non_member_returns_user_not_in_channel(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    ch = (await client.conversations_create(name="inc-4"))["channel"]["id"]
    err = await error_of(client.chat_postEphemeral(channel=ch, user=ALICE, text="psst"))
    assert err.response["error"] == "user_not_in_channel"
    resp = await client.chat_postEphemeral(channel="C0GENERAL", user=ALICE, text="psst")
    assert resp["message_ts"]
    assert emulator.ephemerals == [
        {"channel": "C0GENERAL", "user": ALICE, "text": "psst", "blocks": None}
    ]


async def test_rate_limit_surfaces_as_429_with_retry_after(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    emulator.rate_limit("chat.postMessage", retry_after=7)
    err = await error_of(client.chat_postMessage(channel="C0GENERAL", text="x"))
    assert err.response.status_code == 429
    assert err.response.headers["Retry-After"] == "7"
    assert err.response["error"] == "ratelimited"
    assert (await client.chat_postMessage(channel="C0GENERAL", text="x"))["ok"] is True


async def test_http_error_503_surfaces_as_slack_api_error(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    emulator.http_error("*", status=503)
    err = await error_of(client.auth_test())
    assert err.response.status_code == 503
    assert (await client.auth_test())["ok"] is True


async def test_fail_queued_faults_apply_fifo_then_clear(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    emulator.fail("chat.postMessage", "fatal_error", times=2)
    emulator.fail("*", "internal_error")
    for expected in ("fatal_error", "fatal_error", "internal_error"):
        err = await error_of(client.chat_postMessage(channel="C0GENERAL", text="x"))
        assert err.response["error"] == expected
    emulator.fail("auth.test", "account_inactive", times=5)
    emulator.clear_faults()
    assert (await client.auth_test())["ok"] is True


async def test_delay_sleeps_before_answering(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    emulator.delay("auth.test", 0.3)
    started = time.perf_counter()
    await client.auth_test()
    assert time.perf_counter() - started >= 0.3
    started = time.perf_counter()
    await client.auth_test()
    assert time.perf_counter() - started < 0.3


async def test_views_open_trigger_is_single_use_and_expires(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    view = {
        "type": "modal",
        "callback_id": "declare",
        "title": {"type": "plain_text", "text": "Declare incident"},
        "blocks": [],
    }
    trigger = emulator.new_trigger_id()
    opened = await client.views_open(trigger_id=trigger, view=view)
    assert opened["view"]["id"].startswith("V")
    assert opened["view"]["callback_id"] == "declare"
    assert emulator.views[0]["trigger_id"] == trigger
    err = await error_of(client.views_open(trigger_id=trigger, view=view))
    assert err.response["error"] == "invalid_trigger_id"
    updated = await client.views_update(view_id=opened["view"]["id"], view=view)
    assert updated["view"]["id"] == opened["view"]["id"]
    emulator.trigger_ttl = 0.05
    late = emulator.new_trigger_id()
    await asyncio.sleep(0.1)
    err = await error_of(client.views_open(trigger_id=late, view=view))
    assert err.response["error"] == "expired_trigger_id"
    long_title = {**view, "title": {"type": "plain_text", "text": "x" * 25}}
    err = await error_of(client.views_open(trigger_id=emulator.new_trigger_id(), view=long_title))
    assert err.response["error"] == "invalid_arguments"


async def test_files_upload_v2_posts_file_message(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    resp = await client.files_upload_v2(
        channel="C0GENERAL",
        content="# hi",
        filename="x.md",
        title="x",
        initial_comment="postmortem draft",
    )
    file_id = resp["file"]["id"]
    assert emulator.files[file_id]["content"] == b"# hi"
    assert emulator.files[file_id]["channel"] == "C0GENERAL"
    msg = emulator.messages[-1]
    assert msg.text == "postmortem draft"
    assert msg.files == [{"id": file_id, "name": "x.md", "title": "x"}]
    assert [m for m, _ in emulator.calls] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


async def test_files_complete_upload_without_bytes_returns_invalid_arguments(
    client: AsyncWebClient,
) -> None:
    got = await client.files_getUploadURLExternal(filename="x.md", length=3)
    err = await error_of(
        client.files_completeUploadExternal(
            files=[{"id": got["file_id"], "title": "x"}], channel_id="C0GENERAL"
        )
    )
    assert err.response["error"] == "invalid_arguments"


async def test_transcript_renders_mrkdwn_blocks_pins_and_edits(
    emulator: SlackEmulator, client: AsyncWebClient
) -> None:
    text = (
        "<!channel> <@U0ALICE> is IC, see <#C0ANNOUNCE|incidents> and "
        "<https://status.example.com|status> at <!date^1700000000^{time}|10:13> "
        "&lt;ok&gt; &amp;"
    )
    first = await client.chat_postMessage(channel="C0GENERAL", text=text)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "SEV1"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "Lead <@U0BOB|bobby>"},
            "fields": [{"type": "mrkdwn", "text": "*Status* open"}],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "opened by <@U0CAROL>"}]},
    ]
    second = await client.chat_postMessage(channel="C0GENERAL", text="fallback", blocks=blocks)
    await client.chat_update(channel="C0GENERAL", ts=second["ts"], text="fallback 2")
    await client.pins_add(channel="C0GENERAL", timestamp=first["ts"])
    out = emulator.transcript("C0GENERAL")
    hhmm = time.strftime("%H:%M", time.gmtime(float(first["ts"])))
    assert out.startswith(f"📌 [{hhmm}] warroom: @channel @alice is IC, see #incidents and ")
    assert "status (https://status.example.com) at 10:13 <ok> &" in out
    assert "warroom: SEV1\nLead @bob\n*Status* open\nopened by @carol (edited)" in out
    assert "fallback" not in out


async def test_response_url_post_is_recorded(emulator: SlackEmulator) -> None:
    url = emulator.new_response_url()
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json={"text": "done", "response_type": "ephemeral"}) as r:
            assert r.status == 200
        async with session.post(emulator.base_url + "/response/nope", json={}) as r:
            assert r.status == 404
    assert emulator.responses == [
        {"text": "done", "response_type": "ephemeral", "_url_id": url.rsplit("/", 1)[1]}
    ]


async def test_driver_sign_known_vector_matches_slack_docs() -> None:
    secret = "8f742231b10e8888abcd99yyyzzz85a5"
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
        b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA"
        b"&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url="
        b"https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554"
        b"%2F96rGlfmibIGlgcZRskXaIFfN"
        b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    expected = hmac.new(secret.encode(), b"v0:1531420618:" + body, hashlib.sha256).hexdigest()
    assert expected == "a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    async with aiohttp.ClientSession() as session:
        driver = SlackDriver(
            bot_url="http://unused",
            signing_secret=secret,
            session=session,
            emulator=SlackEmulator(),
        )
        signed = driver.sign(body, 1531420618)
    assert signed == {
        "X-Slack-Request-Timestamp": "1531420618",
        "X-Slack-Signature": f"v0={expected}",
    }


def test_slack_escape_control_characters_are_escaped() -> None:
    assert slack_escape("a<b>&c") == "a&lt;b&gt;&amp;c"


@pytest.fixture
async def fake_bot() -> AsyncIterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    seen: list[tuple[dict[str, str], bytes]] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append((dict(request.headers), await request.read()))
        return web.json_response({"text": "on it"})

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}", seen
    await runner.cleanup()


async def test_driver_requests_are_signed_and_shaped_like_slack(
    emulator: SlackEmulator, fake_bot: tuple[str, list[tuple[dict[str, str], bytes]]]
) -> None:
    url, seen = fake_bot
    verifier = SignatureVerifier("s3cret")
    posted = await AsyncWebClient(token=TOKEN, base_url=emulator.api_url).chat_postMessage(
        channel="C0GENERAL",
        text="ack?",
        blocks=[
            {
                "type": "actions",
                "block_id": "ack",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "ack_btn",
                        "value": "42",
                        "text": {"type": "plain_text", "text": "Ack"},
                    }
                ],
            }
        ],
    )
    async with aiohttp.ClientSession() as session:
        driver = SlackDriver(
            bot_url=url, signing_secret="s3cret", session=session, emulator=emulator
        )
        reply = await driver.command(
            user_id=ALICE, channel_id="C0GENERAL", text=slack_escape("declare <db> & co")
        )
        await driver.block_action(
            user_id=BOB, channel_id="C0GENERAL", action_id="ack_btn", value="42"
        )
        await driver.view_submission(
            user_id=ALICE,
            view={"callback_id": "declare"},
            values={"b": {"a": {"type": "plain_text_input", "value": "x"}}},
        )
        await driver.event(
            {"type": "app_mention", "user": ALICE, "text": "hi", "channel": "C0GENERAL"},
            event_id="Ev1",
            retry_num=1,
        )
    assert reply.status == 200
    assert reply.text == "on it"
    assert reply.elapsed > 0
    for headers, body in seen:
        assert verifier.is_valid_request(body, headers)
    form = {k: v[0] for k, v in parse_qs(seen[0][1].decode(), keep_blank_values=True).items()}
    assert form["channel_name"] == "general"
    assert form["user_name"] == "alice"
    assert form["text"] == "declare &lt;db&gt; &amp; co"
    assert form["response_url"].startswith(emulator.base_url + "/response/")
    assert form["is_enterprise_install"] == "false"
    action = json.loads(parse_qs(seen[1][1].decode())["payload"][0])
    assert action["type"] == "block_actions"
    assert action["container"]["message_ts"] == posted["ts"]
    assert action["actions"][0]["block_id"] == "ack"
    assert action["message"]["ts"] == posted["ts"]
    submission = json.loads(parse_qs(seen[2][1].decode())["payload"][0])
    assert submission["view"]["state"]["values"]["b"]["a"]["value"] == "x"
    event_headers, event_body = seen[3]
    assert event_headers["X-Slack-Retry-Num"] == "1"
    assert event_headers["X-Slack-Retry-Reason"] == "http_timeout"
    envelope = json.loads(event_body)
    assert envelope["type"] == "event_callback"
    assert envelope["event_id"] == "Ev1"
    assert envelope["event"]["type"] == "app_mention"
