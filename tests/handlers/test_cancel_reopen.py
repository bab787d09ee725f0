"""Cancel (a false alarm) and reopen over real HTTP: what the channel, the stakeholders and the
commander see, the reopen window, an archived channel, and nothing delivered twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from sandbox.slack_emulator import SlackEmulator
from tests.conftest import ALICE, ANNOUNCE, BOB, CAROL, GENERAL, Bot, bot_settings, start_bot
from tests.support import wait_until

pytestmark = pytest.mark.timeout(60)


class Clock:
    """The bot's clock, moved by the test: the reopen window passes without anyone waiting."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **span: float) -> None:
        self.now += timedelta(**span)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def timed(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession, clock: Clock
) -> AsyncIterator[Bot]:
    """The real server with REOPEN_WINDOW=1h and a clock the test moves."""
    settings = bot_settings(
        emulator, database_url, reminder_poll=60.0, reopen_window=timedelta(hours=1)
    )
    running = await start_bot(settings, emulator, http, clock=clock)
    yield running
    await running.stop()


def said(slack: SlackEmulator, channel: str) -> list[str]:
    """Return the channel's messages as people read them, oldest first."""
    return [slack.render_text(m.text) for m in slack.history(channel)]


def headline(slack: SlackEmulator) -> str:
    """Return the one headline in the stakeholders' channel, as people read it."""
    [top] = [m for m in slack.history(ANNOUNCE) if m.thread_ts in (None, m.ts)]
    return slack.render_text(str(top.blocks or top.text))


def thread(slack: SlackEmulator) -> list[str]:
    """Return the replies under the headline, as people read them."""
    return [
        slack.render_text(m.text)
        for m in slack.history(ANNOUNCE)
        if m.thread_ts not in (None, m.ts)
    ]


def dms(slack: SlackEmulator, user: str) -> list[str]:
    """Return the bot's direct messages to `user`, oldest first."""
    ims = {c.id for c in slack.channels.values() if c.is_im and user in c.members}
    return [m.text for m in slack.messages if m.channel in ims and m.user == slack.bot_user_id]


async def test_cancel_without_public_incident_closes_at_once_without_postmortem(bot: Bot) -> None:
    channel = await bot.declare()
    reply = await bot.command(ALICE, channel, "cancel Synthetic check misfired, no impact")
    await bot.settle()

    assert reply.text == "INC-1 is canceled as a false alarm."
    assert not bot.slack.views  # nothing public: no form
    messages = said(bot.slack, channel)
    [post] = [t for t in messages if "canceled" in t and "false alarm" in t]
    assert post.startswith(":no_entry_sign: *INC-1 canceled* (false alarm) by @alice")
    assert ">Synthetic check misfired, no impact" in post
    assert not any("Post-mortem draft" in t for t in messages)
    assert bot.slack.channels[channel].topic.startswith("SEV1 | canceled | ")
    summary = bot.slack.transcript(channel)
    assert "*Canceled (false alarm):*" in summary
    assert "*Last update:* Synthetic check misfired, no impact" in summary
    assert "Canceled as a false alarm" in headline(bot.slack)
    assert "Lasted" not in headline(bot.slack)
    assert any(
        t.startswith(":no_entry_sign: *INC-1 was canceled* (false alarm)")
        for t in thread(bot.slack)
    )

    listed = await bot.command(BOB, GENERAL, "list")
    assert "INC-1" not in listed.text  # closed, like a resolved one
    refused = await bot.command(BOB, channel, "update still looking")
    assert "INC-1 is canceled and takes no more changes." in refused.text
    assert "/incident reopen &lt;reason&gt;" in refused.text
    again = await bot.command(ALICE, channel, "cancel twice")
    assert "INC-1 is canceled and takes no more changes." in again.text
    postmortem = await bot.command(ALICE, channel, "postmortem")
    assert "INC-1 was canceled as a false alarm: it has no post-mortem." in postmortem.text
    await bot.command(ALICE, channel, "postmortem publish")
    await wait_until(
        lambda: any("has no post-mortem to publish" in r["text"] for r in bot.slack.responses),
        10,
        "the publish form refused",
    )
    assert not bot.slack.views


async def test_cancel_and_reopen_need_a_reason_and_the_right_person(guarded: Bot) -> None:
    channel = await guarded.declare(user=ALICE)
    for text in ("cancel", "reopen", "cancel   "):
        reply = await guarded.command(ALICE, channel, text)
        assert reply.text.startswith(":warning: Say why"), reply.text
        assert "Usage: `/incident " in reply.text
    refused = await guarded.command(CAROL, channel, "cancel not real")
    assert (
        "Only members of the responders group (`S0ONCALL`) or the incident commander may "
        "cancel the incident." in refused.text
    )
    status = await guarded.command(ALICE, channel, "status canceled nope")
    assert "To close a false alarm, use `/incident cancel <reason>`." in status.text
    await guarded.command(ALICE, channel, "cancel not real")
    refused = await guarded.command(CAROL, channel, "reopen it is real")
    assert "may reopen the incident." in refused.text
    await guarded.settle()


async def test_reopen_within_the_window_then_resolve_again_and_beyond_it(
    timed: Bot, clock: Clock
) -> None:
    channel = await timed.declare()
    await timed.command(ALICE, channel, "role commander <@U0BOB|bob>")
    still_open = await timed.command(BOB, channel, "reopen errors again")
    assert still_open.text.startswith(
        ":warning: INC-1 is still open (investigating): there is nothing to reopen."
    )
    clock.advance(minutes=10)
    await timed.command(BOB, channel, "status monitoring Fix deployed")  # mitigated, it seems
    await timed.command(BOB, channel, "resolve")
    await timed.settle()
    clock.advance(minutes=30)

    reply = await timed.command(BOB, channel, "reopen Errors are back after the rollback")
    await timed.settle()
    assert reply.text == (
        "INC-1 is reopened: investigating again. Its public incident shows it as investigating "
        "again, with your reason."
    )
    messages = said(timed.slack, channel)
    [post] = [t for t in messages if "reopened" in t]
    assert post == (
        ":repeat: *INC-1 reopened* by @bob (was resolved): investigating again\n"
        ">Errors are back after the rollback\n"
        ":globe_with_meridians: Published on the status page (http://localhost:0/status)."
    )
    assert timed.slack.channels[channel].topic.startswith("SEV1 | investigating | ")
    summary = timed.slack.transcript(channel)
    assert "*Status:* :mag: investigating" in summary
    assert "*Last update:* Errors are back after the rollback" in summary
    assert "Post update" in summary  # the buttons are back
    assert "investigating" in headline(timed.slack)
    assert "Open since" in headline(timed.slack)
    assert any(t.startswith(":repeat: *INC-1 is reopened*") for t in thread(timed.slack))
    assert len([t for t in messages if "Post-mortem draft" in t]) == 1  # the first resolve's

    update = await timed.command(BOB, channel, "update rolling forward")
    assert update.text == "Update recorded on INC-1."
    clock.advance(minutes=20)
    await timed.command(BOB, channel, "resolve")
    await timed.settle()
    messages = said(timed.slack, channel)
    assert len([t for t in messages if "INC-1 resolved" in t]) == 2  # each resolve posted once
    assert len([t for t in messages if "reopened" in t]) == 1
    drafts = [t for t in messages if "Post-mortem draft" in t]
    assert len(drafts) == 2  # a fresh draft for the real end
    assert "impact 10m, resolved after 10m" in drafts[0]
    # Declared to the final resolve, and the mitigation the reopen proved wrong is gone.
    assert "impact 1h, resolved after 1h" in drafts[-1]

    clock.advance(hours=1, minutes=1)
    late = await timed.command(BOB, channel, "reopen again?")
    assert late.text.startswith(
        ":warning: INC-1 was resolved more than 1h ago (REOPEN_WINDOW): it can no longer be "
        "reopened."
    )
    assert "Declare a new incident" in late.text


async def test_canceled_incident_can_be_reopened(bot: Bot) -> None:
    channel = await bot.declare()
    await bot.command(ALICE, channel, "cancel Looked like a false alarm")
    reply = await bot.command(ALICE, channel, "reopen Customers are reporting errors after all")
    await bot.settle()
    assert reply.text == "INC-1 is reopened: investigating again."
    [post] = [t for t in said(bot.slack, channel) if "reopened" in t]
    assert "(was canceled)" in post
    assert bot.slack.channels[channel].topic.startswith("SEV1 | investigating | ")


async def test_reopen_with_archived_channel_tells_how_to_unarchive(bot: Bot) -> None:
    channel = await bot.declare()
    await bot.command(ALICE, channel, "role commander <@U0BOB|bob>")
    await bot.command(BOB, channel, "resolve All good")
    await bot.settle()
    bot.slack.archive_channel(channel)  # the usual clean-up after an incident
    # A follow-up action is posted in the channel: it finds the channel archived.
    await bot.command(BOB, GENERAL, "INC-1 action Add an alert on gateway p99")
    await bot.settle()
    told = len(dms(bot.slack, BOB))
    assert told >= 1

    reply = await bot.command(BOB, GENERAL, "INC-1 reopen The gateway is failing again")
    await bot.settle()
    assert reply.text.startswith("INC-1 is reopened: investigating again.")
    assert f"Its channel <#{channel}> is archived" in reply.text
    assert "click *Unarchive*" in reply.text
    notices = dms(bot.slack, BOB)[told:]
    assert len(notices) == 1, notices  # the commander hears it, with what was missed
    assert "reopened the incident: The gateway is failing again" in notices[0]
    assert "Unarchive" in notices[0]
    assert not any("reopened" in t for t in said(bot.slack, channel))
    assert not [m for m, _ in bot.slack.calls if m == "conversations.unarchive"]

    bot.slack.unarchive_channel(channel)
    await bot.driver.channel_unarchive(channel, BOB, event_id="Ev0UNARCHIVE")
    await bot.settle()
    messages = said(bot.slack, channel)
    assert len([t for t in messages if "INC-1 reopened" in t]) == 1
    assert len([t for t in messages if "INC-1 resolved" in t]) == 1  # not posted again
    assert bot.slack.channels[channel].topic.startswith("SEV1 | investigating | ")


async def test_cancel_private_incident_closes_at_once_its_status_message_was_never_public(
    bot: Bot,
) -> None:
    channel = await bot.declare("declare private sev2 Suspicious login on an admin account")
    await bot.command(ALICE, channel, "status identified Token revoked")  # stays in the channel
    reply = await bot.command(ALICE, channel, "cancel It was the red team")
    await bot.settle()
    assert reply.text == "INC-1 is canceled as a false alarm."
    assert not bot.slack.views  # nothing public: no closing message to ask for
    reopened = await bot.command(ALICE, channel, "reopen Not the red team after all")
    assert reopened.text == "INC-1 is reopened: investigating again."
