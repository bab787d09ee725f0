"""A :pushpin: reaction adds the message to the timeline, once, however often Slack delivers."""

from __future__ import annotations

from tests.conftest import ALICE, BOB, CAROL, GENERAL, Bot


def pin_event(channel: str, ts: str, user: str = CAROL) -> dict[str, object]:
    return {
        "type": "reaction_added",
        "user": user,
        "reaction": "pushpin",
        "item": {"type": "message", "channel": channel, "ts": ts},
        "item_user": BOB,
        "event_ts": ts,
    }


async def test_pushpin_adds_message_to_timeline_with_author_and_time(bot: Bot) -> None:
    channel = await bot.declare()
    note = bot.slack.add_message(channel, BOB, "p99 jumped to 9s after deploy 4512")
    reply = await bot.driver.event(pin_event(channel, note.ts), event_id="Ev001")
    assert reply.status == 200
    await bot.settle()
    timeline = await bot.command(ALICE, channel, "timeline")
    assert "<@U0BOB> (pinned): p99 jumped to 9s after deploy 4512" in timeline.text
    posted = bot.slack.render_text(bot.slack.history(channel)[-1].text)
    assert "Added to the timeline by @carol: @bob's message" in posted


async def test_pushpin_redelivered_event_is_recorded_once(bot: Bot) -> None:
    channel = await bot.declare()
    note = bot.slack.add_message(channel, BOB, "root cause: expired cert")
    replies = [
        await bot.driver.event(pin_event(channel, note.ts), event_id="Ev002", retry_num=n)
        for n in (None, 1, 2)
    ]
    # a second person pinning the same message adds nothing either
    replies.append(
        await bot.driver.event(pin_event(channel, note.ts, user=ALICE), event_id="Ev003")
    )
    assert [r.status for r in replies] == [200, 200, 200, 200]
    await bot.settle()  # every event's work is done and delivered: nothing more comes
    timeline = await bot.command(ALICE, channel, "timeline")
    assert timeline.text.count("root cause: expired cert") == 1
    added = [m for m in bot.slack.history(channel) if "Added to the timeline" in m.text]
    assert len(added) == 1


async def test_pushpin_outside_incident_channel_or_other_emoji_is_ignored(bot: Bot) -> None:
    channel = await bot.declare()
    elsewhere = bot.slack.add_message(GENERAL, BOB, "lunch?")
    here = bot.slack.add_message(channel, BOB, "just a thumbs up")
    await bot.driver.event(pin_event(GENERAL, elsewhere.ts), event_id="Ev004")
    thumbs = pin_event(channel, here.ts) | {"reaction": "+1"}
    await bot.driver.event(thumbs, event_id="Ev005")
    await bot.settle()
    timeline = await bot.command(ALICE, channel, "timeline")
    assert "(1 entry)" in timeline.text
    assert not [m for m in bot.slack.history(GENERAL) if m.user == bot.slack.bot_user_id]
