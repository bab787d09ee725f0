"""Hostile input against the real server: forged and oversized requests, fuzzed bodies, Slack
markup in titles, who may do what, secrets in logs, and the same incident declared twice.

Every test ends by reading what people would see (replies, the Slack emulator, the public
pages) and what warroom recorded (the database).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote_from_bytes, quote_plus, urlencode
from xml.etree import ElementTree as ET

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from bot import slack_blocks as ids
from bot.config import Secret
from bot.domain import grammar as g
from bot.domain.errors import UsageError
from sandbox.slack_driver import DriverReply
from sandbox.slack_emulator import APP_ID, EmChannel, EmMessage, SlackEmulator
from storage.db import Database
from tests.conftest import (
    ALICE,
    ANNOUNCE,
    BOB,
    CAROL,
    GENERAL,
    USERS,
    Bot,
    bot_settings,
    start_bot,
)
from tests.handlers.test_modal import opened_view, values
from tests.reliability.conftest import (
    REPO,
    FixedSlack,
    FixedStatuspage,
    ServerFactory,
    Store,
    incident_channels,
    wait_until,
)

FORM = "application/x-www-form-urlencoded"
DECLARING = re.compile(r"Declaring \*INC-(\d+)\*")
# Any Slack special token but a date (<!date^...>) notifies or links someone when posted.
SPECIAL = re.compile(r"<!(?!date\^)")
BROADCAST = re.compile(r"<!(?:channel|here|everyone|subteam\^)", re.IGNORECASE)
HOSTILE = "Checkout down <!channel> <!here> <!everyone> <!subteam^S123|@oncall> <<!x>!channel> end"
PROPERTY = settings(
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
)


# ----- helpers --------------------------------------------------------------------------------


def command_fields(text: str, user: str = ALICE, channel: str = GENERAL) -> dict[str, str]:
    """Return a slash command form as Slack sends it."""
    return {
        "token": "emulator-verification-token",
        "team_id": "T0EMULATOR",
        "team_domain": "emulator",
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/incident",
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": "http://127.0.0.1:9/response",
        "trigger_id": "1.2.3",
    }


async def post_signed(bot: Bot, body: bytes, content_type: str) -> DriverReply:
    """POST a body to /slack/events, correctly signed."""
    return await bot.driver.raw(body, {"Content-Type": content_type, **bot.driver.sign(body)})


def created_channels(slack: SlackEmulator) -> list[str]:
    """Return the names of channels the bot asked Slack to create (successfully or not)."""
    return [str(p.get("name")) for m, p in slack.calls if m == "conversations.create"]


def markup(message: EmMessage) -> list[str]:
    """Return every text of a message that Slack parses for mentions (text and mrkdwn)."""
    found = [message.text]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.blocks)
    return found


def specials_posted(slack: SlackEmulator) -> list[str]:
    """Return every bot-posted Slack text (messages, topics, ephemerals, responses) that holds
    a special token other than a date."""
    texts = [t for m in slack.messages if m.user == slack.bot_user_id for t in markup(m)]
    texts += [text for c in slack.channels.values() for text in (c.topic, c.purpose)]
    texts += [str(e.get("text")) for e in slack.ephemerals]
    texts += [str(r.get("text")) for r in slack.responses]
    return [t for t in texts if SPECIAL.search(t)]


def opens_form(text: str) -> bool:
    """Return whether `/incident <text>` is one of the forms answered by opening a modal."""
    words = [w.lower() for w in text.split()]
    return words in ([], ["declare"]) or words == ["postmortem", "publish"]


@dataclass
class FuzzTarget:
    """A real server on a private event loop that runs only while a request is in flight."""

    bot: Bot
    channel: str
    runner: asyncio.Runner

    def post(self, body: bytes, content_type: str) -> DriverReply:
        """POST a correctly signed body and return the answer."""
        return self.runner.run(asyncio.wait_for(post_signed(self.bot, body, content_type), 60))


async def _session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()


@contextmanager
def fuzz_target(database_url: str) -> Iterator[FuzzTarget]:
    """Start one server (and Slack emulator) for a whole property, with an incident open.

    Hypothesis draws examples synchronously between requests, so no server code (which uses
    `random` for retry jitter) runs while an example is generated.
    """
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
        slack = SlackEmulator(users=USERS, channels=[(GENERAL, "general"), (ANNOUNCE, "incidents")])
        runner.run(slack.start())
        http = runner.run(_session())
        bot = runner.run(start_bot(bot_settings(slack, database_url), slack, http))
        try:
            channel = runner.run(bot.declare("declare sev2 Fuzzing target"))
            yield FuzzTarget(bot=bot, channel=channel, runner=runner)
        finally:
            runner.run(bot.stop())
            runner.run(http.close())
            runner.run(slack.stop())


def never_5xx(reply: DriverReply, what: object) -> None:
    """Check the answer is a 200 or a 4xx (Slack shows the user an error for anything else)."""
    assert reply.status == 200 or 400 <= reply.status < 500, (reply.status, reply.body[:300], what)


# ----- 1. signatures, freshness and size --------------------------------------------------------


def _signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


async def test_events_forged_or_stale_requests_to_server_process_are_401_and_change_nothing(
    make_server: ServerFactory, slack: FixedSlack, store: Store
) -> None:
    server = make_server()
    await server.start()
    secret = server.driver.signing_secret
    body = urlencode(command_fields("declare sev1 Forged outage")).encode()
    other = urlencode(command_fields("declare sev4 Harmless")).encode()
    now = int(time.time())

    def signed(ts: int | str, payload: bytes = body, prefix: str = "v0=") -> dict[str, str]:
        return {
            "X-Slack-Request-Timestamp": str(ts),
            "X-Slack-Signature": prefix + _signature(secret, str(ts), payload),
        }

    cases: dict[str, tuple[bytes, dict[str, str]]] = {
        "unsigned": (body, {}),
        "timestamp-only": (body, {"X-Slack-Request-Timestamp": str(now)}),
        "wrong-signature": (body, {**signed(now), "X-Slack-Signature": "v0=" + "0" * 64}),
        "another-secret": (
            body,
            {
                "X-Slack-Request-Timestamp": str(now),
                "X-Slack-Signature": "v0=" + _signature("not-the-secret", str(now), body),
            },
        ),
        "older-than-5-minutes": (body, signed(now - 5 * 60 - 5)),
        "10-minutes-in-the-future": (body, signed(now + 10 * 60)),
        "non-numeric-timestamp": (body, signed("1.7e9")),
        "negative-timestamp": (body, signed(-now)),
        "timestamp-with-spaces": (body, signed(f" {now} ")),
        "body-changed-after-signing": (body, signed(now, other)),
        "wrong-version-prefix": (body, signed(now, prefix="v1=")),
        "uppercase-version-prefix": (body, signed(now, prefix="V0=")),
        "no-version-prefix": (body, signed(now, prefix="")),
        "empty-signature": (body, {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": ""}),
    }
    answers = {}
    for name, (payload, headers) in cases.items():
        reply = await server.driver.raw(payload, {"Content-Type": FORM, **headers})
        answers[name] = (reply.status, reply.body[:120])
    # The same server serves a correctly signed request, so the 401s were the signature's doing.
    help_reply = await server.command(ALICE, GENERAL, "help")
    await asyncio.sleep(0.5)  # room for anything wrongly queued to reach Slack

    assert {name: a for name, a in answers.items() if a[0] != 401} == {}
    assert help_reply.status == 200
    assert "/incident declare" in help_reply.text
    assert created_channels(slack) == []
    assert await store.incidents() == []
    assert server.running


@pytest.mark.parametrize(
    "timestamp",
    ["\u00b2", "\u00b9\u2077\u2070\u2070\u2070\u2070\u2070\u2070\u2070\u2070"],
    ids=["superscript-two", "superscript-1700000000"],
)
async def test_events_superscript_digit_timestamp_is_401_and_changes_nothing(
    bot: Bot, store: Store, timestamp: str
) -> None:
    # "²".isdigit() is True but int("²") fails: the pre-check lets it through to Bolt.
    body = urlencode(command_fields("declare sev1 Forged outage")).encode()
    reply = await bot.driver.raw(
        body,
        {
            "Content-Type": FORM,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": "v0=" + "0" * 64,
        },
    )
    await bot.settle()
    assert reply.status == 401, (reply.status, reply.body)
    assert created_channels(bot.slack) == []
    assert await store.incidents() == []


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


# ----- 2. property-based --------------------------------------------------------------------

SEPARATORS = st.sampled_from([" ", "  ", "\n", "\t", "\u00a0", "\u3000", "\x1c", "\u2028", ""])
WORDS = st.sampled_from(
    [
        *(sub.name for sub in g.SUBCOMMANDS),
        "DECLARE",
        "Sev1",
        "sev2",
        "sev0",
        "sev99999999999999999999",
        "sev\u0661",
        "\u017fev1",
        "me",
        "<@U0BOB|bob>",
        "<@W1>",
        "<@U0BOB",
        "done",
        "publish",
        "-25m",
        "14:02",
        "2024-13-45 25:61",
        "API,,",
        "partial_outage",
        "investigating",
        "resolved",
        "<!channel>",
        "commander",
        "ic",
    ]
)
COMMAND_TEXTS = st.lists(
    st.tuples(st.one_of(WORDS, st.text(max_size=12)), SEPARATORS), max_size=6
).map(lambda parts: "".join(word + sep for word, sep in parts))
ANY_TEXT = st.one_of(COMMAND_TEXTS, st.text())


@settings(PROPERTY, max_examples=600)
@given(text=ANY_TEXT, caller=st.text(max_size=20))
def test_grammar_parse_any_text_returns_a_command_or_usage_error_with_hint(
    text: str, caller: str
) -> None:
    refusal: UsageError | None = None
    try:
        parsed: object = g.parse(text, caller)
    except UsageError as error:  # the only failure allowed, and it always says the fix
        refusal = error
    if refusal is None:
        assert isinstance(parsed, g.Command)
    else:
        assert refusal.message
        assert refusal.hint


CONTROL = st.text(
    alphabet=st.one_of(
        st.characters(max_codepoint=0x1F), st.sampled_from("\u2028\u202e\u200b\ufeff")
    ),
    max_size=30,
)
HUGE = st.builds(
    lambda unit, n: (unit * n)[:10_000], st.text(min_size=1, max_size=8), st.integers(500, 10_000)
)
# Real commands with a hostile tail reach the use cases, not only the grammar's refusals.
EXAMPLES = st.builds(
    lambda example, tail: example + tail,
    st.sampled_from([f"{sub.example} " for sub in g.SUBCOMMANDS] + ["declare sev2 "]),
    st.one_of(st.just(""), st.text(max_size=40), CONTROL, HUGE),
)
HTTP_TEXTS = st.one_of(EXAMPLES, COMMAND_TEXTS, st.text(max_size=300), CONTROL, HUGE)
RESERVED = {"payload", "ssl_check", "command", "text", "token"}


@dataclass(frozen=True)
class Form:
    body: bytes
    command: str | None
    text: str


@st.composite
def command_forms(draw: st.DrawFn, channels: list[str]) -> Form:
    """A slash command form with hostile values, extra keys and maybe invalid UTF-8."""
    fields = command_fields(
        draw(HTTP_TEXTS),
        user=draw(st.one_of(st.sampled_from([ALICE, BOB, CAROL, "", "U0NOBODY"]), st.text())),
        channel=draw(st.one_of(st.sampled_from(channels), st.text(max_size=40))),
    )
    fields["command"] = draw(
        st.sampled_from(["/incident"] * 12 + ["/INCIDENT", "/incident ", "/other"])
    )
    fields["response_url"] = draw(
        st.sampled_from(["http://127.0.0.1:9/response", "", "not a url", "ftp://x/"])
    )
    for key in draw(st.sets(st.sampled_from(["user_id", "channel_id", "team_id", "trigger_id"]))):
        del fields[key]
    extra = draw(st.dictionaries(st.text(max_size=15), st.text(max_size=60), max_size=4))
    for key, value in extra.items():
        if key.strip() and not any(word in key for word in RESERVED) and key not in fields:
            fields[key] = value
    parts = [f"{quote_plus(k)}={quote_plus(v)}" for k, v in fields.items()]
    if draw(st.booleans()):  # percent-encoded bytes that are not UTF-8
        parts.append(f"junk={quote_from_bytes(draw(st.binary(min_size=1, max_size=16)))}")
    body = "&".join(parts)
    text = dict(parse_qsl(body, keep_blank_values=True)).get("text", "")
    return Form(body=body.encode(), command=fields.get("command"), text=text)


def test_events_any_signed_command_form_is_answered_never_5xx(database_url: str) -> None:
    with fuzz_target(database_url) as target:
        _command_forms_answered(target)


def _command_forms_answered(target: FuzzTarget) -> None:

    @settings(PROPERTY, max_examples=200)
    @given(form=command_forms([GENERAL, target.channel, "C0NOTHERE"]))
    def answered(form: Form) -> None:
        reply = target.post(form.body, FORM)
        never_5xx(reply, form)
        if reply.status == 200 and form.command == "/incident" and b"payload" not in form.body:
            assert reply.text or opens_form(form.text), (reply.body[:300], form)

    answered()


JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=20),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)


def _element(value_key: str) -> st.SearchStrategy[Any]:
    return st.one_of(
        JSON_VALUES,
        st.fixed_dictionaries({value_key: st.one_of(st.text(max_size=50), JSON_VALUES)}),
    )


STATE_VALUES = st.fixed_dictionaries(
    {},
    optional={
        ids.TITLE_BLOCK: st.one_of(
            JSON_VALUES, st.fixed_dictionaries({ids.TITLE_ACTION: _element("value")})
        ),
        ids.SEVERITY_BLOCK: st.one_of(
            JSON_VALUES,
            st.fixed_dictionaries(
                {ids.SEVERITY_ACTION: st.one_of(JSON_VALUES, _element("selected_option"))}
            ),
        ),
        ids.DESCRIPTION_BLOCK: st.fixed_dictionaries({ids.DESCRIPTION_ACTION: _element("value")}),
        ids.SUMMARY_BLOCK: st.one_of(
            JSON_VALUES, st.fixed_dictionaries({ids.SUMMARY_ACTION: _element("value")})
        ),
    },
)


@st.composite
def interaction_payloads(draw: st.DrawFn, channel: str) -> str:
    """The `payload` field of an interaction: garbage, any JSON, or a hostile view/action."""
    kind = draw(
        st.sampled_from(["garbage", "json", "view_submission", "view_closed", "block_actions"])
    )
    if kind == "garbage":
        return draw(st.text(max_size=200))
    if kind == "json":
        return json.dumps(draw(JSON_VALUES))
    view = {
        "id": draw(st.one_of(st.sampled_from(["V0FUZZ1", "V0FUZZ2"]), JSON_VALUES)),
        "type": draw(st.one_of(st.just("modal"), JSON_VALUES)),
        "callback_id": draw(
            st.sampled_from([ids.DECLARE_MODAL_CALLBACK, ids.PUBLISH_MODAL_CALLBACK, "other"])
        ),
        "private_metadata": draw(st.one_of(st.sampled_from([GENERAL, channel, ""]), JSON_VALUES)),
        "state": draw(st.one_of(JSON_VALUES, st.fixed_dictionaries({"values": STATE_VALUES}))),
    }
    for key in draw(st.sets(st.sampled_from(["id", "type", "private_metadata", "state"]))):
        del view[key]
    payload = {
        "type": kind,
        "team": {"id": "T0EMULATOR", "domain": "emulator"},
        "api_app_id": APP_ID,
        "token": "emulator-verification-token",
        "trigger_id": "1.2.3",
        "user": draw(
            st.one_of(st.fixed_dictionaries({"id": st.sampled_from([ALICE, BOB])}), JSON_VALUES)
        ),
        "view": view,
        "actions": draw(JSON_VALUES),
    }
    return json.dumps(payload)


def test_events_any_signed_interaction_payload_is_answered_never_5xx(database_url: str) -> None:
    with fuzz_target(database_url) as target:
        _interactions_answered(target)


def _interactions_answered(target: FuzzTarget) -> None:

    @settings(PROPERTY, max_examples=100)
    @given(payload=interaction_payloads(target.channel))
    def answered(payload: str) -> None:
        body = urlencode({"payload": payload}).encode()
        never_5xx(target.post(body, FORM), payload)

    answered()


@st.composite
def event_envelopes(draw: st.DrawFn, channel: str) -> dict[str, Any]:
    """An Events API envelope with hostile values where Slack puts objects."""
    item = st.one_of(
        JSON_VALUES,
        st.fixed_dictionaries(
            {
                "type": st.one_of(st.just("message"), JSON_VALUES),
                "channel": st.one_of(st.just(channel), JSON_VALUES),
                "ts": st.one_of(st.just("1700000000.000100"), JSON_VALUES),
            }
        ),
    )
    event = st.one_of(
        JSON_VALUES,
        st.fixed_dictionaries(
            {"type": st.sampled_from(["reaction_added", "reaction_removed", "message"])},
            optional={
                "item": item,
                "user": st.one_of(st.just(BOB), JSON_VALUES),
                "reaction": st.one_of(st.sampled_from(["pushpin", "round_pushpin"]), JSON_VALUES),
            },
        ),
    )
    envelope: dict[str, Any] = draw(
        st.fixed_dictionaries(
            {
                "type": st.one_of(
                    st.sampled_from(["event_callback", "url_verification", "app_rate_limited"]),
                    st.text(max_size=10),
                ),
                "team_id": st.one_of(st.just("T0EMULATOR"), JSON_VALUES),
                "api_app_id": st.just(APP_ID),
            },
            optional={
                "event": event,
                "event_id": JSON_VALUES,
                "challenge": JSON_VALUES,
                "authorizations": JSON_VALUES,
            },
        )
    )
    return envelope


def test_events_any_signed_event_envelope_is_answered_never_5xx(database_url: str) -> None:
    with fuzz_target(database_url) as target:
        _event_envelopes_answered(target)


def _event_envelopes_answered(target: FuzzTarget) -> None:

    @settings(PROPERTY, max_examples=100)
    @given(envelope=event_envelopes(target.channel))
    def answered(envelope: dict[str, Any]) -> None:
        body = json.dumps(envelope).encode()
        never_5xx(target.post(body, "application/json"), envelope)

    answered()


def test_events_any_signed_garbage_body_is_answered_never_5xx(database_url: str) -> None:
    with fuzz_target(database_url) as target:
        _garbage_answered(target)


def _garbage_answered(target: FuzzTarget) -> None:
    prefixes = st.sampled_from([b"", b"{", b"[", b"payload=", b"command=%2Fincident&text="])
    content_types = st.sampled_from([FORM, "application/json", "text/plain", "multipart/form-data"])

    @settings(PROPERTY, max_examples=75)
    @given(prefix=prefixes, junk=st.binary(max_size=2000), content_type=content_types)
    def answered(prefix: bytes, junk: bytes, content_type: str) -> None:
        body = prefix + junk
        never_5xx(target.post(body, content_type), body[:200])

    answered()


# Shapes Slack never sends but a signed request can carry; each answered 500 when written.
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


# ----- 3. text is data ----------------------------------------------------------------------


async def declare_by_form(bot: Bot, title: str, description: str) -> str:
    """Declare through the modal as ALICE and return the incident channel once it exists."""
    reply = await bot.command(ALICE, GENERAL, "")
    assert (reply.status, reply.body) == (200, "")
    view = await opened_view(bot)
    submitted = await bot.driver.view_submission(
        user_id=ALICE, view=view, values=values(title, "sev2", description)
    )
    assert (submitted.status, submitted.body) == (200, "")
    await wait_until(lambda: bool(incident_channels(bot.slack, 1)), 10, "INC-1 has a channel")
    await bot.settle()
    return bot.incident_channel(1)


async def public_documents(bot: Bot) -> dict[str, str]:
    """Return every public status document by path."""
    paths = [
        "/status",
        "/api/v2/summary.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
        "/history.atom",
        "/history.rss",
    ]
    documents = {}
    for path in paths:
        async with bot.http.get(bot.url + path) as response:
            assert response.status == 200, path
            documents[path] = await response.text()
    return documents


@pytest.mark.parametrize("surface", ["slash-command", "declare-form"])
async def test_title_with_broadcasts_never_notifies_and_is_escaped_on_public_pages(
    bot: Bot, store: Store, surface: str
) -> None:
    if surface == "declare-form":  # modal input is not escaped by Slack
        channel = await declare_by_form(bot, HOSTILE, f"First look: {HOSTILE}")
    else:
        channel = await bot.declare(f"declare sev2 {HOSTILE}")
    replies = [await bot.command(ALICE, channel, f"update {HOSTILE}")]
    replies.append(await bot.command(ALICE, channel, f"status identified {HOSTILE}"))
    await bot.settle()
    replies += [await bot.command(ALICE, channel, t) for t in ("summary", "timeline", "actions")]
    replies.append(await bot.command(BOB, GENERAL, "list"))
    documents = await public_documents(bot)
    replies.append(await bot.command(ALICE, channel, f"resolve {HOSTILE}"))
    await bot.settle()

    [incident] = await store.incidents()
    assert incident.title == HOSTILE  # kept exactly: text is data
    assert [r.status for r in replies] == [200] * len(replies)
    assert [r.text for r in replies if SPECIAL.search(r.text)] == []
    assert specials_posted(bot.slack) == []
    announcements = bot.slack.history(ANNOUNCE)
    assert announcements
    assert any("Checkout down" in m.text for m in announcements)
    [pinned] = bot.slack.pins[channel]
    summary = next(m for m in bot.slack.history(channel) if m.ts == pinned)
    assert "Checkout down" in summary.text
    assert not [t for t in markup(summary) if SPECIAL.search(t)]
    assert bot.slack.channels[channel].topic == "SEV2 | resolved | commander: unassigned"
    drafts = [f for f in bot.slack.files.values() if f["channel"] == channel]
    assert len(drafts) == 1
    draft = drafts[0]["content"].decode()
    assert "Checkout down" in draft
    assert BROADCAST.findall(draft) == []
    for path, document in documents.items():
        assert "Checkout down" in document, path
        assert BROADCAST.findall(document) == [], path
        if path.endswith(".json"):  # JSON carries the plain text; parsing gives it back
            assert "<<!x>!channel> end" in json.dumps(json.loads(document)), path
        else:  # markup: the typed brackets are escaped, not interpreted
            assert "<<" not in document, path
            assert "&lt;&lt;!x&gt;!channel&gt;" in document, path
    ET.fromstring(documents["/history.atom"])
    ET.fromstring(documents["/history.rss"])


LONG_TITLES = {
    "4000-characters": ("Database cluster failover loop " * 134)[:4000],
    "4000-letters": "x" * 4000,
    "emoji-only": "🔥🚒💥🧯" * 10,
    "cjk-only": "支付服务故障数据库连接超时",
    "rtl-only": "خدمة الدفع متوقفة",
    "combining-marks": "Z\u0335\u0321a\u0337l\u0338g\u0336o\u0335 " * 20,
    "punctuation-only": "-_.!?" * 800,
    "zero-width": "\u200b\u200d\ufeff" * 100 + "db",
}


async def test_declare_extreme_titles_give_valid_channel_names_and_topics(
    bot: Bot, store: Store
) -> None:
    channels = {}
    for name, title in LONG_TITLES.items():
        reply = await bot.command(ALICE, GENERAL, f"declare sev3 {title}")
        assert DECLARING.search(reply.text), (name, reply.text)
        await bot.settle()
        channels[name] = bot.incident_channel(len(channels) + 1)

    assert [i.title for i in await store.incidents()] == [t.strip() for t in LONG_TITLES.values()]
    for name, channel in channels.items():
        found = bot.slack.channels[channel]
        assert re.fullmatch(r"[a-z0-9-]+", found.name), (name, found.name)
        assert len(found.name) <= 80, (name, found.name)
        assert 0 < len(found.topic) <= 250, (name, found.topic)
        assert len(bot.slack.pins[channel]) == 1, name  # the summary fitted Slack's limits
        assert ALICE in found.members, name
    assert len({c.name for c in map(bot.slack.channels.get, channels.values()) if c}) == len(
        LONG_TITLES
    )
    assert len(bot.slack.history(ANNOUNCE)) == len(LONG_TITLES)


# ----- 4. who may do what -------------------------------------------------------------------


@pytest.fixture
async def guarded(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> AsyncIterator[Bot]:
    """A bot with RESPONDERS_USERGROUP=S0ONCALL, whose only member is Alice."""
    emulator.usergroups["S0ONCALL"] = {ALICE}
    settings_ = bot_settings(emulator, database_url, responders_usergroup="S0ONCALL")
    running = await start_bot(settings_, emulator, http)
    yield running
    await running.stop()


def refused(reply: DriverReply, what: str) -> bool:
    """Return whether the reply is the responders refusal for `what`, naming group and who may."""
    return (
        reply.status == 200
        and reply.text.startswith(":warning: Only members of the responders group (`S0ONCALL`)")
        and "or the incident commander" in reply.text
        and f"may {what}." in reply.text
        and "make you the commander" in reply.text
    )


async def test_responders_non_member_declares_only_minor_incidents(
    guarded: Bot, store: Store
) -> None:
    sev1 = await guarded.command(BOB, GENERAL, "declare sev1 Checkout is down")
    sev2 = await guarded.command(BOB, GENERAL, "declare sev2 Checkout is slow")
    sev3 = await guarded.command(BOB, GENERAL, "declare sev3 Search is slow")
    default = await guarded.command(BOB, GENERAL, "declare Exports are late")
    await guarded.settle()

    assert refused(sev1, "declare SEV1 or SEV2 incidents"), sev1.text
    assert refused(sev2, "declare SEV1 or SEV2 incidents"), sev2.text
    assert sev3.text.startswith("Declaring *INC-1* (SEV3)"), sev3.text
    assert default.text.startswith("Declaring *INC-2* (SEV3)"), default.text
    assert [(i.title, i.severity) for i in await store.incidents()] == [
        ("Search is slow", "sev3"),
        ("Exports are late", "sev3"),
    ]
    assert len(created_channels(guarded.slack)) == 2


async def test_responders_non_member_is_refused_guarded_changes_until_made_commander(
    guarded: Bot, store: Store
) -> None:
    channel = await guarded.declare("declare sev3 Search is slow", user=BOB)
    update = await guarded.command(BOB, channel, "update Index rebuild running")
    scribe = await guarded.command(BOB, channel, "role scribe me")
    resolve = await guarded.command(BOB, channel, "resolve")
    severity = await guarded.command(BOB, channel, "severity sev1")
    commander_me = await guarded.command(BOB, channel, "role commander me")
    commander_carol = await guarded.command(BOB, channel, "role commander <@U0CAROL|carol>")
    await guarded.settle()
    before = await store.incident(1)

    assert update.text == "Update recorded on INC-1."
    assert scribe.text == "<@U0BOB> is now the Scribe of INC-1."
    assert refused(resolve, "resolve the incident"), resolve.text
    assert refused(severity, "change the severity"), severity.text
    assert refused(commander_me, "assign the commander role"), commander_me.text
    assert refused(commander_carol, "assign the commander role"), commander_carol.text
    assert (before.severity, before.status, before.resolved_at) == ("sev3", "investigating", None)
    assert guarded.slack.channels[channel].topic.endswith("commander: unassigned")

    raised = await guarded.command(ALICE, channel, "severity sev2")
    handed = await guarded.command(ALICE, channel, "role commander <@U0BOB|bob>")
    resolved = await guarded.command(BOB, channel, "resolve Index rebuilt")
    await guarded.settle()
    after = await store.incident(1)

    assert raised.text == "INC-1 is now SEV2."
    assert handed.text == "<@U0BOB> is now the Incident commander of INC-1."
    assert resolved.text == "INC-1 is resolved. Thank you, everyone."
    assert (after.severity, after.status) == ("sev2", "resolved")
    assert after.resolved_at is not None


async def test_responders_member_may_do_every_guarded_change(guarded: Bot, store: Store) -> None:
    channel = await guarded.declare("declare sev1 Checkout is down", user=ALICE)
    answers = [
        await guarded.command(ALICE, channel, "severity sev2"),
        await guarded.command(ALICE, channel, "role commander <@U0CAROL|carol>"),
        await guarded.command(ALICE, channel, "resolve Fixed"),
    ]
    await guarded.settle()
    incident = await store.incident(1)

    assert [a.text for a in answers] == [
        "INC-1 is now SEV2.",
        "<@U0CAROL> is now the Incident commander of INC-1.",
        "INC-1 is resolved. Thank you, everyone.",
    ]
    assert (incident.severity, incident.status) == ("sev2", "resolved")


@pytest.mark.parametrize("fault", ["error", "http-500"])
async def test_responders_unknown_while_slack_fails_says_try_again(
    guarded: Bot, store: Store, fault: str
) -> None:
    if fault == "error":
        guarded.slack.fail("usergroups.users.list", "fatal_error", times=2)
    else:
        guarded.slack.http_error("usergroups.users.list", 500, times=2)
    refusal = await guarded.command(BOB, GENERAL, "declare sev1 Checkout is down")
    minor = await guarded.command(BOB, GENERAL, "declare sev3 Search is slow")
    await guarded.settle()

    assert refusal.status == 200
    assert refusal.text.startswith(":warning: I can't check who the responders are right now")
    assert "Try again in a moment." in refusal.text
    assert "something went wrong" not in refusal.text
    assert minor.text.startswith("Declaring *INC-1* (SEV3)"), minor.text  # needs no check
    assert [i.title for i in await store.incidents()] == ["Search is slow"]

    guarded.slack.clear_faults()
    again = await guarded.command(ALICE, GENERAL, "declare sev1 Checkout is down")
    assert again.text.startswith("Declaring *INC-2* (SEV1)"), again.text


# ----- 5. secrets never leak ----------------------------------------------------------------


async def _password_url(url: str) -> str | None:
    """Return the PostgreSQL URL with a dummy password, if the server accepts it (trust)."""
    candidate = make_url(url).set(password="pw-" + secrets.token_hex(12))
    rendered = candidate.render_as_string(hide_password=False)
    database = Database(rendered)
    try:
        return rendered if await database.ping() else None
    finally:
        await database.dispose()


async def test_server_process_logs_hold_no_secret_and_are_json_lines(
    make_server: ServerFactory,
    slack: FixedSlack,
    statuspage: FixedStatuspage,
    store: Store,
    database_url: str,
    http: aiohttp.ClientSession,
) -> None:
    slack.bot_token = "xoxb-" + secrets.token_hex(16)
    statuspage.api_key = "sp-" + secrets.token_hex(16)
    admin = "adm-" + secrets.token_hex(16)
    env = {"LOG_LEVEL": "DEBUG", "ADMIN_TOKEN": admin}
    secret_values = [slack.bot_token, statuspage.api_key, admin]
    if database_url.startswith("postgresql"):
        with_password = await _password_url(database_url)
        if with_password is not None:
            env["DATABASE_URL"] = with_password
            secret_values.append(str(make_url(with_password).password))
    server = make_server(env=env)
    secret_values.append(server.driver.signing_secret)
    await server.start()

    declared = await server.command(ALICE, GENERAL, "declare sev1 Checkout is down")
    await wait_until(lambda: bool(incident_channels(slack, 1)), 20, "INC-1 has a channel")
    [channel] = incident_channels(slack, 1)
    slack.http_error("chat.postMessage", 500, times=2)
    updated = await server.command(BOB, channel, "update Rolled back deploy 4512")
    await wait_until(
        lambda: any("deploy 4512" in m.text for m in slack.history(channel)), 20, "the update"
    )
    statuspage.fail(401, times=1000)
    public = await server.command(ALICE, channel, "status identified We found the cause")

    async def statuspage_refused() -> bool:
        return any(r.status == "dead" for r in await store.outbox())

    await wait_until(statuspage_refused, 20, "the Statuspage delivery gave up")
    forged = await server.driver.raw(
        urlencode(command_fields("declare sev1 Forged")).encode(),
        {
            "Content-Type": FORM,
            "X-Slack-Request-Timestamp": str(int(time.time())),
            "X-Slack-Signature": "v0=" + "0" * 64,
        },
    )
    answers = {}
    for name, token in {"right": admin, "wrong": admin[:-1]}.items():
        headers = {"Authorization": f"Bearer {token}"}
        async with http.get(f"{server.url}/incidents/1/postmortem.md", headers=headers) as r:
            answers[name] = r.status
    resolved = await server.command(ALICE, channel, "resolve Rolled back")
    await wait_until(lambda: any(m.files for m in slack.history(channel)), 20, "the draft")
    assert await server.term() == 0

    output = server.stdout() + server.stderr()
    lines = server.stderr().splitlines()
    assert declared.text.startswith("Declaring *INC-1*")
    assert updated.text == "Update recorded on INC-1."
    assert public.text == "INC-1 is now *identified*."
    assert resolved.text == "INC-1 is resolved. Thank you, everyone."
    assert forged.status == 401
    assert answers == {"right": 200, "wrong": 401}
    assert [s for s in secret_values if s in output] == []
    assert [s for s in secret_values if s.split("-", 1)[-1] in output] == []
    assert len(lines) > 20

    def not_json(line: str) -> bool:
        try:
            return not isinstance(json.loads(line), dict)
        except ValueError:
            return True

    assert [line for line in lines if not_json(line)] == []
    records = [json.loads(line) for line in lines]
    commands = [r for r in records if r.get("message") == "command"]
    declare = next(r for r in commands if r.get("command") == "declare")
    assert {"incident", "command", "user", "latency_ms", "outcome"} <= declare.keys()
    assert (declare["incident"], declare["user"], declare["outcome"]) == ("INC-1", ALICE, "ok")
    assert isinstance(declare["latency_ms"], int | float)
    assert {r.get("command") for r in commands} >= {"declare", "update", "status", "resolve"}


def test_demo_output_holds_none_of_its_secrets(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--once", "--port", "0"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert "=== What people typed" in done.stdout
    assert "sp-emulator-key" not in output  # the emulated Statuspage API key
    # The demo's signing secret is secrets.token_hex(16): 32 hex digits, which nothing prints.
    assert re.findall(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])", output) == []


# ----- 6. the same incident declared twice ----------------------------------------------------


async def test_declare_same_person_same_title_twice_sequentially_opens_one(
    bot: Bot, store: Store
) -> None:
    first = await bot.command(ALICE, GENERAL, "declare sev2 Login is broken")
    await bot.settle()
    second = await bot.command(ALICE, GENERAL, "declare sev2 Login is broken")
    await bot.settle()
    channel = bot.incident_channel(1)

    assert first.text.startswith("Declaring *INC-1*"), first.text
    assert second.text.startswith("You declared *INC-1* with this title a moment ago")
    assert "didn't open another one" in second.text
    assert f"<#{channel}>" in second.text
    assert len(await store.incidents()) == 1
    assert len(created_channels(bot.slack)) == 1
    assert len(bot.slack.history(ANNOUNCE)) == 1


async def test_declare_same_person_same_title_concurrently_opens_one(
    bot: Bot, store: Store
) -> None:
    replies = await asyncio.gather(
        *(bot.command(ALICE, GENERAL, "declare sev2 Login is broken") for _ in range(3))
    )
    await bot.settle()
    texts = sorted(r.text for r in replies)

    assert [t for t in texts if t.startswith("Declaring *INC-1*")] == texts[:1], texts
    assert all(t.startswith("You declared *INC-1* with this title") for t in texts[1:]), texts
    assert len(await store.incidents()) == 1
    assert len(incident_channels(bot.slack, 1)) == 1
    assert len(created_channels(bot.slack)) == 1
    assert len(bot.slack.history(ANNOUNCE)) == 1


async def test_declare_different_people_or_titles_concurrently_opens_each(
    bot: Bot, store: Store
) -> None:
    replies = await asyncio.gather(
        bot.command(ALICE, GENERAL, "declare sev2 Login is broken"),
        bot.command(BOB, GENERAL, "declare sev2 Login is broken"),
        bot.command(ALICE, GENERAL, "declare sev2 Signup is broken"),
    )
    await bot.settle()

    assert all(DECLARING.search(r.text) for r in replies), [r.text for r in replies]
    incidents = await store.incidents()
    assert sorted((i.declared_by, i.title) for i in incidents) == [
        (ALICE, "Login is broken"),
        (ALICE, "Signup is broken"),
        (BOB, "Login is broken"),
    ]
    assert [i.number for i in incidents] == [1, 2, 3]
    assert len(created_channels(bot.slack)) == 3
    assert len(bot.slack.history(ANNOUNCE)) == 3


async def test_declare_form_submitted_twice_with_same_view_opens_one(
    bot: Bot, store: Store
) -> None:
    await bot.command(ALICE, GENERAL, "")
    view = await opened_view(bot)
    form = values("Login is broken", "sev2", "SSO returns 500")
    replies = await asyncio.gather(
        bot.driver.view_submission(user_id=ALICE, view=view, values=form),
        bot.driver.view_submission(user_id=ALICE, view=view, values=form),
    )
    await wait_until(lambda: bool(incident_channels(bot.slack, 1)), 10, "INC-1 has a channel")
    await asyncio.sleep(0.3)  # both background declares have run
    await bot.settle()
    late = await bot.driver.view_submission(user_id=ALICE, view=view, values=form)
    await asyncio.sleep(0.3)
    await bot.settle()

    assert [(r.status, r.body) for r in [*replies, late]] == [(200, "")] * 3
    assert len(await store.incidents()) == 1
    assert len(created_channels(bot.slack)) == 1
    assert len(bot.slack.history(ANNOUNCE)) == 1
    dms = [m.text for m in bot.slack.messages if m.channel.startswith("D")]
    assert not [t for t in dms if "something went wrong" in t], dms
