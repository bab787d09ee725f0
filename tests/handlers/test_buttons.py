"""The pinned summary's buttons over real HTTP: which show, Take command, and late clicks."""

from __future__ import annotations

import asyncio
import copy
import json
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.slack import ids
from sandbox.slack_driver import DriverReply
from sandbox.slack_emulator import APP_ID, EmMessage, SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, Bot

pytestmark = pytest.mark.timeout(60)

SUMMARY_BUTTONS = [
    (ids.TAKE_COMMAND_BUTTON, "Take command"),
    (ids.POST_UPDATE_BUTTON, "Post update"),
    (ids.CHANGE_STATUS_BUTTON, "Change status"),
    (ids.RESOLVE_BUTTON, "Resolve"),
]


# ----- what a person sees -------------------------------------------------------------------


def posts(slack: SlackEmulator, channel: str) -> list[str]:
    """Return the channel's messages as people read them."""
    return [slack.render_text(m.text) for m in slack.history(channel)]


def buttons(message: EmMessage) -> list[dict[str, Any]]:
    """Return the buttons on a message, in the order shown."""
    blocks = message.blocks or []
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def summary(bot: Bot, channel: str) -> EmMessage:
    """Return the incident channel's pinned summary (its first message)."""
    first = bot.slack.history(channel)[0]
    assert first.ts in bot.slack.pins[channel]
    return first


def direct_messages(slack: SlackEmulator, user: str) -> list[str]:
    """Return the raw text of the bot's DMs to a person, oldest first."""
    ims = {c.id for c in slack.channels.values() if c.is_im and user in c.members}
    return [m.text for m in slack.messages if m.channel in ims]


def as_first(text: str, *, number: int, channel: str, first_channel: str) -> str:
    """Return INC-<number>'s text as if it were INC-1's, times left out: to compare the two.

    INC-1 is about Checkout, the other about Payments (the same title twice is one incident).
    Buttons carry their incident's database id: left out too.
    """
    text = re.sub(r"<!date\^\d+\^[^|>]*\|[^>]*>", "<date>", text)
    text = re.sub(r"'value': '\d+'", "'value': '<id>'", text)
    text = text.replace(channel, first_channel).replace("Payments", "Checkout")
    return text.replace(f"INC-{number}", "INC-1").replace(f"inc-{number}-", "inc-1-")


# ----- clicking what someone's Slack still shows --------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A message as someone's Slack still shows it, buttons and all, though the bot changed it."""

    channel: str
    ts: str
    blocks: list[dict[str, Any]]


def shown(message: EmMessage) -> Shown:
    """Remember a message as it looks now."""
    return Shown(message.channel, message.ts, copy.deepcopy(message.blocks or []))


async def click_shown(bot: Bot, user: str, seen: Shown, action_id: str) -> DriverReply:
    """Click a button on a message as the person's Slack still shows it: a stale click.

    The driver clicks only buttons on the message as it stands now; a button the bot has since
    removed (Take command after someone took it, any button after resolve) is sent from here,
    with its old value, as Slack sends a click from a client that has not caught up.
    """
    [(block_id, button)] = [
        (str(b.get("block_id")), e)
        for b in seen.blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action_id
    ]
    person = bot.slack.users[user]
    payload = {
        "type": "block_actions",
        "team": {"id": bot.driver.team_id, "domain": "emulator"},
        "api_app_id": APP_ID,
        "token": bot.driver.verification_token,
        "trigger_id": bot.slack.new_trigger_id(user),
        "is_enterprise_install": False,
        "enterprise": None,
        "user": {"id": user, "username": person.name, "name": person.name},
        "container": {
            "type": "message",
            "message_ts": seen.ts,
            "channel_id": seen.channel,
            "is_ephemeral": False,
        },
        "channel": {"id": seen.channel, "name": bot.slack.channels[seen.channel].name},
        "message": {"type": "message", "ts": seen.ts, "blocks": seen.blocks},
        "response_url": bot.slack.new_response_url(),
        "state": {"values": {}},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "text": {"emoji": True, **button["text"]},
                "value": button["value"],
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **bot.driver.sign(body)}
    return await bot.driver.raw(body, headers)


async def click(bot: Bot, user: str, channel: str, action_id: str) -> DriverReply:
    """Click a button on the summary as it stands now."""
    reply = await bot.driver.block_action(user_id=user, channel_id=channel, action_id=action_id)
    assert reply.status == 200, reply.body
    assert reply.body == ""  # acked at once; the answer comes through the response_url
    return reply


def answers_since(bot: Bot, count: int) -> list[dict[str, Any]]:
    """Return what the bot said through response URLs after the first `count` answers."""
    return bot.slack.responses[count:]


def privately(answer: dict[str, Any]) -> str:
    """Return the text of an answer only the clicker sees, below the message they clicked."""
    assert answer["response_type"] == "ephemeral", answer
    assert answer["replace_original"] is False, answer
    return str(answer["text"])


async def timeline(bot: Bot, channel: str) -> str:
    """Return the incident's timeline as `/incident timeline` shows it."""
    return (await bot.command(CAROL, channel, "timeline")).text


# ----- the summary's buttons ----------------------------------------------------------------


async def test_summary_without_commander_shows_take_command_and_the_three_forms(
    bot: Bot,
) -> None:
    channel = await bot.declare()
    shown_buttons = buttons(summary(bot, channel))
    assert [(b["action_id"], b["text"]["text"]) for b in shown_buttons] == SUMMARY_BUTTONS
    assert {b["value"] for b in shown_buttons} == {"1"}  # the first incident's database id
    styles = {b["action_id"]: b.get("style") for b in shown_buttons}
    assert styles[ids.TAKE_COMMAND_BUTTON] == "primary"
    assert styles[ids.RESOLVE_BUTTON] == "danger"


async def test_summary_with_commander_hides_take_command(bot: Bot) -> None:
    channel = await bot.declare()
    await bot.command(ALICE, channel, "role commander <@U0BOB|bob>")
    await bot.settle()
    assert [b["text"]["text"] for b in buttons(summary(bot, channel))] == [
        "Post update",
        "Change status",
        "Resolve",
    ]


async def test_summary_after_resolve_has_no_buttons(bot: Bot) -> None:
    channel = await bot.declare()
    await bot.command(ALICE, channel, "resolve All clear")
    await bot.settle()
    resolved = summary(bot, channel)
    assert "(SEV1, resolved)" in resolved.text
    assert buttons(resolved) == []


# ----- Take command --------------------------------------------------------------------------


async def test_take_command_click_makes_clicker_commander_and_tells_only_them(bot: Bot) -> None:
    channel = await bot.declare()
    before = len(bot.slack.responses)
    await click(bot, BOB, channel, ids.TAKE_COMMAND_BUTTON)
    await bot.settle()

    said = posts(bot.slack, channel)
    assert said[-1].startswith(
        ":bust_in_silhouette: @bob is now *Incident commander*, assigned by @bob"
    )
    assert bot.slack.channels[channel].topic.startswith("SEV1 | investigating | ")
    assert bot.slack.channels[channel].topic.endswith("commander: <@U0BOB>")
    assert BOB in bot.slack.channels[channel].members
    refreshed = summary(bot, channel)
    assert "*Incident commander:* <@U0BOB>" in str(refreshed.blocks)
    assert ids.TAKE_COMMAND_BUTTON not in {b["action_id"] for b in buttons(refreshed)}
    [dm] = direct_messages(bot.slack, BOB)
    assert dm.startswith(":bust_in_silhouette: <@U0BOB> made you *Incident commander* of INC-1")
    [answer] = answers_since(bot, before)
    assert privately(answer) == "<@U0BOB> is now the Incident commander of INC-1."


async def test_take_command_click_delivers_what_role_commander_me_delivers(bot: Bot) -> None:
    typed = await bot.declare()
    await bot.command(ALICE, typed, "role commander me")
    clicked = await bot.declare("declare sev1 Payments API failing")
    await click(bot, ALICE, clicked, ids.TAKE_COMMAND_BUTTON)
    await bot.settle()

    def seen(number: int) -> list[str]:
        """Return what people see of INC-<number>, written as if it were INC-1."""
        channel = bot.incident_channel(number)
        texts = [
            *(m.text for m in bot.slack.history(channel)),
            bot.slack.channels[channel].topic,
            str(summary(bot, channel).blocks),
            direct_messages(bot.slack, ALICE)[number - 1],  # INC-1's came first
        ]
        return [as_first(t, number=number, channel=channel, first_channel=typed) for t in texts]

    assert len(direct_messages(bot.slack, ALICE)) == 2
    assert seen(2) == seen(1)
    assert bot.slack.render_text(bot.slack.history(clicked)[-1].text).startswith(
        ":bust_in_silhouette: @alice is now *Incident commander*, assigned by @alice"
    )


@pytest.mark.parametrize(
    ("first", "second"), [(ALICE, ALICE), (ALICE, BOB)], ids=["double-click", "two-people"]
)
async def test_take_command_two_clicks_at_once_take_effect_once(
    bot: Bot, first: str, second: str
) -> None:
    channel = await bot.declare()
    before = len(bot.slack.responses)
    await asyncio.gather(
        click(bot, first, channel, ids.TAKE_COMMAND_BUTTON),
        click(bot, second, channel, ids.TAKE_COMMAND_BUTTON),
    )
    await bot.settle()

    [post] = [p for p in posts(bot.slack, channel) if p.startswith(":bust_in_silhouette:")]
    winner = BOB if "@bob is now" in post else ALICE
    assert bot.slack.channels[channel].topic.endswith(f"commander: <@{winner}>")
    assert (await timeline(bot, channel)).count("Incident commander") == 1
    assert len(direct_messages(bot.slack, winner)) == 1
    answers = sorted(privately(a) for a in answers_since(bot, before))
    assert answers == [
        f":warning: <@{winner}> is already the Incident commander of INC-1.",
        f"<@{winner}> is now the Incident commander of INC-1.",
    ]


async def test_take_command_same_click_sent_twice_takes_effect_once(bot: Bot) -> None:
    channel = await bot.declare()
    seen = shown(summary(bot, channel))
    before = len(bot.slack.responses)
    for _ in range(2):
        reply = await click_shown(bot, ALICE, seen, ids.TAKE_COMMAND_BUTTON)
        assert reply.status == 200
    await bot.settle()

    [post] = [p for p in posts(bot.slack, channel) if p.startswith(":bust_in_silhouette:")]
    assert post.startswith(":bust_in_silhouette: @alice is now *Incident commander*, assigned by")
    assert (await timeline(bot, channel)).count("Incident commander") == 1
    assert len(direct_messages(bot.slack, ALICE)) == 1
    assert [privately(a) for a in answers_since(bot, before)] == [
        "<@U0ALICE> is now the Incident commander of INC-1.",
        ":warning: <@U0ALICE> is already the Incident commander of INC-1.",
    ]


async def test_take_command_stale_click_after_someone_took_it_is_refused_and_changes_nothing(
    bot: Bot,
) -> None:
    channel = await bot.declare()
    seen = shown(summary(bot, channel))
    await click(bot, BOB, channel, ids.TAKE_COMMAND_BUTTON)
    await bot.settle()
    said = posts(bot.slack, channel)
    topic = bot.slack.channels[channel].topic
    pinned = summary(bot, channel).blocks
    before = len(bot.slack.responses)

    reply = await click_shown(bot, ALICE, seen, ids.TAKE_COMMAND_BUTTON)
    await bot.settle()

    assert reply.status == 200
    [answer] = answers_since(bot, before)
    assert privately(answer) == ":warning: <@U0BOB> is already the Incident commander of INC-1."
    assert posts(bot.slack, channel) == said
    assert bot.slack.channels[channel].topic == topic
    assert topic.endswith("commander: <@U0BOB>")
    assert summary(bot, channel).blocks == pinned
    assert direct_messages(bot.slack, ALICE) == []
    assert (await timeline(bot, channel)).count("Incident commander") == 1


async def test_take_command_by_non_responder_is_refused(guarded: Bot) -> None:
    channel = await guarded.declare("declare sev1 Checkout is down", user=ALICE)
    before = len(guarded.slack.responses)
    await click(guarded, BOB, channel, ids.TAKE_COMMAND_BUTTON)
    await guarded.settle()

    [answer] = answers_since(guarded, before)
    text = privately(answer)
    assert text.startswith(":warning: Only members of the responders group (`S0ONCALL`)"), text
    assert "may assign the commander role." in text
    assert guarded.slack.channels[channel].topic.endswith("commander: unassigned")
    assert not any(p.startswith(":bust_in_silhouette:") for p in posts(guarded.slack, channel))
    assert direct_messages(guarded.slack, BOB) == []


async def test_take_command_by_responder_is_allowed(guarded: Bot) -> None:
    channel = await guarded.declare("declare sev3 Search is slow", user=BOB)
    await click(guarded, ALICE, channel, ids.TAKE_COMMAND_BUTTON)
    await guarded.settle()
    assert guarded.slack.channels[channel].topic.endswith("commander: <@U0ALICE>")


# ----- buttons that can no longer do what they say --------------------------------------------


@pytest.mark.parametrize("action_id", [a for a, _ in SUMMARY_BUTTONS])
async def test_button_on_resolved_incident_is_refused_and_opens_nothing(
    bot: Bot, action_id: str
) -> None:
    channel = await bot.declare()
    seen = shown(summary(bot, channel))
    await bot.command(ALICE, channel, "resolve All clear")
    await bot.settle()
    said = posts(bot.slack, channel)
    before = len(bot.slack.responses)

    reply = await click_shown(bot, BOB, seen, action_id)
    await bot.settle()

    assert reply.status == 200
    [answer] = answers_since(bot, before)
    assert privately(answer) == ":warning: INC-1 is resolved: this button no longer does anything."
    assert bot.slack.views == []
    assert posts(bot.slack, channel) == said


async def test_button_of_another_incident_is_refused(bot: Bot) -> None:
    first = await bot.declare()
    second = await bot.declare("declare sev2 Search slow")
    other = buttons(summary(bot, second))[0]["value"]
    assert other != buttons(summary(bot, first))[0]["value"]
    before = len(bot.slack.responses)

    reply = await bot.driver.block_action(
        user_id=BOB, channel_id=first, action_id=ids.POST_UPDATE_BUTTON, value=other
    )
    await bot.settle()

    assert reply.status == 200
    [answer] = answers_since(bot, before)
    assert privately(answer) == ":warning: That button belongs to another incident."
    assert bot.slack.views == []


async def test_form_button_when_slack_cannot_open_the_form_says_so(bot: Bot) -> None:
    channel = await bot.declare()
    bot.slack.fail("views.open", "expired_trigger_id")
    before = len(bot.slack.responses)
    await click(bot, BOB, channel, ids.POST_UPDATE_BUTTON)
    await bot.settle()
    [answer] = answers_since(bot, before)
    assert privately(answer) == (
        ":warning: I couldn't open the form (Slack said `expired_trigger_id`)."
    )
