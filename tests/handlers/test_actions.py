"""`/incident action ...` end to end: options, edits recorded on the timeline, the list, the
30 days after resolve, and ephemeral answers for bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.keys import REMINDERS
from sandbox.slack_emulator import SlackEmulator
from tests.conftest import ALICE, BOB, Bot, bot_settings, start_bot
from tests.handlers.test_cadence import Clock


@pytest.fixture
def clock() -> Clock:
    return Clock()  # 2026-11-30 14:00 UTC


@pytest.fixture
async def timed(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession, clock: Clock
) -> AsyncIterator[Bot]:
    settings = bot_settings(emulator, database_url, reminder_poll=60.0)
    running = await start_bot(settings, emulator, http, clock=clock)
    yield running
    await running.stop()


async def test_action_with_options_then_edited_and_listed(timed: Bot) -> None:
    channel = await timed.declare()
    added = await timed.command(BOB, channel, "action Alert on gateway p99 <@U0ALICE> p1 due +7d")
    assert added.text == "Follow-up action 1 added to INC-1."
    for edit in ("action 1 owner me", "action 1 priority p2", "action 1 due 2026-12-24"):
        reply = await timed.command(BOB, channel, edit)
        assert reply.text == "Action 1 of INC-1 is changed.", reply.text
    await timed.settle()
    said = [m.text for m in timed.slack.history(channel) if ":pencil2:" in m.text]
    assert said == [
        f":pencil2: <@{BOB}> set follow-up action 1's owner to <@{BOB}>",
        f":pencil2: <@{BOB}> set follow-up action 1's priority to p2",
        f":pencil2: <@{BOB}> set follow-up action 1's due to 2026-12-24",
    ]
    listed = await timed.command(ALICE, channel, "actions")
    line = ":white_square: 1. Alert on gateway p99 (<@U0BOB>) · p2 · due 2026-12-24 · open"
    assert line in listed.text


async def test_relative_due_date_counts_from_today(timed: Bot) -> None:
    channel = await timed.declare()
    await timed.command(BOB, channel, "action Rotate keys due +7d")
    listed = await timed.command(BOB, channel, "actions")
    assert "due 2026-12-07" in listed.text


async def test_actions_may_be_added_for_30_days_after_resolve_not_later(
    timed: Bot, clock: Clock
) -> None:
    channel = await timed.declare()
    await timed.command(ALICE, channel, "resolve All good")
    clock.advance(days=29)
    late = await timed.command(BOB, channel, "action Add capacity alarms")
    assert late.text == "Follow-up action 1 added to INC-1."
    refused = await timed.command(BOB, channel, "update still here")
    assert "INC-1 is resolved and takes no more changes." in refused.text
    clock.advance(days=2)
    too_late = await timed.command(BOB, channel, "action Another one")
    assert "INC-1 was resolved more than 30 days ago." in too_late.text
    # Closing what was decided stays possible.
    done = await timed.command(BOB, channel, "action done 1")
    assert done.text == "Action 1 of INC-1 is done."


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("action 9 priority p1", "INC-1 has no action 9."),
        ("action 1 priority high", "`high` is not a priority. Use p1, p2 or p3."),
        ("action Fix it due someday", "`someday` is not a due date."),
    ],
)
async def test_bad_action_gets_an_ephemeral_answer_with_the_form(
    timed: Bot, typed: str, said: str
) -> None:
    channel = await timed.declare()
    await timed.command(BOB, channel, "action Something")
    reply = await timed.command(BOB, channel, typed)
    assert said in reply.text
    assert reply.json is None or reply.json.get("response_type") != "in_channel"


def hourglasses(slack: SlackEmulator, channel: str) -> list[str]:
    return [m.text for m in slack.history(channel) if m.text.startswith(":hourglass:")]


def owner_dms(slack: SlackEmulator, user: str) -> list[str]:
    return [
        m.text
        for c in slack.channels.values()
        if c.is_im and user in c.members
        for m in slack.history(c.id)
        if m.text.startswith(":hourglass:")
    ]


async def check(bot: Bot) -> None:
    await bot.app[REMINDERS].run_once()
    await bot.settle()


async def test_overdue_action_reminded_once_in_channel_and_to_owner(
    timed: Bot, clock: Clock
) -> None:
    channel = await timed.declare()
    await timed.command(ALICE, channel, "action Rotate the keys <@U0BOB|bob> due +1d")
    await timed.command(ALICE, channel, "action Write the runbook due +1d")
    await timed.command(ALICE, channel, "action Done in time due +1d")
    await timed.command(ALICE, channel, "action done 3")
    await check(timed)
    clock.advance(days=1)  # due today: not late yet
    await check(timed)
    assert hourglasses(timed.slack, channel) == []
    clock.advance(days=1)
    await check(timed)
    await check(timed)  # durable: each action is reminded once, not at every check
    reminded = hourglasses(timed.slack, channel)
    assert len(reminded) == 2, reminded
    assert reminded[0].startswith(
        f":hourglass: <@{BOB}>, follow-up action 1 of INC-1 was due on 2026-12-01 and is still "
        "open: Rotate the keys"
    )
    assert "follow-up action 2 of INC-1" in reminded[1]
    assert owner_dms(timed.slack, BOB) == [reminded[0]]
    # Moving the due date arms the reminder again.
    await timed.command(ALICE, channel, "action 1 due +1d")
    clock.advance(days=2)
    await check(timed)
    assert len(hourglasses(timed.slack, channel)) == 3
