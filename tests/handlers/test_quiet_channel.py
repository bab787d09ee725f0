"""A quiet incident channel over real HTTP: no time Slack already shows, the duty of a role in a
DM to its new holder, a catch-up for a new commander, and where an update went in its own
message instead of a notice of its own."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.config import Secret
from sandbox.slack.render import block_lines
from sandbox.slack_emulator import SlackEmulator
from sandbox.statuspage_emulator import StatuspageEmulator
from tests.conftest import ALICE, BOB, CAROL, GENERAL, Bot, bot_settings, start_bot

DATE = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"  # a date token as a reader in UTC sees it
DATE_TOKEN = re.compile(r"<!date\^(\d+)\^[^|>]*\|[^>]*>")
COMMANDER_DUTY = (
    "_You coordinate the response: set priorities, assign roles and decide when the incident "
    "is resolved._"
)
COMMS_DUTY = (
    "_You keep stakeholders and customers informed: post status changes and public messages._"
)


def dms(slack: SlackEmulator, user: str) -> list[str]:
    """Return what the bot said to `user` in a direct message, as they read it."""
    return [
        slack.render_text(m.text)
        for c in slack.channels.values()
        if c.is_im and user in c.members
        for m in slack.history(c.id)
    ]


def summary_lines(slack: SlackEmulator, channel: str) -> list[str]:
    """Return the pinned summary's lines as the bot wrote them (date tokens left in)."""
    [pinned] = slack.pins[channel]
    message = next(m for m in slack.history(channel) if m.ts == pinned)
    return block_lines(message.blocks or [])


def last_update(slack: SlackEmulator, channel: str) -> str:
    """Return the pinned summary's `Last update` line."""
    [line] = [x for x in summary_lines(slack, channel) if x.startswith("*Last update:*")]
    return line


async def run(bot: Bot, channel: str, *steps: tuple[str, str]) -> None:
    """Send each command as its person, then wait until everything it owes is delivered."""
    for user, text in steps:
        reply = await bot.command(user, channel, text)
        assert ":warning:" not in reply.text, (text, reply.text)
    await bot.settle()


# --- roles: the post is third person, the duty goes to the new holder -------------------------


async def test_role_assigned_is_posted_in_third_person_and_its_duty_sent_by_dm(bot: Bot) -> None:
    channel = await bot.declare()
    name = bot.slack.channels[channel].name
    await run(bot, channel, (ALICE, "role comms <@U0BOB|bob>"))
    posts = [bot.slack.render_text(m.text) for m in bot.slack.history(channel)][1:]
    assert posts == [":bust_in_silhouette: @bob is now *Communications lead*, assigned by @alice"]
    assert dms(bot.slack, BOB) == [
        f":bust_in_silhouette: @alice made you *Communications lead* of INC-1 in #{name}.\n"
        f"{COMMS_DUTY}"
    ]


async def test_role_replaced_names_who_was_replaced_and_only_a_commander_gets_a_catch_up(
    bot: Bot,
) -> None:
    channel = await bot.declare()
    name = bot.slack.channels[channel].name
    await run(bot, channel, (ALICE, "role comms <@U0BOB|bob>"), (ALICE, "role comms <@U0CAROL>"))
    assert bot.slack.render_text(bot.slack.history(channel)[-1].text) == (
        ":bust_in_silhouette: @carol is now *Communications lead*, assigned by @alice, "
        "replacing @bob"
    )
    assert dms(bot.slack, CAROL) == [
        f":bust_in_silhouette: @alice made you *Communications lead* of INC-1 in #{name}.\n"
        f"{COMMS_DUTY}"
    ]


async def test_first_commander_gets_the_duty_without_a_catch_up(bot: Bot) -> None:
    channel = await bot.declare()
    name = bot.slack.channels[channel].name
    await run(bot, channel, (BOB, "update looking"), (ALICE, "role commander me"))
    assert dms(bot.slack, ALICE) == [
        f":bust_in_silhouette: @alice made you *Incident commander* of INC-1 in #{name}.\n"
        f"{COMMANDER_DUTY}"
    ]


async def test_commander_handoff_dm_catches_the_new_commander_up(bot: Bot) -> None:
    channel = await bot.declare()
    name = bot.slack.channels[channel].name
    await run(
        bot,
        channel,
        (ALICE, "role commander me"),
        (BOB, "update Error rate 38% on /checkout"),
        (BOB, "status identified Bad config push"),
        (CAROL, "action Add an alert on p99"),
        (CAROL, "action Canary config pushes"),
        (CAROL, "action done 2"),
        (BOB, "update Rolled back <!channel>"),
        (ALICE, "update Error rate falling"),
    )
    await run(bot, channel, (ALICE, "role commander <@U0CAROL|carol>"))
    [dm] = dms(bot.slack, CAROL)
    assert re.sub(DATE, "<date>", dm) == "\n".join(
        [
            f":bust_in_silhouette: @alice made you *Incident commander* of INC-1 in #{name}.",
            COMMANDER_DUTY,
            "",
            "*Catch-up:* SEV1 · :bulb: identified · next update due: <date>",
            "*Last updates:*",  # the last three, oldest first; no broadcast in a DM either
            "• Bad config push",
            "• Rolled back @\u2060channel",
            "• Error rate falling",
            "*Open actions:*",
            "• 1. Add an alert on p99",
        ]
    )
    assert bot.slack.render_text(bot.slack.history(channel)[-1].text) == (
        ":bust_in_silhouette: @carol is now *Incident commander*, assigned by @alice, "
        "replacing @alice"
    )


async def test_commander_handoff_before_any_update_says_none_yet(bot: Bot) -> None:
    channel = await bot.declare()
    await run(bot, channel, (ALICE, "role commander me"), (ALICE, "role commander <@U0BOB>"))
    [dm] = dms(bot.slack, BOB)
    assert re.sub(DATE, "<date>", dm).endswith(
        "\n\n*Catch-up:* SEV1 · :mag: investigating · next update due: <date>\n"
        "*Last updates:* none yet"
    )


# --- posts leave the time to Slack ------------------------------------------------------------


async def test_posts_repeat_no_date_but_a_pinned_message_and_a_milestone_say_theirs(
    bot: Bot,
) -> None:
    channel = await bot.declare()
    note = bot.slack.add_message(channel, BOB, "p99 went to 9s after deploy 4512")
    pin = {
        "type": "reaction_added",
        "user": CAROL,
        "reaction": "pushpin",
        "item": {"type": "message", "channel": channel, "ts": note.ts},
        "item_user": BOB,
    }
    await bot.driver.event(pin)
    await run(
        bot,
        channel,
        (ALICE, "role commander me"),
        (BOB, "update looking at the gateway"),
        (ALICE, "severity sev2"),
        (BOB, "status identified Bad config push"),
        (BOB, "public-name Checkout errors"),
        (ALICE, "cadence 10m"),
        (ALICE, "cadence off"),
        (CAROL, "action Add an alert"),
        (CAROL, "action done 1"),
        (ALICE, "milestone started -30m"),
        (ALICE, "resolve All clear"),
    )
    [summary] = bot.slack.pins[channel]
    mine = [
        m for m in bot.slack.history(channel) if m.user == bot.slack.bot_user_id and m.ts != summary
    ]
    dated = {m.text.split()[0]: DATE_TOKEN.findall(m.text) for m in mine if "<!date^" in m.text}
    assert dated.keys() == {":pushpin:", ":round_pushpin:"}, dated
    assert dated[":pushpin:"] == [note.ts.split(".")[0]]  # when the pinned message was written
    assert len(dated[":round_pushpin:"]) == 1  # the milestone's new time
    assert int(dated[":round_pushpin:"][0]) < int(float(note.ts)) - 29 * 60
    said = [bot.slack.render_text(m.text) for m in mine]
    assert ":stopwatch: @alice set the update cadence to *10m*" in said
    assert ":stopwatch: @alice turned update reminders off" in said
    assert ":rotating_light: Severity changed from SEV1 to *SEV2* by @alice" in said
    assert len(mine) == 13  # one post per change (the pinned summary aside), and the draft


# --- the pinned summary -----------------------------------------------------------------------


async def test_summary_last_update_is_the_newest_update_status_or_resolve_message(
    bot: Bot,
) -> None:
    channel = await bot.declare()
    assert last_update(bot.slack, channel) == "*Last update:* none yet"
    await run(bot, channel, (BOB, "update first finding"))
    assert last_update(bot.slack, channel) == "*Last update:* first finding"
    await run(
        bot,
        channel,
        (BOB, "status identified Bad config push"),
        (CAROL, "action Add an alert on p99"),  # a follow-up is no update
        (ALICE, "role scribe me"),
        (ALICE, "milestone started -5m"),
    )
    assert last_update(bot.slack, channel) == "*Last update:* Bad config push"
    asked = await bot.command(BOB, channel, "summary")
    assert "\nLast update: Bad config push" in asked.text
    await run(bot, channel, (ALICE, "resolve All clear"), (CAROL, "action Canary pushes"))
    assert last_update(bot.slack, channel) == "*Last update:* All clear"


async def test_summary_shows_impact_since_only_once_the_start_is_moved(bot: Bot) -> None:
    channel = await bot.declare()
    assert not [x for x in summary_lines(bot.slack, channel) if "Impact since" in x]
    reply = await bot.command(ALICE, channel, "milestone started -30m")
    [moved] = DATE_TOKEN.finditer(reply.text)
    await bot.settle()
    lines = summary_lines(bot.slack, channel)
    assert re.fullmatch(rf"\*Declared:\* {DATE_TOKEN.pattern} by <@{ALICE}>", lines[3])
    assert lines[4] == f"*Impact since:* {moved[0]}"
    assert lines[5].startswith("*Next update due:* <!date^")


# --- where a public update went ---------------------------------------------------------------


@pytest.fixture
async def mirrored(
    emulator: SlackEmulator,
    database_url: str,
    http: aiohttp.ClientSession,
    statuspage: StatuspageEmulator,
) -> AsyncIterator[Bot]:
    """The real server, publishing to the Statuspage emulator too."""
    settings = bot_settings(
        emulator,
        database_url,
        statuspage_api_key=Secret(statuspage.api_key),
        statuspage_page_id=statuspage.page_id,
        statuspage_api_url=statuspage.api_url,
        statuspage_rate=50.0,
    )
    running = await start_bot(settings, emulator, http)
    yield running
    await running.stop()


async def test_statuspage_confirmation_edits_the_status_message_and_posts_no_notice(
    mirrored: Bot, statuspage: StatuspageEmulator
) -> None:
    bot = mirrored
    channel = await bot.declare()
    await run(bot, channel, (BOB, "status identified We found the cause"))
    [incident] = statuspage.incidents.values()
    page, shortlink = bot.settings.public_url, incident["shortlink"]
    summary, status = bot.slack.history(channel)
    assert status.edited
    assert status.text == (
        f":bulb: Status is now *identified* (was investigating), set by <@{BOB}>\n"
        ">We found the cause\n"
        f":globe_with_meridians: Published on <{page}|the status page> and "
        f"<{shortlink}|Atlassian Statuspage>."
    )
    assert summary.ts in bot.slack.pins[channel]
    await run(bot, channel, (ALICE, "resolve All clear"))
    resolved = bot.slack.history(channel)[2]
    assert resolved.text.endswith(
        f">All clear\n:globe_with_meridians: Published on <{page}|the status page> and "
        f"<{shortlink}|Atlassian Statuspage>."
    )
    assert not [m for m in bot.slack.history(channel) if "Public update published" in m.text]


# --- help -------------------------------------------------------------------------------------


async def test_help_fits_25_lines_grouped_by_moment(bot: Bot) -> None:
    reply = await bot.command(ALICE, GENERAL, "help")
    lines = bot.slack.render_text(reply.text).splitlines()
    assert len(lines) == 25
    assert [x for x in lines if not x.startswith("• ")][1:-1] == [
        "*Declare*",
        "*During*",
        "*Public*",
        "*After*",
    ]
    assert lines[1:3] == [
        "*Declare*",
        "• `/incident declare [private] [sev1|sev2|sev3|sev4] <title>`: Declare an incident and "
        "open its channel (no title: open a form; `private`: only the people you add see it).",
    ]
    assert "e.g." not in reply.text
