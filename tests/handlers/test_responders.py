"""Responders by severity (SEVERITY_RESPONDERS) and the call link (INCIDENT_CALL_URL), over real
HTTP against the Slack emulator: who ends up in the channel, what the channel is told, the
bookmark, and the link in the pinned summary and the stakeholders' headline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from bot.config import Secret
from bot.domain.model import Severity
from sandbox.slack.render import block_lines
from sandbox.slack_emulator import EmUser, SlackEmulator
from tests.conftest import ALICE, ANNOUNCE, BOB, CAROL, Bot, bot_settings, start_bot
from tests.handlers.test_alerts import TOKEN, am_body, incident_channels, post_am
from tests.support import wait_until

DAVE, ERIN, GONE, ROBOT = "U0DAVE", "U0ERIN", "U0GONE", "U0ROBOT"
ONCALL, LEADS = "S0ONCALL", "S0LEADS"
CALL = "https://meet.example.com/inc-{number}"
NOTE = ":busts_in_silhouette:"


@pytest.fixture
async def responders(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> AsyncIterator[Bot]:
    """A bot with sev1=@oncall,@leads;sev2=@oncall and a call link; @oncall also holds a
    deactivated account and a bot."""
    emulator.users.update(
        {
            DAVE: EmUser(DAVE, "dave", "Dave Li"),
            ERIN: EmUser(ERIN, "erin", "Erin Ba"),
            GONE: EmUser(GONE, "gone", "Gone Person", deleted=True),
            ROBOT: EmUser(ROBOT, "robot", "Deploy Bot", is_bot=True),
        }
    )
    emulator.usergroups.update({ONCALL: {BOB, DAVE, GONE, ROBOT}, LEADS: {CAROL, DAVE}})
    emulator.usergroup_handles.update({ONCALL: "oncall", LEADS: "leads"})
    settings = bot_settings(
        emulator,
        database_url,
        severity_responders={Severity.SEV1: (ONCALL, LEADS), Severity.SEV2: (ONCALL,)},
        incident_call_url=CALL,
    )
    running = await start_bot(settings, emulator, http)
    yield running
    await running.stop()


def members(bot: Bot, channel: str) -> set[str]:
    """Return the people in a channel, the bot left out."""
    return bot.slack.channels[channel].members - {bot.slack.bot_user_id}


def notes(bot: Bot, channel: str) -> list[str]:
    """Return the channel's lines about responders brought in, as people read them."""
    said = [bot.slack.render_text(m.text) for m in bot.slack.history(channel)]
    return [t for t in said if NOTE in t or "Could not read the user group" in t]


def invited_by_calls(bot: Bot, user: str) -> int:
    """Return how many conversations.invite calls named a user."""
    return sum(
        user in str(p.get("users", "")).split(",")
        for m, p in bot.slack.calls
        if m == "conversations.invite"
    )


def lines_of(bot: Bot, message: Any) -> list[str]:
    """Return a message's block lines as people read them."""
    return bot.slack.render_text("\n".join(block_lines(message.blocks or []))).splitlines()


async def test_declare_sev1_invites_both_groups_active_members_once(responders: Bot) -> None:
    channel = await responders.declare("declare sev1 Checkout API failing")
    assert members(responders, channel) == {ALICE, BOB, CAROL, DAVE}  # no deactivated, no bot
    [note] = notes(responders, channel)
    assert note == (f"{NOTE} Invited @bob, @dave, @carol (SEV1 responders: @oncall, @leads)"), note
    assert invited_by_calls(responders, GONE) == invited_by_calls(responders, ROBOT) == 0
    assert [invited_by_calls(responders, u) for u in (BOB, CAROL, DAVE)] == [1, 1, 1]
    timeline = await responders.command(BOB, channel, "timeline")
    assert "@alice invited the SEV1 responders: @bob, @dave, @carol" in (
        responders.slack.render_text(timeline.text)
    )


async def test_declare_sev2_invites_only_the_sev2_group(responders: Bot) -> None:
    channel = await responders.declare("declare sev2 Search is slow")
    assert members(responders, channel) == {ALICE, BOB, DAVE}
    assert notes(responders, channel) == [f"{NOTE} Invited @bob, @dave (SEV2 responders: @oncall)"]


async def test_declare_sev3_invites_nobody_then_escalation_to_sev1_invites_sev1_groups(
    responders: Bot,
) -> None:
    channel = await responders.declare("declare sev3 A flaky job")
    assert members(responders, channel) == {ALICE}
    assert notes(responders, channel) == []

    await responders.command(ALICE, channel, "severity sev1")
    await responders.settle()
    assert members(responders, channel) == {ALICE, BOB, CAROL, DAVE}
    assert notes(responders, channel) == [
        f"{NOTE} Invited @bob, @dave, @carol (SEV1 responders: @oncall, @leads)"
    ]

    await responders.command(ALICE, channel, "severity sev2")  # down: nobody more to bring in
    await responders.settle()
    assert len(notes(responders, channel)) == 1


async def test_member_already_in_channel_never_loses_the_others(responders: Bot) -> None:
    responders.slack.usergroups[ONCALL] = {ALICE, BOB, DAVE}  # the declarer is on call
    channel = await responders.declare("declare sev2 Search is slow", user=ALICE)
    assert members(responders, channel) == {ALICE, BOB, DAVE}
    assert notes(responders, channel) == [f"{NOTE} Invited @bob, @dave (SEV2 responders: @oncall)"]


async def test_everyone_already_in_channel_is_said_once(responders: Bot) -> None:
    responders.slack.usergroups[ONCALL] = {ALICE}
    channel = await responders.declare("declare sev2 Search is slow", user=ALICE)
    assert members(responders, channel) == {ALICE}
    assert notes(responders, channel) == [
        f"{NOTE} The SEV2 responders (@oncall) are already in the channel"
    ]


async def test_unknown_group_still_invites_the_rest_and_tells_the_channel_once(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> None:
    emulator.users[DAVE] = EmUser(DAVE, "dave", "Dave Li")
    emulator.usergroups[LEADS] = {CAROL, DAVE}
    emulator.usergroup_handles[LEADS] = "leads"
    settings = bot_settings(
        emulator, database_url, severity_responders={Severity.SEV1: ("S0GONEGROUP", LEADS)}
    )
    bot = await start_bot(settings, emulator, http)
    try:
        channel = await bot.declare("declare sev1 Checkout API failing")
        assert members(bot, channel) == {ALICE, CAROL, DAVE}
        text = "\n".join(notes(bot, channel))
        assert text == (
            f"{NOTE} Invited @carol, @dave (SEV1 responders: @leads)\n"
            ":warning: Could not read the user group `S0GONEGROUP` for the SEV1 responders"
            " (Slack said: `no_such_subteam`); check SEVERITY_RESPONDERS"
        )
        assert not emulator.bookmarks  # no INCIDENT_CALL_URL: no bookmark
    finally:
        await bot.stop()


async def test_slack_errors_reading_a_group_are_retried_and_the_note_posted_once(
    responders: Bot,
) -> None:
    responders.slack.http_error("usergroups.users.list", 503, times=2)
    channel = await responders.declare("declare sev2 Search is slow")
    await wait_until(lambda: members(responders, channel) == {ALICE, BOB, DAVE})
    await responders.settle()
    assert len(notes(responders, channel)) == 1


async def test_call_link_is_bookmarked_once_and_shown_in_summary_and_headline(
    responders: Bot,
) -> None:
    channel = await responders.declare("declare sev3 A flaky job")
    link = "https://meet.example.com/inc-1"
    [bookmark] = responders.slack.bookmarks[channel]
    assert (bookmark["title"], bookmark["type"], bookmark["link"]) == (
        "Incident call",
        "link",
        link,
    )

    summary = responders.slack.history(channel)[0]
    assert summary.ts in responders.slack.pins[channel]
    assert f"*Call:* Join the incident call ({link})" in lines_of(responders, summary)[1:]
    [headline] = [m for m in responders.slack.history(ANNOUNCE) if m.thread_ts is None]
    assert f"incident call ({link})" in lines_of(responders, headline)[1]

    await responders.command(ALICE, channel, "severity sev2")  # the summary is rebuilt
    await responders.settle()
    assert len(responders.slack.bookmarks[channel]) == 1
    summary = responders.slack.history(channel)[0]
    assert f"*Call:* Join the incident call ({link})" in lines_of(responders, summary)[1:]


async def test_bookmark_retried_after_slack_made_it_but_failed_is_not_doubled(
    responders: Bot,
) -> None:
    slack, link = responders.slack, "https://meet.example.com/inc-1"
    slack.http_error("bookmarks.add", 503)  # Slack made it, then answered with an error page
    slack.delay("bookmarks.list", 0.5)  # the retry looks first

    def tried() -> bool:
        return any(m == "bookmarks.add" for m, _ in slack.calls)

    reply = await responders.command(ALICE, "C0GENERAL", "declare sev3 A flaky job")
    assert reply.status == 200
    await wait_until(tried, what="the first bookmarks.add")
    [channel] = {p["channel_id"] for m, p in slack.calls if m == "bookmarks.add"}
    slack.bookmarks[channel] = [{"id": "Bk0EARLIER", "title": "Incident call", "link": link}]
    await responders.settle()
    assert [b["id"] for b in slack.bookmarks[channel]] == ["Bk0EARLIER"]
    assert sum(m == "bookmarks.add" for m, _ in slack.calls) == 1
    assert sum(m == "bookmarks.list" for m, _ in slack.calls) == 1


async def test_group_without_the_scope_to_read_it_says_what_the_app_needs(
    responders: Bot,
) -> None:
    responders.slack.fail("usergroups.users.list", "missing_scope", times=1)
    channel = await responders.declare("declare sev2 Search is slow")
    assert members(responders, channel) == {ALICE}
    [note] = notes(responders, channel)
    assert note == (
        ":warning: Could not read the user group `S0ONCALL` for the SEV2 responders"
        " (Slack said: `missing_scope`); the app needs the usergroups:read scope"
        " (reinstall it after adding it)"
    )


async def test_alert_declared_sev1_brings_the_responders_in(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> None:
    emulator.usergroups[ONCALL] = {BOB, CAROL}
    emulator.usergroup_handles[ONCALL] = "oncall"
    settings = bot_settings(
        emulator,
        database_url,
        alertmanager_token=Secret(TOKEN),
        severity_responders={Severity.SEV1: (ONCALL,)},
    )
    bot = await start_bot(settings, emulator, http)
    try:
        status, _ = await post_am(bot, am_body(severity="critical"))
        assert status == 202
        await bot.settle()
        [channel] = incident_channels(bot)
        assert members(bot, channel) == {BOB, CAROL}  # nobody declared it: only responders
        assert notes(bot, channel) == [f"{NOTE} Invited @bob, @carol (SEV1 responders: @oncall)"]
    finally:
        await bot.stop()


async def test_group_of_deactivated_accounts_and_bots_has_nobody_to_invite(
    responders: Bot,
) -> None:
    responders.slack.usergroups[ONCALL] = {GONE, ROBOT}
    channel = await responders.declare("declare sev2 Search is slow")
    assert members(responders, channel) == {ALICE}
    assert notes(responders, channel) == [
        f"{NOTE} The SEV2 responders (@oncall) have nobody to invite"
    ]
    assert not any(
        m == "conversations.invite" and GONE in str(p) for m, p in responders.slack.calls
    )


async def test_private_sev1_invites_no_responder_group(responders: Bot) -> None:
    channel = await responders.declare("declare private sev1 Leaked credentials")
    await responders.command(ALICE, channel, "update Rotating the keys")
    await responders.settle()  # everything owed was delivered
    assert members(responders, channel) == {ALICE}
    assert notes(responders, channel) == []
    assert not [m for m, _ in responders.slack.calls if m == "usergroups.users.list"]
