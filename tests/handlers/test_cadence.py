"""The update cadence: when stakeholders are owed an update, and reminders when none came."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.keys import REMINDERS
from bot.slack import ids
from sandbox.slack_emulator import EmMessage, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Bot, bot_settings, start_bot
from tests.support import wait_until

pytestmark = pytest.mark.timeout(60)


class Clock:
    """The bot's clock, moved by the test: a due time passes without anyone waiting."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **span: float) -> None:
        self.now += timedelta(**span)


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def started(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession, clock: Clock
) -> Bot:
    # The reminder loop checks once at start, then the test runs the checks itself.
    settings = bot_settings(emulator, database_url, reminder_poll=60.0)
    return await start_bot(settings, emulator, http, clock=clock)


@pytest.fixture
async def timed(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession, clock: Clock
) -> AsyncIterator[Bot]:
    """The real server with a clock the test moves."""
    running = await started(emulator, database_url, http, clock)
    yield running
    await running.stop()


def reminders(slack: SlackEmulator, channel: str) -> list[EmMessage]:
    """Return the reminders posted in the channel, oldest first."""
    return [m for m in slack.history(channel) if m.text.startswith(":alarm_clock: <@")]


async def check(bot: Bot) -> int:
    """Run one reminder check now, let the deliveries happen, and return how many fell due."""
    due = await bot.app[REMINDERS].run_once()
    await bot.settle()
    return due


async def test_reminder_when_update_due_mentions_declarer_with_post_update_button(
    timed: Bot, clock: Clock
) -> None:
    channel = await timed.declare("declare sev1 Checkout API failing")  # sev1: every 30m
    clock.advance(minutes=29)
    assert await check(timed) == 0
    assert reminders(timed.slack, channel) == []

    clock.advance(minutes=2)
    assert await check(timed) == 1
    [nudge] = reminders(timed.slack, channel)
    text = timed.slack.render_text(nudge.text)
    assert text.startswith("⏰ @alice") or text.startswith(":alarm_clock: @alice")
    assert "it has been 31m since the last update on INC-1" in text
    assert "stakeholders expect one every 30m" in text
    buttons = [e for b in nudge.blocks or [] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["text"]["text"]) for b in buttons] == [
        (ids.POST_UPDATE_BUTTON, "Post update")
    ]


async def test_reminder_mentions_comms_lead_else_commander(timed: Bot, clock: Clock) -> None:
    channel = await timed.declare()
    await timed.command(ALICE, channel, "role commander <@U0BOB|bob>")
    clock.advance(minutes=31)
    assert await check(timed) == 1
    await timed.command(ALICE, channel, "role comms <@U0CAROL|carol>")
    clock.advance(minutes=30)
    assert await check(timed) == 1
    first, second = reminders(timed.slack, channel)
    assert first.text.startswith(f":alarm_clock: <@{BOB}>")
    assert second.text.startswith(f":alarm_clock: <@{CAROL}>")


async def test_reminder_repeats_once_per_period_while_overdue(timed: Bot, clock: Clock) -> None:
    channel = await timed.declare()
    clock.advance(minutes=31)
    assert await check(timed) == 1
    assert await check(timed) == 0  # the same due time never reminds twice
    clock.advance(minutes=29)
    assert await check(timed) == 0
    clock.advance(minutes=2)
    assert await check(timed) == 1
    assert len(reminders(timed.slack, channel)) == 2
    assert "it has been 1h 2m since the last update" in timed.slack.render_text(
        reminders(timed.slack, channel)[-1].text
    )


@pytest.mark.parametrize(
    "restart",
    ["update Rolled back the deploy", "status identified Bad config push"],
    ids=["update", "status"],
)
async def test_update_or_status_restarts_the_clock(timed: Bot, clock: Clock, restart: str) -> None:
    channel = await timed.declare()
    clock.advance(minutes=20)
    await timed.command(BOB, channel, restart)
    clock.advance(minutes=20)
    assert await check(timed) == 0  # 20m since the update: not due
    clock.advance(minutes=11)
    assert await check(timed) == 1
    [nudge] = reminders(timed.slack, channel)
    assert "it has been 31m since the last update" in nudge.text


async def test_no_reminder_after_resolve(timed: Bot, clock: Clock) -> None:
    channel = await timed.declare()
    clock.advance(minutes=10)
    await timed.command(ALICE, channel, "resolve All clear")
    clock.advance(hours=3)
    assert await check(timed) == 0
    assert reminders(timed.slack, channel) == []


async def test_cadence_command_changes_due_time_and_is_recorded(timed: Bot, clock: Clock) -> None:
    channel = await timed.declare()
    reply = await timed.command(BOB, channel, "cadence 10m")
    assert reply.text.startswith("Updates on INC-1 are now due every 10m; the next is due <!date^")
    await timed.settle()
    said = [timed.slack.render_text(m.text) for m in timed.slack.history(channel)]
    assert ":stopwatch: @bob set the update cadence to *10m*" in said
    summary = timed.slack.history(channel)[0]
    assert "*Next update due:* <!date^" in str(summary.blocks)
    clock.advance(minutes=11)
    assert await check(timed) == 1
    assert "stakeholders expect one every 10m" in reminders(timed.slack, channel)[0].text


async def test_cadence_off_stops_reminders_and_summary_says_so(timed: Bot, clock: Clock) -> None:
    channel = await timed.declare()
    reply = await timed.command(BOB, channel, "cadence off")
    assert reply.text == "Update reminders are off for INC-1."
    await timed.settle()
    clock.advance(hours=5)
    assert await check(timed) == 0
    assert "reminders off" in str(timed.slack.history(channel)[0].blocks)


@pytest.mark.parametrize("typed", ["5x", "0s", "200h", "soon"])
async def test_cadence_bad_duration_explains_the_form(timed: Bot, typed: str) -> None:
    channel = await timed.declare()
    reply = await timed.command(BOB, channel, f"cadence {typed}")
    assert reply.text.startswith(":warning:")
    assert "30m" in reply.text or "168h" in reply.text


async def test_severity_change_adopts_that_severity_cadence_unless_set_by_hand(
    timed: Bot, clock: Clock
) -> None:
    channel = await timed.declare("declare sev3 Slow dashboard")  # sev3: every 4h
    await timed.command(ALICE, channel, "severity sev1")  # now every 30m
    clock.advance(minutes=31)
    assert await check(timed) == 1
    await timed.command(ALICE, channel, "cadence 2h")  # due 2h after the declare
    await timed.command(ALICE, channel, "severity sev2")  # set by hand: stays 2h, not 1h
    clock.advance(minutes=80)
    assert await check(timed) == 0
    clock.advance(minutes=10)
    assert await check(timed) == 1


async def test_sev4_has_no_reminders_by_default(timed: Bot, clock: Clock) -> None:
    channel = await timed.declare("declare sev4 Typo on the pricing page")
    clock.advance(hours=12)
    assert await check(timed) == 0
    assert reminders(timed.slack, channel) == []


async def test_restart_after_missed_periods_reminds_once(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession, clock: Clock
) -> None:
    first = await started(emulator, database_url, http, clock)
    channel = await first.declare()
    await first.stop()
    clock.advance(minutes=95)  # three due times pass while no warroom runs
    second = await started(emulator, database_url, http, clock)
    try:
        await wait_until(lambda: reminders(emulator, channel) != [], 10, "the start-up check")
        assert await check(second) == 0  # the three missed due times owed one reminder
        assert len(reminders(emulator, channel)) == 1
    finally:
        await second.stop()


async def test_reminder_button_opens_update_form_and_the_update_restarts_clock(
    timed: Bot, clock: Clock
) -> None:
    channel = await timed.declare()
    clock.advance(minutes=31)
    assert await check(timed) == 1
    click = await timed.driver.block_action(
        user_id=BOB, channel_id=channel, action_id=ids.POST_UPDATE_BUTTON
    )
    assert click.status == 200
    await timed.settle()
    sent = await timed.driver.view_submission(
        user_id=BOB,
        callback_id=ids.UPDATE_FORM_CALLBACK,
        fill={(ids.UPDATE_BLOCK, ids.UPDATE_ACTION): "Gateway healthy again"},
    )
    assert sent.status == 200
    await timed.settle()
    said = [timed.slack.render_text(m.text) for m in timed.slack.history(channel)]
    assert any(s.startswith(":memo: *Update* from @bob") for s in said)
    clock.advance(minutes=29)
    assert await check(timed) == 0
