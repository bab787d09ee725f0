"""Messages people keep on the timeline: pins from threads, pins through Slack's bad moments,
the message shortcut from anywhere, and edits and deletions followed."""

from __future__ import annotations

import re

from bot.slack.ids import ADD_TO_TIMELINE_SHORTCUT, PICK_INCIDENT_ACTION, PICK_INCIDENT_BLOCK
from tests.conftest import ALICE, BOB, CAROL, GENERAL, Bot
from tests.support import wait_until


async def timeline(bot: Bot, channel: str) -> str:
    return bot.slack.render_text((await bot.command(ALICE, channel, "timeline")).text)


def kept_posts(bot: Bot, channel: str) -> list[str]:
    """The bot's "Added to the timeline" posts in the channel, as people read them."""
    return [
        bot.slack.render_text(m.text)
        for m in bot.slack.history(channel)
        if m.user == bot.slack.bot_user_id and "Added to the timeline" in m.text
    ]


async def test_pin_on_thread_reply_is_kept_with_author_text_and_link(bot: Bot) -> None:
    channel = await bot.declare()
    parent = bot.slack.add_message(channel, BOB, "looking at the checkout pods")
    reply = bot.slack.add_message(channel, BOB, "found it: pool exhausted on db-3", parent.ts)
    await bot.driver.reaction_added(CAROL, channel, reply.ts, event_id="EvThread1")
    await bot.settle()
    assert "@bob (pinned): found it: pool exhausted on db-3" in await timeline(bot, channel)
    [post] = kept_posts(bot, channel)
    assert "Added to the timeline by @carol: @bob's message" in post
    link = f"/archives/{channel}/p{reply.ts.replace('.', '')}"
    assert link in bot.slack.history(channel)[-1].text


async def test_pin_survives_429_and_503_and_is_kept_once(bot: Bot) -> None:
    channel = await bot.declare()
    note = bot.slack.add_message(channel, BOB, "rolling back 4512")
    bot.slack.rate_limit("reactions.get", retry_after=1, times=1)
    bot.slack.http_error("reactions.get", status=503, times=2)
    await bot.driver.reaction_added(CAROL, channel, note.ts, event_id="EvHiccup")
    await bot.driver.reaction_added(CAROL, channel, note.ts, event_id="EvHiccup", retry_num=1)
    await wait_until(lambda: len(kept_posts(bot, channel)) == 1, limit=15)
    await bot.settle()
    assert (await timeline(bot, channel)).count("rolling back 4512") == 1
    assert len(kept_posts(bot, channel)) == 1


async def test_pin_of_deleted_message_tells_the_pinner_privately(bot: Bot) -> None:
    channel = await bot.declare()
    bot.slack.channels[channel].members.add(CAROL)  # she is there: she reacted
    note = bot.slack.add_message(channel, BOB, "oops wrong channel")
    bot.slack.delete_message(channel, note.ts)
    await bot.driver.reaction_added(CAROL, channel, note.ts, event_id="EvGone")
    await bot.settle()
    told = [e for e in bot.slack.ephemerals if e["user"] == CAROL]
    assert len(told) == 1
    text = bot.slack.render_text(told[0]["text"])
    assert "could not add the message you pinned" in text
    assert "it was deleted before I could read it" in text
    assert "(1 entry)" in await timeline(bot, channel)  # only the declaration


async def test_shortcut_in_incident_channel_keeps_message_once_with_a_pin(bot: Bot) -> None:
    channel = await bot.declare()
    note = bot.slack.add_message(channel, BOB, "error rate back under 0.1%")
    before = len(bot.slack.responses)
    reply = await bot.driver.message_shortcut(
        ALICE, channel, note.ts, callback_id=ADD_TO_TIMELINE_SHORTCUT
    )
    assert reply.status == 200
    await wait_until(lambda: len(bot.slack.responses) > before)
    assert "Adding the message to INC-" in bot.slack.responses[before]["text"]
    await bot.driver.reaction_added(CAROL, channel, note.ts, event_id="EvBoth")
    await bot.settle()
    assert (await timeline(bot, channel)).count("error rate back under 0.1%") == 1
    [post] = kept_posts(bot, channel)
    assert "by @alice" in post


async def test_shortcut_elsewhere_asks_which_incident_then_keeps_it_there(bot: Bot) -> None:
    first = await bot.declare("declare sev2 Checkout down")
    second = await bot.declare("declare sev2 Search slow")
    note = bot.slack.add_message(GENERAL, BOB, "customers report search timeouts", None)
    await bot.driver.message_shortcut(CAROL, GENERAL, note.ts, callback_id=ADD_TO_TIMELINE_SHORTCUT)
    await wait_until(lambda: any(v["user_id"] == CAROL for v in bot.slack.views))
    view = bot.slack.opened_view(user_id=CAROL)
    options = view["blocks"][0]["element"]["options"]
    labels = [o["text"]["text"] for o in options]
    assert any("Search slow" in label for label in labels), labels
    number = next(o["value"] for o in options if "Search slow" in o["text"]["text"])
    reply = await bot.driver.view_submission(
        user_id=CAROL, view=view, fill={(PICK_INCIDENT_BLOCK, PICK_INCIDENT_ACTION): number}
    )
    assert reply.json["response_action"] == "update"
    await bot.settle()
    assert "customers report search timeouts" in await timeline(bot, second)
    assert "customers report search timeouts" not in await timeline(bot, first)
    [post] = kept_posts(bot, second)
    assert "by @carol: @bob's message" in post


async def test_edit_is_followed_and_newest_edit_wins_out_of_order(bot: Bot) -> None:
    channel = await bot.declare()
    note = bot.slack.add_message(channel, BOB, "cause: unknown")
    await bot.driver.reaction_added(CAROL, channel, note.ts, event_id="EvPinE")
    await bot.settle()
    original = bot.slack.message_json(channel, note.ts)
    bot.slack.edit_message(channel, note.ts, "cause: expired TLS cert")
    first_edit = bot.slack.message_json(channel, note.ts)
    bot.slack.edit_message(channel, note.ts, "cause: expired TLS cert on the LB")
    second_edit = bot.slack.message_json(channel, note.ts)
    # Slack delivers the newer edit first, then the older one, then the newer again.
    await bot.driver.message_changed(channel, first_edit, second_edit, event_id="EvE2")
    await bot.driver.message_changed(channel, original, first_edit, event_id="EvE1")
    await bot.driver.message_changed(channel, first_edit, second_edit, event_id="EvE2")
    await bot.settle()
    shown = await timeline(bot, channel)
    assert "(pinned, edited): cause: expired TLS cert on the LB" in shown
    [post] = kept_posts(bot, channel)
    assert "(edited)" in post
    assert "cause: expired TLS cert on the LB" in post


async def test_delete_is_followed_and_an_edit_after_it_changes_nothing(bot: Bot) -> None:
    channel = await bot.declare()
    note = bot.slack.add_message(channel, BOB, "db password is hunter2")
    await bot.driver.reaction_added(CAROL, channel, note.ts, event_id="EvPinD")
    await bot.settle()
    snapshot = bot.slack.message_json(channel, note.ts)
    bot.slack.edit_message(channel, note.ts, "db password rotated")
    edited = bot.slack.message_json(channel, note.ts)
    bot.slack.delete_message(channel, note.ts)
    await bot.driver.message_deleted(channel, edited, event_id="EvDel")
    await bot.driver.message_changed(channel, snapshot, edited, event_id="EvLateEdit")
    await bot.settle()
    shown = await timeline(bot, channel)
    assert "(pinned message, deleted by its author)" in shown
    assert "hunter2" not in shown
    assert "rotated" not in shown
    [post] = kept_posts(bot, channel)
    assert "deleted by its author" in post
    assert "hunter2" not in post
    resolved = await bot.command(ALICE, channel, "resolve fixed")
    assert resolved.status == 200
    await bot.settle()
    drafts = [f for f in bot.slack.files.values() if "postmortem" in str(f.get("name", ""))]
    assert drafts, "the post-mortem draft was posted"
    assert all("hunter2" not in str(f.get("content", "")) for f in drafts)


async def test_plain_messages_and_edits_of_messages_not_kept_change_nothing(bot: Bot) -> None:
    channel = await bot.declare()
    note = bot.slack.add_message(channel, BOB, "chatter")
    before = bot.slack.message_json(channel, note.ts)
    await bot.driver.message_posted(channel, before, event_id="EvPlain")
    bot.slack.edit_message(channel, note.ts, "more chatter")
    await bot.driver.message_changed(
        channel, before, bot.slack.message_json(channel, note.ts), event_id="EvEditNotKept"
    )
    await bot.settle()
    assert "(1 entry)" in await timeline(bot, channel)
    assert kept_posts(bot, channel) == []


async def test_postmortem_names_who_kept_a_message_and_counts_them_in(bot: Bot) -> None:
    channel = await bot.declare()
    note = bot.slack.add_message(channel, BOB, "cache hit rate fell to 3% (cc <@U0ALICE>)")
    await bot.driver.reaction_added(CAROL, channel, note.ts, event_id="EvNames")
    await bot.settle()
    await bot.command(ALICE, channel, "resolve fixed")
    await bot.settle()
    [draft] = [f["content"].decode() for f in bot.slack.files.values() if f["name"].endswith(".md")]
    assert "Bob Okafor wrote ([message](" in draft
    assert "kept by Carol Díaz): cache hit rate fell to 3% (cc Alice Ng)" in draft
    participants = next(line for line in draft.splitlines() if line.startswith("Participants"))
    assert "Carol Díaz" in participants
    # No user ID left unnamed (a channel ID such as CDU019583BJ may hold "U0" by chance).
    assert not re.search(r"\bU0[A-Z0-9]+", draft)


async def test_pin_on_warroom_own_post_adds_nothing(bot: Bot) -> None:
    channel = await bot.declare()
    await bot.command(ALICE, channel, "update db failover started")
    await bot.settle()
    own = next(m for m in bot.slack.history(channel) if "db failover started" in m.text)
    await bot.driver.reaction_added(CAROL, channel, own.ts, event_id="EvOwn")
    await bot.settle()
    assert (await timeline(bot, channel)).count("db failover started") == 1
    assert kept_posts(bot, channel) == []
