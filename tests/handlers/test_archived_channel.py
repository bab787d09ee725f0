"""An archived incident channel: the commander is told once what it missed, commands naming
their incident work from any channel, and unarchiving posts everything that was missed."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web

from sandbox.slack import web_api
from sandbox.slack.faults import FaultQueue
from sandbox.slack.workspace import Workspace
from sandbox.slack_emulator import SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, GENERAL, Bot
from tests.support import wait_until

NOTICE = ":file_cabinet: Someone archived"


def texts(slack: SlackEmulator, channel: str) -> list[str]:
    """Return the channel's messages as people read them, oldest first."""
    return [slack.render_text(m.text) for m in slack.history(channel)]


def dms(slack: SlackEmulator, user: str) -> list[str]:
    """Return the raw texts of the bot's direct messages to `user`, oldest first."""
    ims = {c.id for c in slack.channels.values() if c.is_im and user in c.members}
    return [m.text for m in slack.messages if m.channel in ims and m.user == slack.bot_user_id]


def all_dms(slack: SlackEmulator) -> list[str]:
    """Return the raw texts of every direct message the bot sent."""
    ims = {c.id for c in slack.channels.values() if c.is_im}
    return [m.text for m in slack.messages if m.channel in ims]


async def test_archived_channel_updates_from_general_notice_once_then_posted_on_unarchive(
    bot: Bot,
) -> None:
    channel = await bot.declare()
    await bot.command(ALICE, channel, "role commander <@U0BOB|bob>")
    await bot.settle()
    posted_before, dms_before = len(bot.slack.history(channel)), len(dms(bot.slack, BOB))
    bot.slack.archive_channel(channel)  # the app does not subscribe to channel_archive
    # Slack is slow to refuse the first post: both updates are in before anything failed.
    bot.slack.delay("chat.postMessage", 2.0)

    first = await bot.command(CAROL, GENERAL, "INC-1 update gateway restarted")
    second = await bot.command(ALICE, GENERAL, "INC-1 update error rate back to 0.1%")
    await bot.settle()

    assert first.text == "Update recorded on INC-1."
    assert second.text == "Update recorded on INC-1."
    assert len(bot.slack.history(channel)) == posted_before  # nothing reached the archive
    told = dms(bot.slack, BOB)[dms_before:]
    assert len(told) == 1, told  # one DM to the commander, not one per post
    [notice] = told
    assert notice.startswith(
        f"{NOTICE} <#{channel}> while the incident is still open, so I could not post these "
        "there:\n"
    )
    lines = notice.splitlines()
    assert "• <@U0CAROL> update: gateway restarted" in lines
    assert "• <@U0ALICE> update: error rate back to 0.1%" in lines
    assert lines.index("• <@U0CAROL> update: gateway restarted") < lines.index(
        "• <@U0ALICE> update: error rate back to 0.1%"
    )
    assert "Unarchive" in notice
    assert "Meanwhile any command works from any channel: `/incident INC-1 update <text>`" in (
        notice
    )
    assert not any(t.startswith(NOTICE) for t in dms(bot.slack, ALICE))  # not the declarer
    assert not any("outbox retry" in t for t in all_dms(bot.slack))

    later = await bot.command(BOB, GENERAL, "INC-1 update customers notified")
    await bot.settle()
    assert later.text == "Update recorded on INC-1."
    assert len(dms(bot.slack, BOB)) == dms_before + 1  # already told: no second DM

    bot.slack.unarchive_channel(channel)
    await bot.driver.channel_unarchive(channel, CAROL, event_id="Ev0UNARCHIVE")
    await bot.driver.channel_unarchive(channel, CAROL, event_id="Ev0UNARCHIVE", retry_num=1)
    await bot.settle()

    said = texts(bot.slack, channel)
    restarted = [t for t in said if "gateway restarted" in t]
    back = [t for t in said if "error rate back to 0.1%" in t]
    assert restarted == [":memo: *Update* from @carol\n>gateway restarted"]
    assert back == [":memo: *Update* from @alice\n>error rate back to 0.1%"]
    assert said.index(restarted[0]) < said.index(back[0])
    assert [t for t in said if "customers notified" in t] == [
        ":memo: *Update* from @bob\n>customers notified"
    ]
    assert said.index(back[0]) < said.index(":memo: *Update* from @bob\n>customers notified")
    assert "*Last update:* customers notified" in bot.slack.transcript(channel)  # the summary
    assert len(dms(bot.slack, BOB)) == dms_before + 1  # not told again


async def test_archived_channel_command_in_it_still_works_and_the_declarer_is_told(
    bot: Bot,
) -> None:
    channel = await bot.declare(user=BOB)
    bot.slack.archive_channel(channel)
    reply = await bot.command(CAROL, channel, "update still digging")  # from the archive itself
    await bot.settle()

    assert reply.text == "Update recorded on INC-1."
    [notice] = all_dms(bot.slack)  # no commander: the declarer, and nobody else
    assert notice in dms(bot.slack, BOB)
    assert notice.startswith(NOTICE)
    assert "• <@U0CAROL> update: still digging" in notice.splitlines()


async def test_archived_again_after_unarchive_is_told_again_with_only_the_new_misses(
    bot: Bot,
) -> None:
    channel = await bot.declare()
    bot.slack.archive_channel(channel)
    await bot.command(BOB, GENERAL, "INC-1 update first archive")
    await bot.settle()
    bot.slack.unarchive_channel(channel)
    await bot.driver.channel_unarchive(channel, BOB)
    await bot.settle()
    bot.slack.archive_channel(channel)
    reply = await bot.command(ALICE, GENERAL, "INC-1 resolve rolled back the deploy")
    await bot.settle()

    assert reply.text == "INC-1 is resolved. Thank you, everyone."
    first, second = [t for t in dms(bot.slack, ALICE) if t.startswith(NOTICE)]
    assert "• <@U0BOB> update: first archive" in first.splitlines()
    assert second.startswith(f"{NOTICE} <#{channel}>, so I could not post these there:\n")
    assert "• <@U0ALICE> resolved the incident: rolled back the deploy" in second.splitlines()
    assert "first archive" not in second  # that one was posted after the first unarchive
    assert "Meanwhile" not in second  # nothing is left to do from elsewhere: it is resolved

    bot.slack.unarchive_channel(channel)
    await bot.driver.channel_unarchive(channel, BOB)
    await bot.settle()
    said = texts(bot.slack, channel)
    assert sum("first archive" in t for t in said) == 1
    assert [t for t in said if "*INC-1 resolved*" in t] == [
        f":white_check_mark: *INC-1 resolved* by @alice\n>rolled back the deploy\n"
        f":globe_with_meridians: Published on the status page ({bot.settings.public_url})."
    ]
    assert len([m for m in bot.slack.history(channel) if m.files]) == 1  # the post-mortem


async def test_unarchive_followed_before_the_refusal_is_recorded_still_posts_the_update(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = await bot.declare()
    bot.slack.archive_channel(channel)
    answer, unarchived = web_api.answer, asyncio.Event()

    async def racing(ws: Workspace, faults: FaultQueue, request: web.Request) -> web.StreamResponse:
        # A person unarchives the channel just as Slack refuses a post there, and Slack's
        # event reaches the bot before the bot has read the refusal.
        response = await answer(ws, faults, request)
        if unarchived.is_set() or not isinstance(response, web.Response) or not response.text:
            return response
        if json.loads(response.text).get("error") == "is_archived":
            unarchived.set()
            bot.slack.unarchive_channel(channel)
            await bot.driver.channel_unarchive(channel, CAROL)
            await wait_until(lambda: not _recording_events(), 10, "the event recorded")
        return response

    monkeypatch.setattr(web_api, "answer", racing)
    await bot.command(BOB, GENERAL, "INC-1 update posted after all")
    await bot.settle()

    assert unarchived.is_set()
    assert sum("posted after all" in t for t in texts(bot.slack, channel)) == 1


def _recording_events() -> bool:
    """Return whether the bot is still recording an event it acknowledged."""
    return any(t.get_name() == "event" and not t.done() for t in asyncio.all_tasks())


async def test_resolve_naming_its_incident_from_general_resolves_it(bot: Bot) -> None:
    channel = await bot.declare()
    reply = await bot.command(ALICE, GENERAL, "INC-1 resolve fixed the config push")
    await bot.settle()

    assert reply.text == "INC-1 is resolved. Thank you, everyone."
    said = texts(bot.slack, channel)
    assert any(
        t.startswith(":white_check_mark: *INC-1 resolved* by @alice\n>fixed the config push")
        for t in said
    ), said
    summary = await bot.command(BOB, GENERAL, "INC-1")
    assert bot.slack.render_text(summary.text).startswith(
        "*INC-1: Checkout API failing (SEV1, resolved)*"
    ), summary.text
    assert not any(m.channel == GENERAL for m in bot.slack.messages)  # answers were private


async def test_unknown_incident_number_is_answered_privately_with_a_hint(bot: Bot) -> None:
    channel = await bot.declare()
    before = len(bot.slack.messages)
    reply = await bot.command(ALICE, GENERAL, "INC-999 update x")
    summary = await bot.command(ALICE, channel, "INC-999")
    await bot.settle()

    for answer in (reply, summary):
        assert answer.status == 200
        assert bot.slack.render_text(answer.text) == (
            ":warning: There is no INC-999.\n`/incident list` shows the open incidents."
        ), answer.text
        assert (answer.json or {}).get("response_type") != "in_channel"  # only they see it
    assert len(bot.slack.messages) == before  # nothing posted anywhere


async def test_resolve_naming_its_incident_by_non_responder_is_refused_as_in_channel(
    guarded: Bot,
) -> None:
    channel = await guarded.declare("declare sev3 Search is slow", user=BOB)
    from_general = await guarded.command(BOB, GENERAL, "INC-1 resolve done")
    in_channel = await guarded.command(BOB, channel, "resolve done")
    allowed = await guarded.command(ALICE, GENERAL, "INC-1 resolve done")
    await guarded.settle()

    assert from_general.text == in_channel.text
    assert from_general.text.startswith(
        ":warning: Only members of the responders group (`S0ONCALL`)"
    ), from_general.text
    assert "may resolve the incident." in from_general.text
    assert allowed.text == "INC-1 is resolved. Thank you, everyone."
    resolved = [t for t in texts(guarded.slack, channel) if "*INC-1 resolved*" in t]
    assert len(resolved) == 1
    assert resolved[0].startswith(":white_check_mark: *INC-1 resolved* by @alice")
