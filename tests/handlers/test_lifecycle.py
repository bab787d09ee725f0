"""A whole incident over real HTTP: signed slash commands in, Slack Web API calls out."""

from __future__ import annotations

from bot.domain.grammar import SUBCOMMANDS
from sandbox.slack_emulator import SlackEmulator
from tests.conftest import ALICE, ANNOUNCE, BOB, CAROL, GENERAL, Bot


def posts(slack: SlackEmulator, channel: str) -> list[str]:
    """Return the channel's messages as people read them."""
    return [slack.render_text(m.text) for m in slack.history(channel)]


async def test_declare_opens_channel_invites_pins_announces_and_tells_declarer(bot: Bot) -> None:
    reply = await bot.command(ALICE, GENERAL, "declare sev1 Checkout API failing")
    assert reply.status == 200
    assert reply.text.startswith("Declaring *INC-1* (SEV1)")
    await bot.settle()

    channel = bot.slack.channel_by_name("inc-1-checkout-api-failing")
    assert channel is not None, sorted(c.name for c in bot.slack.channels.values())
    assert ALICE in channel.members
    assert channel.topic == "SEV1 | investigating | commander: unassigned"
    summary = bot.slack.history(channel.id)[0]
    assert summary.ts in bot.slack.pins[channel.id]
    assert summary.text.startswith("INC-1: Checkout API failing (SEV1, investigating)")
    announced = posts(bot.slack, ANNOUNCE)
    assert len(announced) == 1
    assert "New incident INC-1" in announced[0].replace("*", "")
    assert f"#{channel.name}" in announced[0]
    [notice] = bot.slack.responses
    assert f"<#{channel.id}>" in notice["text"]


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
    assert room.topic == "SEV2 | resolved | commander: <@U0ALICE>"
    said = posts(bot.slack, channel)[1:]
    assert "@alice is now *Incident commander*" in said[0]
    assert "You coordinate the response" in said[0]
    assert "@bob is now *Communications lead*" in said[1]
    assert "*Update* from @bob" in said[2]
    assert "Error rate 38% on /checkout & rising" in said[2]
    assert "Severity changed from SEV1 to *SEV2* by @alice" in said[3]
    assert "Status is now *identified* (was investigating), set by @bob" in said[4]
    assert "Bad config push" in said[4]
    assert "Status is now *monitoring*" in said[5]
    assert "*INC-1 resolved* by @alice" in said[6]
    assert "All clear for 30 minutes" in said[6]
    assert "Post-mortem draft for INC-1" in said[7]
    [upload] = [m for m in bot.slack.history(channel) if m.files]
    assert upload.files[0]["name"] == "INC-1-postmortem.md"
    assert len(said) == 8
    summary = bot.slack.history(channel)[0]
    assert summary.edited
    assert "(SEV2, resolved)" in summary.text
    summary_text = bot.slack.transcript(channel).split("\n\n")[0]
    assert "*Incident commander:* @alice" in summary_text
    assert "*Last update:* All clear for 30 minutes" in summary_text
    announced = posts(bot.slack, ANNOUNCE)
    assert len(announced) == 5  # declared, severity, two statuses, resolved
    assert "Severity is now *SEV2* (was SEV1)" in announced[1]
    assert "*Resolved*: All clear for 30 minutes" in announced[4]


async def test_every_post_shows_authors_time_in_readers_time_zone(bot: Bot) -> None:
    channel = await bot.declare()
    await bot.command(BOB, channel, "update looking at the gateway")
    await bot.settle()
    raw = bot.slack.history(channel)[-1].text
    assert "<@U0BOB>" in raw
    assert "<!date^" in raw
    assert "{date_short_pretty} {time}|" in raw
    assert " UTC>" in raw


async def test_summary_and_timeline_answer_only_the_caller(bot: Bot) -> None:
    channel = await bot.declare()
    await bot.command(ALICE, channel, "role commander me")
    await bot.command(BOB, channel, "update first finding")
    await bot.settle()
    before = len(bot.slack.history(channel))
    summary = await bot.command(BOB, channel, "summary")
    timeline = await bot.command(BOB, channel, "timeline")
    await bot.settle()
    assert "INC-1: Checkout API failing (SEV1, investigating)" in summary.text
    assert "commander: <@U0ALICE>" in summary.text
    assert "Last update: first finding" in summary.text
    assert "*Timeline of INC-1* (3 entries)" in timeline.text
    assert "declared INC-1: Checkout API failing" in timeline.text
    assert "assigned commander to <@U0ALICE>" in timeline.text
    assert "update: first finding" in timeline.text
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


async def test_help_lists_every_subcommand_with_an_example(bot: Bot) -> None:
    reply = await bot.command(ALICE, GENERAL, "help")
    text = bot.slack.render_text(reply.text)
    for usage in (
        "declare [sev1|sev2|sev3|sev4] <title>",
        "update <text>",
        "role <commander|comms|scribe|lead> <@user|me>",
        "severity <sev1|sev2|sev3|sev4>",
        "status <investigating|identified|monitoring> <message>",
        "resolve [message]",
        "summary",
        "timeline",
        "list",
        "help",
    ):
        assert f"/incident {usage}" in text, usage
    assert text.count("e.g. `/incident") == len(SUBCOMMANDS)
