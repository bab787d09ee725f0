"""Who sees a private incident: its declarer, whoever is invited or joins its private channel;
whoever leaves stops seeing it. The declare form's Private box, and the list over real HTTP."""

from __future__ import annotations

import pytest

from bot.slack import ids
from sandbox.slack.records import EmChannel
from tests.conftest import ALICE, ANNOUNCE, BOB, CAROL, GENERAL, Bot
from tests.support import wait_until

TITLE = "Payroll PAYROLL-LEAK"


async def lists(bot: Bot, user: str, ref: str) -> bool:
    """Return whether `/incident list` shows `ref` to `user`."""
    reply = await bot.command(user, GENERAL, "list")
    assert reply.status == 200
    return ref in reply.text


async def test_list_shows_a_private_incident_to_its_members_only(bot: Bot) -> None:
    await bot.declare("declare sev3 Public thing")
    private = await bot.declare(f"declare private sev2 {TITLE}")
    assert await lists(bot, ALICE, "INC-2")
    bob_sees = await bot.command(BOB, GENERAL, "list")
    assert "INC-1" in bob_sees.text
    assert "INC-2" not in bob_sees.text
    assert "PAYROLL" not in bob_sees.text

    # Alice adds Bob in Slack: Slack tells the bot (it is in the channel); Bob is a member.
    await bot.driver.member_joined(private, BOB, by=ALICE)
    await wait_until(lambda: lists(bot, BOB, "INC-2"), what="Bob sees INC-2 once added")
    reply = await bot.command(BOB, private, "update Bob is on it")
    assert ":warning:" not in reply.text
    # Bob leaves: he no longer sees it.
    await bot.driver.member_left(private, BOB)

    async def bob_gone() -> bool:
        return not await lists(bot, BOB, "INC-2")

    await wait_until(bob_gone, what="Bob no longer sees INC-2 once he left")
    assert await lists(bot, ALICE, "INC-2")


async def test_role_holder_is_invited_and_becomes_a_member(bot: Bot) -> None:
    private = await bot.declare(f"declare private sev2 {TITLE}")
    assert bot.slack.channels[private].members == {bot.slack.bot_user_id, ALICE}
    assert bot.slack.channels[private].topic.startswith("Private | SEV2 | investigating")
    told = [r["text"] for r in bot.slack.responses if "INC-1 is open in" in r["text"]]
    assert told
    assert "It is a private channel: add people with Slack's `/invite`" in told[0]
    assert not await lists(bot, CAROL, "INC-1")
    reply = await bot.command(ALICE, private, f"role lead <@{CAROL}>")
    assert ":warning:" not in reply.text
    await bot.settle()
    assert bot.slack.channels[private].members == {bot.slack.bot_user_id, ALICE, CAROL}
    assert await lists(bot, CAROL, "INC-1")
    assert not await lists(bot, BOB, "INC-1")


async def test_private_name_taken_by_a_hidden_channel_gets_a_suffix(bot: Bot) -> None:
    # Someone's private channel, which the bot is not in (it cannot see it), holds the name.
    hidden = EmChannel(
        "G0HIDDEN", "inc-1-payroll-payroll-leak", BOB, 0, members={BOB}, is_private=True
    )
    bot.slack.channels[hidden.id] = hidden
    private = await bot.declare(f"declare private {TITLE}")
    made = bot.slack.channels[private]
    assert made.name == "inc-1-payroll-payroll-leak-2"
    assert made.is_private
    assert hidden.members == {BOB}
    lists_private = [p for m, p in bot.slack.calls if m == "conversations.list"]
    assert lists_private
    assert all(p.get("types") == "private_channel" for p in lists_private)


async def test_non_member_cannot_type_in_the_private_channel(bot: Bot) -> None:
    reply = await bot.command(ALICE, GENERAL, f"declare private {TITLE}")
    assert "It is private: only the people you add see it" in reply.text
    await bot.settle()
    private = bot.incident_channel(1)
    with pytest.raises(PermissionError):
        await bot.command(BOB, private, "summary")
    with pytest.raises(PermissionError):  # only a member can add people to a private channel
        await bot.driver.member_joined(private, CAROL, by=BOB)


async def test_private_incident_is_not_announced_and_a_public_one_is(bot: Bot) -> None:
    await bot.declare(f"declare private sev1 {TITLE}")
    await bot.declare("declare sev1 Public thing")
    announced = "\n".join(m.text for m in bot.slack.history(ANNOUNCE))
    assert "INC-2" in announced
    assert "INC-1" not in announced
    assert "PAYROLL" not in announced  # no PRIVATE_ANNOUNCE_CHANNEL here: no notice at all


async def test_declare_form_private_box_opens_a_private_incident(bot: Bot) -> None:
    for ticked, number in (("private", 1), ("", 2)):
        reply = await bot.command(ALICE, GENERAL, "declare")
        assert reply.status == 200
        await bot.settle()
        title = f"Form incident {number}"
        submitted = await bot.driver.view_submission(
            user_id=ALICE,
            callback_id=ids.DECLARE_MODAL_CALLBACK,
            fill={ids.TITLE_BLOCK: title, ids.PRIVATE_BLOCK: ticked},
        )
        assert submitted.status == 200
        await bot.settle()
        channel = bot.slack.channels[bot.incident_channel(number)]
        assert channel.is_private is bool(ticked)
    announced = "\n".join(m.text for m in bot.slack.history(ANNOUNCE))
    assert "Form incident 2" in announced
    assert "Form incident 1" not in announced
    assert not await lists(bot, BOB, "INC-1")
    assert await lists(bot, BOB, "INC-2")
