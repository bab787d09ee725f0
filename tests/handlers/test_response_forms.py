"""The update, status and resolve forms the summary's buttons open, submitted over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from bot.slack import ids
from sandbox.slack.interactions import FieldKey
from sandbox.slack_driver import DriverReply
from sandbox.slack_emulator import EmMessage, SlackEmulator
from tests.conftest import ALICE, ANNOUNCE, BOB, CAROL, Bot, bot_settings, start_bot
from tests.handlers.forms import opened_view
from tests.handlers.test_buttons import as_first, buttons, click, posts, summary

pytestmark = pytest.mark.timeout(60)

FORMS = {  # the button, and the form's field a refusal is shown on
    ids.UPDATE_FORM_CALLBACK: (ids.POST_UPDATE_BUTTON, ids.UPDATE_BLOCK),
    ids.STATUS_FORM_CALLBACK: (ids.CHANGE_STATUS_BUTTON, ids.MESSAGE_BLOCK),
    ids.RESOLVE_FORM_CALLBACK: (ids.RESOLVE_BUTTON, ids.MESSAGE_BLOCK),
}
FILLED: dict[str, dict[FieldKey, str | None]] = {  # each form as a person fills it in
    ids.UPDATE_FORM_CALLBACK: {(ids.UPDATE_BLOCK, ids.UPDATE_ACTION): "Gateway healthy again"},
    ids.STATUS_FORM_CALLBACK: {
        (ids.STATUS_BLOCK, ids.STATUS_ACTION): "identified",
        (ids.MESSAGE_BLOCK, ids.MESSAGE_ACTION): "Bad config push",
    },
    ids.RESOLVE_FORM_CALLBACK: {(ids.MESSAGE_BLOCK, ids.MESSAGE_ACTION): "All clear"},
}
TYPED = {  # the same, as the slash command
    ids.UPDATE_FORM_CALLBACK: "update Gateway healthy again",
    ids.STATUS_FORM_CALLBACK: "status identified Bad config push",
    ids.RESOLVE_FORM_CALLBACK: "resolve All clear",
}
FIELD = {  # each field: its block, and the element inside it
    ids.UPDATE_BLOCK: (ids.UPDATE_BLOCK, ids.UPDATE_ACTION),
    ids.STATUS_BLOCK: (ids.STATUS_BLOCK, ids.STATUS_ACTION),
    ids.MESSAGE_BLOCK: (ids.MESSAGE_BLOCK, ids.MESSAGE_ACTION),
}
CLOSED = "INC-1 is resolved and takes no more changes."


async def open_form(bot: Bot, user: str, channel: str, callback: str) -> dict[str, Any]:
    """Press the summary's button for the form and return the form Slack shows."""
    count = len(bot.slack.views)
    await click(bot, user, channel, FORMS[callback][0])
    view = await opened_view(bot, count + 1)
    assert view["callback_id"] == callback
    return view


async def submit(
    bot: Bot, user: str, view: dict[str, Any], fill: Mapping[FieldKey, str | None]
) -> DriverReply:
    """Fill in and submit the form; return the ack (empty: the form closes)."""
    reply = await bot.driver.view_submission(user_id=user, view=view, fill=fill)
    assert reply.status == 200, reply.body
    return reply


def field_error(block: str, message: str) -> dict[str, Any]:
    """Return the ack that keeps the form open with `message` under the field `block`."""
    return {"response_action": "errors", "errors": {block: message}}


def stakeholder_thread(slack: SlackEmulator, number: int) -> tuple[EmMessage, list[EmMessage]]:
    """Return INC-<number>'s headline in the stakeholders' channel and the replies under it."""
    [head] = [
        m
        for m in slack.history(ANNOUNCE)
        if m.thread_ts in (None, m.ts) and m.text.startswith(f"INC-{number} (")
    ]
    return head, [m for m in slack.history(ANNOUNCE) if m.thread_ts == head.ts and m.ts != head.ts]


@pytest.fixture
async def still(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> AsyncIterator[Bot]:
    """The real server with a clock that stands still: two incidents last exactly as long."""
    now = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    running = await start_bot(
        bot_settings(emulator, database_url), emulator, http, clock=lambda: now
    )
    yield running
    await running.stop()


# ----- the forms as Slack shows them ---------------------------------------------------------


async def test_post_update_button_opens_update_form(bot: Bot) -> None:
    channel = await bot.declare()
    view = await open_form(bot, BOB, channel, ids.UPDATE_FORM_CALLBACK)
    assert bot.slack.views[-1]["user_id"] == BOB
    assert (view["title"]["text"], view["submit"]["text"]) == ("Update INC-1", "Post update")
    [field] = view["blocks"]
    assert (field["block_id"], field["element"]["action_id"]) == FIELD[ids.UPDATE_BLOCK]
    assert (field["label"]["text"], field["optional"]) == ("What changed?", False)


async def test_change_status_button_opens_status_form_at_current_status(bot: Bot) -> None:
    channel = await bot.declare()
    await bot.command(BOB, channel, "status identified Bad config push")
    await bot.settle()
    view = await open_form(bot, BOB, channel, ids.STATUS_FORM_CALLBACK)
    assert (view["title"]["text"], view["submit"]["text"]) == ("Status of INC-1", "Change")
    select, message = view["blocks"]
    assert (select["block_id"], select["element"]["action_id"]) == FIELD[ids.STATUS_BLOCK]
    options = select["element"]["options"]
    assert [o["text"]["text"] for o in options] == ["Investigating", "Identified", "Monitoring"]
    assert select["element"]["initial_option"]["value"] == "identified"
    assert (message["block_id"], message["element"]["action_id"]) == FIELD[ids.MESSAGE_BLOCK]
    assert (message["label"]["text"], message["optional"]) == ("Message for stakeholders", False)


async def test_resolve_button_opens_resolve_form_with_optional_message(bot: Bot) -> None:
    channel = await bot.declare()
    view = await open_form(bot, ALICE, channel, ids.RESOLVE_FORM_CALLBACK)
    assert (view["title"]["text"], view["submit"]["text"]) == ("Resolve INC-1", "Resolve")
    message, note = view["blocks"]
    assert (message["block_id"], message["element"]["action_id"]) == FIELD[ids.MESSAGE_BLOCK]
    assert (message["label"]["text"], message["optional"]) == (
        "Resolution message (optional)",
        True,
    )
    assert "status pages" in note["elements"][0]["text"]


# ----- what a submission does ----------------------------------------------------------------


async def test_update_form_submit_posts_update_and_closes_form(bot: Bot) -> None:
    channel = await bot.declare()
    view = await open_form(bot, BOB, channel, ids.UPDATE_FORM_CALLBACK)
    reply = await submit(bot, BOB, view, FILLED[ids.UPDATE_FORM_CALLBACK])
    await bot.settle()

    assert reply.body == ""
    said = posts(bot.slack, channel)
    assert said[-1].startswith(":memo: *Update* from @bob")
    assert "Gateway healthy again" in said[-1]
    assert "*Last update:* Gateway healthy again" in str(summary(bot, channel).blocks)


async def test_status_form_submit_changes_status_and_tells_stakeholders(bot: Bot) -> None:
    channel = await bot.declare()
    view = await open_form(bot, BOB, channel, ids.STATUS_FORM_CALLBACK)
    reply = await submit(bot, BOB, view, FILLED[ids.STATUS_FORM_CALLBACK])
    await bot.settle()

    assert reply.body == ""
    said = posts(bot.slack, channel)
    assert "Status is now *identified* (was investigating), set by @bob" in said[-1]
    assert "Bad config push" in said[-1]
    assert bot.slack.channels[channel].topic.startswith("SEV1 | identified | ")
    assert "(SEV1, identified)" in summary(bot, channel).text
    head, replies = stakeholder_thread(bot.slack, 1)
    assert head.text.startswith("INC-1 (SEV1, identified)")
    assert replies[-1].text.endswith("*Identified*: Bad config push")


async def test_resolve_form_submit_resolves_and_uploads_postmortem_draft(bot: Bot) -> None:
    channel = await bot.declare()
    view = await open_form(bot, ALICE, channel, ids.RESOLVE_FORM_CALLBACK)
    reply = await submit(bot, ALICE, view, FILLED[ids.RESOLVE_FORM_CALLBACK])
    await bot.settle()

    assert reply.body == ""
    said = posts(bot.slack, channel)
    assert any("*INC-1 resolved* by @alice" in s and "All clear" in s for s in said)
    [upload] = [m for m in bot.slack.history(channel) if m.files]
    assert upload.files[0]["name"] == "INC-1-postmortem.md"
    assert bot.slack.channels[channel].topic.startswith("SEV1 | resolved | ")
    assert buttons(summary(bot, channel)) == []
    _, replies = stakeholder_thread(bot.slack, 1)
    assert replies[-1].text == ":white_check_mark: *INC-1 is resolved*: All clear"
    assert replies[-1].broadcast


async def test_resolve_form_without_message_resolves(bot: Bot) -> None:
    channel = await bot.declare()
    view = await open_form(bot, ALICE, channel, ids.RESOLVE_FORM_CALLBACK)
    reply = await submit(bot, ALICE, view, {})
    await bot.settle()
    assert reply.body == ""
    assert "(SEV1, resolved)" in summary(bot, channel).text


@pytest.mark.parametrize("callback", list(FORMS))
async def test_form_submit_delivers_what_the_command_delivers(still: Bot, callback: str) -> None:
    bot = still
    typed = await bot.declare()
    await bot.command(ALICE, typed, TYPED[callback])
    filled = await bot.declare("declare sev1 Payments API failing")
    view = await open_form(bot, ALICE, filled, callback)
    await submit(bot, ALICE, view, FILLED[callback])
    await bot.settle()

    def seen(number: int) -> list[str]:
        """Return what people see of INC-<number>, written as if it were INC-1."""
        channel = bot.incident_channel(number)
        head, replies = stakeholder_thread(bot.slack, number)
        texts = [
            *(f"{m.text} {[f['name'] for f in m.files]}" for m in bot.slack.history(channel)),
            bot.slack.channels[channel].topic,
            str(summary(bot, channel).blocks),
            head.text,
            *(r.text for r in replies),
        ]
        return [as_first(t, number=number, channel=channel, first_channel=typed) for t in texts]

    assert len(bot.slack.history(typed)) > 1
    assert seen(2) == seen(1)


# ----- answers inside the form ---------------------------------------------------------------


@pytest.mark.parametrize("typed", ["  \n ", None], ids=["spaces", "nothing"])
async def test_update_form_blank_shows_error_and_posts_nothing(bot: Bot, typed: str | None) -> None:
    channel = await bot.declare()
    view = await open_form(bot, BOB, channel, ids.UPDATE_FORM_CALLBACK)
    said = posts(bot.slack, channel)
    entered = {"type": "plain_text_input", "value": typed}  # nothing: no client sends it
    reply = await bot.driver.view_submission(
        user_id=BOB, view=view, values={ids.UPDATE_BLOCK: {ids.UPDATE_ACTION: entered}}
    )
    await bot.settle()
    assert reply.json == field_error(ids.UPDATE_BLOCK, "Write what changed.")
    assert posts(bot.slack, channel) == said


async def test_status_form_blank_message_shows_error_and_changes_nothing(bot: Bot) -> None:
    channel = await bot.declare()
    view = await open_form(bot, BOB, channel, ids.STATUS_FORM_CALLBACK)
    said = posts(bot.slack, channel)
    fill: dict[FieldKey, str | None] = {
        (ids.STATUS_BLOCK, ids.STATUS_ACTION): "monitoring",
        (ids.MESSAGE_BLOCK, ids.MESSAGE_ACTION): "   ",
    }
    reply = await submit(bot, BOB, view, fill)
    await bot.settle()
    assert reply.json == field_error(
        ids.MESSAGE_BLOCK, "Stakeholders need a message with the status."
    )
    assert posts(bot.slack, channel) == said
    assert "(SEV1, investigating)" in summary(bot, channel).text


@pytest.mark.parametrize("callback", list(FORMS))
async def test_form_submitted_after_resolve_shows_refusal_on_its_field(
    bot: Bot, callback: str
) -> None:
    channel = await bot.declare()
    view = await open_form(bot, BOB, channel, callback)
    await bot.command(ALICE, channel, "resolve Fixed elsewhere")
    await bot.settle()
    said = posts(bot.slack, channel)

    reply = await submit(bot, BOB, view, FILLED[callback])
    await bot.settle()

    assert reply.json == field_error(FORMS[callback][1], CLOSED)
    assert posts(bot.slack, channel) == said


async def test_resolve_form_by_non_responder_shows_refusal_on_message_field(
    guarded: Bot,
) -> None:
    channel = await guarded.declare("declare sev3 Search is slow", user=BOB)
    view = await open_form(guarded, BOB, channel, ids.RESOLVE_FORM_CALLBACK)
    reply = await submit(guarded, BOB, view, FILLED[ids.RESOLVE_FORM_CALLBACK])
    await guarded.settle()

    assert reply.json is not None
    assert reply.json["response_action"] == "errors"
    refusal = reply.json["errors"][ids.MESSAGE_BLOCK]
    assert refusal.startswith("Only members of the responders group (`S0ONCALL`)"), refusal
    assert refusal.endswith("may resolve the incident.")
    assert "(SEV3, investigating)" in summary(guarded, channel).text


async def test_resolve_form_refused_then_allowed_resolves_on_resubmit(guarded: Bot) -> None:
    channel = await guarded.declare("declare sev3 Search is slow", user=BOB)
    view = await open_form(guarded, BOB, channel, ids.RESOLVE_FORM_CALLBACK)
    refused = await submit(guarded, BOB, view, FILLED[ids.RESOLVE_FORM_CALLBACK])
    assert refused.json is not None
    await guarded.command(ALICE, channel, "role commander <@U0BOB|bob>")

    again = await submit(guarded, BOB, view, FILLED[ids.RESOLVE_FORM_CALLBACK])
    await guarded.settle()

    assert again.body == ""  # a refused submission did not use the form up
    assert "(SEV3, resolved)" in summary(guarded, channel).text


# ----- the same submission twice -------------------------------------------------------------

ONCE = {  # what one submission adds: posts in the incident channel, replies to stakeholders
    ids.UPDATE_FORM_CALLBACK: (1, 0),
    ids.STATUS_FORM_CALLBACK: (1, 1),
    ids.RESOLVE_FORM_CALLBACK: (2, 1),  # the resolution, and the post-mortem draft
}


@pytest.mark.parametrize("together", [False, True], ids=["one-after-the-other", "at-once"])
@pytest.mark.parametrize("callback", list(FORMS))
async def test_form_submitted_twice_takes_effect_once(
    bot: Bot, callback: str, together: bool
) -> None:
    channel = await bot.declare()
    view = await open_form(bot, ALICE, channel, callback)
    said = len(bot.slack.history(channel))
    told = len(stakeholder_thread(bot.slack, 1)[1])
    if together:
        replies = list(
            await asyncio.gather(
                submit(bot, ALICE, view, FILLED[callback]),
                submit(bot, ALICE, view, FILLED[callback]),
            )
        )
    else:
        replies = [await submit(bot, ALICE, view, FILLED[callback]) for _ in range(2)]
    await bot.settle()

    assert [r.body for r in replies] == ["", ""]  # both close the form
    added = (
        len(bot.slack.history(channel)) - said,
        len(stakeholder_thread(bot.slack, 1)[1]) - told,
    )
    assert added == ONCE[callback]
    timeline = await bot.command(CAROL, channel, "timeline")
    assert "(2 entries)" in timeline.text  # declared, and the one change
