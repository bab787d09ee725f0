"""A whole incident over real HTTP: signed slash commands in, Slack Web API calls out."""

from __future__ import annotations

import re

from bot.domain.grammar import SUBCOMMANDS
from sandbox.slack_emulator import EmMessage, SlackEmulator
from tests.conftest import ALICE, ANNOUNCE, BOB, CAROL, GENERAL, Bot

DATE = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"  # a date token as a reader in UTC sees it


def posts(slack: SlackEmulator, channel: str) -> list[str]:
    """Return the channel's messages as people read them."""
    return [slack.render_text(m.text) for m in slack.history(channel)]


def buttons(message: EmMessage) -> list[str]:
    """Return the labels of a message's buttons."""
    return [
        element["text"]["text"]
        for block in message.blocks or []
        if block["type"] == "actions"
        for element in block["elements"]
    ]


async def test_declare_opens_channel_invites_pins_announces_and_tells_declarer(bot: Bot) -> None:
    reply = await bot.command(ALICE, GENERAL, "declare sev1 Checkout API failing")
    assert reply.status == 200
    assert reply.text.startswith("Declaring *INC-1* (SEV1)")
    await bot.settle()

    channel = bot.slack.channel_by_name("inc-1-checkout-api-failing")
    assert channel is not None, sorted(c.name for c in bot.slack.channels.values())
    assert ALICE in channel.members
    assert channel.topic == "SEV1 | investigating | Incident commander: unassigned"
    summary = bot.slack.history(channel.id)[0]
    assert summary.ts in bot.slack.pins[channel.id]
    assert summary.text == "INC-1: Checkout API failing (SEV1, investigating)"
    assert buttons(summary) == ["Take command", "Post update", "Change status", "Resolve"]
    headline, declared = bot.slack.history(ANNOUNCE)
    assert headline.thread_ts is None
    assert headline.text == "INC-1 (SEV1, investigating): Checkout API failing"
    assert f"#{channel.name}" in bot.slack.transcript(ANNOUNCE)
    assert declared.thread_ts == headline.ts
    assert bot.slack.render_text(declared.text) == (
        ":rotating_light: Declared by @alice: Checkout API failing"
    )
    [notice] = bot.slack.responses
    assert notice["text"] == (
        f"INC-1 is open in <#{channel.id}>. You're in the channel; press *Take command* on its "
        "pinned summary, or assign a commander with `/incident role commander @someone`."
    )


async def test_lifecycle_records_and_shows_every_change(bot: Bot) -> None:
    channel = await bot.declare()
    steps = [
        (ALICE, "role commander me", "is now the Incident commander of INC-1"),
        (ALICE, "role comms <@U0BOB|bob>", "is now the Communications lead of INC-1"),
        (BOB, "update Error rate 38% on /checkout & rising", "Update recorded on INC-1"),
        (ALICE, "severity sev2", "INC-1 is now SEV2"),
        (BOB, "status identified Bad config push", "INC-1 is now *identified*"),
        (CAROL, "status monitoring Rolled back", "INC-1 is now *monitoring*"),
        (ALICE, "resolve All clear for 30 minutes", "INC-1 is resolved"),
    ]
    for user, text, expected in steps:
        reply = await bot.command(user, channel, text)
        assert reply.status == 200
        assert expected in bot.slack.render_text(reply.text), (text, reply.text)
    await bot.settle()

    room = bot.slack.channels[channel]
    assert {ALICE, BOB} <= room.members
    assert room.topic == "SEV2 | resolved | Incident commander: <@U0ALICE>"
    said = posts(bot.slack, channel)[1:]
    published = (
        f"\n:globe_with_meridians: Published on the status page ({bot.settings.public_url})."
    )
    assert said[:7] == [
        ":bust_in_silhouette: @alice is now *Incident commander*, assigned by @alice",
        ":bust_in_silhouette: @bob is now *Communications lead*, assigned by @alice",
        ":memo: *Update* from @bob\n>Error rate 38% on /checkout & rising",
        ":rotating_light: Severity changed from SEV1 to *SEV2* by @alice",
        ":bulb: Status is now *identified* (was investigating), set by @bob\n"
        f">Bad config push{published}",
        ":eyes: Status is now *monitoring* (was identified), set by @carol\n"
        f">Rolled back{published}",
        f":white_check_mark: *INC-1 resolved* by @alice\n>All clear for 30 minutes{published}",
    ]
    assert said[7].startswith(":memo: *Post-mortem draft for INC-1* (SEV2)")
    [upload] = [m for m in bot.slack.history(channel) if m.files]
    assert upload.files[0]["name"] == "INC-1-postmortem.md"
    assert len(said) == 8
    summary = bot.slack.history(channel)[0]
    assert summary.edited
    assert summary.text == "INC-1: Checkout API failing (SEV2, resolved)"
    summary_text = bot.slack.transcript(channel).split("\n\n")[0]
    assert "*Incident commander:* @alice\n*Communications lead:* @bob\n" in summary_text
    assert "*Last update:* All clear for 30 minutes" in summary_text
    assert "*Resolved:* " in summary_text
    assert "[Resolve]" not in summary_text  # no buttons once resolved
    headline, *replies = bot.slack.history(ANNOUNCE)
    assert headline.edited
    assert headline.text == "INC-1 (SEV2, resolved): Checkout API failing"
    assert [(bot.slack.render_text(m.text), m.broadcast) for m in replies] == [
        (":rotating_light: Declared by @alice: Checkout API failing", False),
        (":rotating_light: Severity is now *SEV2* (was SEV1)", False),
        (":bulb: *Identified*: Bad config push", False),
        (":eyes: *Monitoring*: Rolled back", False),
        (":white_check_mark: *INC-1 is resolved*: All clear for 30 minutes", True),
    ]
    assert {m.thread_ts for m in replies} == {headline.ts}


async def test_post_names_its_author_and_leaves_the_time_to_slack(bot: Bot) -> None:
    channel = await bot.declare()
    await bot.command(BOB, channel, "update looking at the gateway")
    await bot.settle()
    raw = bot.slack.history(channel)[-1].text
    assert raw == ":memo: *Update* from <@U0BOB>\n>looking at the gateway"


async def test_pinned_message_shows_when_it_was_written_in_readers_time_zone(bot: Bot) -> None:
    channel = await bot.declare()
    note = bot.slack.add_message(channel, BOB, "p99 went to 9s")
    pin = {
        "type": "reaction_added",
        "user": CAROL,
        "reaction": "pushpin",
        "item": {"type": "message", "channel": channel, "ts": note.ts},
        "item_user": BOB,
    }
    await bot.driver.event(pin)
    await bot.settle()
    raw = bot.slack.history(channel)[-1].text
    link = f"https://warroom-emulator.slack.com/archives/{channel}/p{note.ts.replace('.', '')}"
    assert raw.startswith(
        f":pushpin: Added to the timeline by <@U0CAROL>: <@U0BOB>'s <{link}|message> from "
        f"<!date^{note.ts.split('.')[0]}^{{date_short_pretty}} {{time}}|"
    )
    assert raw.endswith(" UTC>\n>p99 went to 9s")


async def test_summary_and_timeline_answer_only_the_caller(bot: Bot) -> None:
    channel = await bot.declare()
    await bot.command(ALICE, channel, "role commander me")
    await bot.command(BOB, channel, "update first finding")
    await bot.settle()
    before = len(bot.slack.history(channel))
    summary = await bot.command(BOB, channel, "summary")
    timeline = await bot.command(BOB, channel, "timeline")
    await bot.settle()
    lines = bot.slack.render_text(summary.text).splitlines()
    assert lines[0] == "*INC-1: Checkout API failing (SEV1, investigating)*"
    assert re.fullmatch(f"Declared {DATE} · updated {DATE} · next update due: {DATE}", lines[1]), (
        lines[1]
    )
    assert lines[2] == (
        "Incident commander: @alice, Communications lead: unassigned, Scribe: unassigned, "
        "Technical lead: unassigned"
    )
    assert lines[3] == "Last update: first finding"
    said = [re.sub(f"^• {DATE} ", "", x) for x in bot.slack.render_text(timeline.text).splitlines()]
    assert said == [
        "*Timeline of INC-1* (3 entries)",
        "@alice declared INC-1: Checkout API failing",
        "@alice made @alice Incident commander",
        "@bob update: first finding",
    ]
    assert len(bot.slack.history(channel)) == before  # nothing new posted for them


async def test_list_shows_open_incidents_with_links(bot: Bot) -> None:
    first = await bot.declare("declare sev2 Search slow")
    second = await bot.declare("declare Login errors")
    await bot.command(ALICE, first, "resolve")
    reply = await bot.command(BOB, GENERAL, "list")
    assert "*Open incidents (1)*" in reply.text
    assert f"<#{second}>" in reply.text
    assert "INC-2* SEV3" in reply.text
    assert "Search slow" not in reply.text


async def test_help_lists_every_subcommand_by_moment_on_one_screen(bot: Bot) -> None:
    reply = await bot.command(ALICE, GENERAL, "help")
    text = bot.slack.render_text(reply.text)
    for usage in (
        "declare [private] [sev1|sev2|sev3|sev4] <title>",
        "update <text>",
        "role <commander|comms|scribe|lead> <@user|me>",
        "severity <sev1|sev2|sev3|sev4>",
        "status <investigating|identified|monitoring> <message>",
        "cadence <30m|1h|off>",
        "page [<service> [message]]",
        "resolve [message]",
        "cancel <reason>",
        "reopen <reason>",
        "summary",
        "timeline",
        "list",
        "help",
    ):
        assert f"`/incident {usage}`" in text, usage
    lines = text.splitlines()
    assert len(lines) == 25
    assert sum(x.startswith("• `/incident ") for x in lines) == len(SUBCOMMANDS) - 1  # not help
    assert "e.g." not in text


async def test_wrong_usage_still_shows_an_example(bot: Bot) -> None:
    channel = await bot.declare()
    reply = await bot.command(ALICE, channel, "severity high")
    assert bot.slack.render_text(reply.text) == (
        ":warning: `high` is not a severity. Use one of: sev1, sev2, sev3, sev4.\n"
        "Usage: `/incident severity <sev1|sev2|sev3|sev4>`\n"
        "Example: `/incident severity sev2`"
    )
