"""Every malformed command gets a short private answer that says what was wrong and the fix."""

from __future__ import annotations

import pytest

from tests.conftest import ALICE, BOB, GENERAL, Bot

IN_CHANNEL = [
    ("frobnicate", "`frobnicate` is not an `/incident` command.", "/incident help"),
    ("update", "The update has no text.", "Usage: `/incident update &lt;text&gt;`"),
    ("update    ", "The update has no text.", "Example: `/incident update"),
    ("role", "Say which role to assign and to whom.", "Usage: `/incident role"),
    (
        "role boss me",
        "`boss` is not a role. Use one of: commander, comms, scribe, lead.",
        "Example: `/incident role commander me`",
    ),
    ("role commander", "Say who takes the commander role", "Usage: `/incident role"),
    ("role commander bob", "I can't tell who `bob` is.", "Usage: `/incident role"),
    ("role lead me you", "A role goes to one person at a time.", "Usage: `/incident role"),
    ("severity", "Say which severity.", "Usage: `/incident severity"),
    (
        "severity sev9",
        "`sev9` is not a severity. Use one of: sev1, sev2, sev3, sev4.",
        "Example: `/incident severity sev2`",
    ),
    ("severity sev1 now", "Give just the severity, nothing after it.", "Usage"),
    ("status", "Say which status", "Usage: `/incident status"),
    (
        "status fixed it",
        "`fixed` is not a status. Use one of: investigating, identified, monitoring.",
        "Usage: `/incident status",
    ),
    ("status identified", "The `identified` status needs a message for stakeholders.", "Example"),
    (
        "status resolved done",
        "To resolve the incident, use `/incident resolve [message]`.",
        "Usage",
    ),
    ("summary please", "`summary` takes no arguments.", "Usage: `/incident summary`"),
    ("declare sev1", "The incident needs a title.", "Usage: `/incident declare"),
    ("declare sev7 DB down", "`sev7` is not a severity.", "Usage: `/incident declare"),
]


@pytest.mark.parametrize(("text", "message", "hint"), IN_CHANNEL)
async def test_command_malformed_gets_private_usage_and_changes_nothing(
    bot: Bot, text: str, message: str, hint: str
) -> None:
    channel = await bot.declare()
    before = len(bot.slack.history(channel))
    reply = await bot.command(BOB, channel, text)
    await bot.settle()
    assert reply.status == 200
    assert reply.text.startswith(":warning: ")
    assert message in reply.text
    assert hint in reply.text
    assert "Traceback" not in reply.body
    assert len(bot.slack.history(channel)) == before


@pytest.mark.parametrize(
    "text",
    [
        "update x",
        "role commander me",
        "severity sev2",
        "status identified x",
        "resolve",
        "summary",
        "timeline",
    ],
)
async def test_incident_command_outside_incident_channel_is_refused(bot: Bot, text: str) -> None:
    reply = await bot.command(ALICE, GENERAL, text)
    assert reply.status == 200
    assert "This isn't an incident channel." in reply.text
    assert "/incident list" in reply.text


@pytest.mark.parametrize(
    "text",
    ["update late news", "role scribe me", "severity sev2", "status monitoring x", "resolve again"],
)
async def test_change_on_resolved_incident_is_refused(bot: Bot, text: str) -> None:
    channel = await bot.declare()
    await bot.command(ALICE, channel, "resolve")
    await bot.settle()
    before = len(bot.slack.history(channel))
    reply = await bot.command(BOB, channel, text)
    await bot.settle()
    assert "INC-1 is resolved and takes no more changes." in reply.text
    assert "declare a new incident" in reply.text
    assert len(bot.slack.history(channel)) == before


async def test_summary_on_resolved_incident_still_answers(bot: Bot) -> None:
    channel = await bot.declare()
    await bot.command(ALICE, channel, "resolve")
    reply = await bot.command(BOB, channel, "summary")
    assert "(SEV1, resolved)" in reply.text


async def test_role_for_unknown_user_is_refused(bot: Bot) -> None:
    channel = await bot.declare()
    reply = await bot.command(ALICE, channel, "role lead <@U0NOBODY|ghost>")
    await bot.settle()
    assert "I can't find the user `U0NOBODY` in this workspace." in reply.text
    assert "U0NOBODY" not in bot.slack.channels[channel].members


async def test_same_severity_or_role_holder_is_refused_clearly(bot: Bot) -> None:
    channel = await bot.declare()
    same = await bot.command(ALICE, channel, "severity sev1")
    assert "INC-1 is already SEV1." in same.text
    await bot.command(ALICE, channel, "role lead me")
    again = await bot.command(ALICE, channel, "role lead me")
    assert "<@U0ALICE> is already the Technical lead of INC-1." in again.text


@pytest.mark.parametrize(
    "title",
    [
        "Checkout \"quoted\" & 'single' <b>bold</b>",
        "支付服务故障 — 결제 실패",
        "خدمة الدفع متوقفة",
        "🔥🔥 checkout 🔥",
        "help",
        "GET / HTTP/1.1\r\nHost: x",
        "<!channel> <!here> <@U0BOB|bob> *bold* _it_ ~strike~ `code`",
        "x" * 3000,
        "%00 %20 ../../etc/passwd ${jndi:ldap://x} {{7*7}}",
    ],
)
async def test_declare_any_title_works_and_is_kept_exactly(bot: Bot, title: str) -> None:
    channel = await bot.declare(f"declare sev2 {title}")
    name = bot.slack.channels[channel].name
    assert len(name) <= 80
    assert all(c.islower() or c.isdigit() or c == "-" for c in name)
    summary = await bot.command(ALICE, channel, "timeline")
    assert "declared INC-1" in summary.text
    for message in [*bot.slack.history(channel), *bot.slack.history("C0ANNOUNCE")]:
        for broadcast in ("<!channel>", "<!here>", "<!everyone>"):
            assert broadcast not in message.text
            assert broadcast not in str(message.blocks)
