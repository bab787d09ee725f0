"""The stakeholders' channel over real HTTP: one headline per incident, edited in place, and the
announced changes in its thread."""

from __future__ import annotations

import re

import aiohttp

from sandbox.slack.render import block_lines
from sandbox.slack_emulator import EmMessage, SlackEmulator
from tests.conftest import ALICE, ANNOUNCE, BOB, GENERAL, Bot, bot_settings, start_bot
from tests.support import wait_until

DATE = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"  # a date token as a reader in UTC sees it


def headlines(slack: SlackEmulator) -> list[EmMessage]:
    """Return the top-level messages of the stakeholders' channel."""
    return [m for m in slack.history(ANNOUNCE) if m.thread_ts in (None, m.ts)]


def thread(slack: SlackEmulator, parent: EmMessage) -> list[EmMessage]:
    """Return the replies in a message's thread, oldest first."""
    return [m for m in slack.history(ANNOUNCE) if m.thread_ts == parent.ts and m.ts != parent.ts]


def read(slack: SlackEmulator, message: EmMessage) -> list[str]:
    """Return a message's lines as people read them."""
    return slack.render_text("\n".join(block_lines(message.blocks or []))).splitlines()


def the_headline(slack: SlackEmulator) -> tuple[EmMessage, list[str]]:
    """Return the one headline there is, and its lines as people read them."""
    [headline] = headlines(slack)
    return headline, read(slack, headline)


def all_landed(slack: SlackEmulator) -> bool:
    """Return whether every post to the stakeholders' channel is in it (none still slow)."""
    posts = [p for m, p in slack.calls if m == "chat.postMessage" and p.get("channel") == ANNOUNCE]
    return len(posts) == len(slack.history(ANNOUNCE))


async def test_headline_is_one_message_edited_through_the_whole_incident(bot: Bot) -> None:
    channel = await bot.declare()
    name = f"#{bot.slack.channels[channel].name}"
    first, lines = the_headline(bot.slack)
    assert lines[0] == "*INC-1* · SEV1 · :mag: investigating · Checkout API failing"
    assert re.fullmatch(
        f"Incident commander: unassigned · Open since {DATE} · Next update due: {DATE} · {name}",
        lines[1],
    ), lines[1]
    assert not first.edited

    await bot.command(ALICE, channel, "role commander me")
    await bot.settle()
    headline, lines = the_headline(bot.slack)
    assert headline.ts == first.ts
    assert headline.edited
    assert lines[1].startswith("Incident commander: @alice · Open since ")

    await bot.command(ALICE, channel, "severity sev2")
    await bot.settle()
    headline, lines = the_headline(bot.slack)
    assert headline.ts == first.ts
    assert lines[0] == "*INC-1* · SEV2 · :mag: investigating · Checkout API failing"
    assert "status page" not in lines[1]  # nothing is public yet

    await bot.command(BOB, channel, "status identified Bad config push")
    await bot.settle()
    headline, lines = the_headline(bot.slack)
    assert headline.ts == first.ts
    assert lines[0] == "*INC-1* · SEV2 · :bulb: identified · Checkout API failing"
    assert lines[1].endswith(f" · {name} · status page ({bot.settings.public_url})")

    await bot.command(ALICE, channel, "resolve All clear")
    await bot.settle()
    headline, lines = the_headline(bot.slack)
    assert headline.ts == first.ts
    assert headline.text == "INC-1 (SEV2, resolved): Checkout API failing"
    assert lines[0] == "*INC-1* · SEV2 · :white_check_mark: resolved · Checkout API failing"
    page = re.escape(bot.settings.public_url)
    assert re.fullmatch(
        rf"Incident commander: @alice · Lasted \d+[sm] · {name} · status page \({page}\)", lines[1]
    ), lines[1]


async def test_announced_changes_are_replies_in_order_and_the_resolution_is_broadcast(
    bot: Bot,
) -> None:
    channel = await bot.declare()
    for user, text in [
        (ALICE, "role commander me"),
        (BOB, "update internal: looking at the gateway"),
        (ALICE, "severity sev2"),
        (BOB, "status identified Bad config push"),
        (BOB, "status monitoring Rolled back"),
        (ALICE, "resolve All clear"),
    ]:
        await bot.command(user, channel, text)
    await bot.settle()
    [headline] = headlines(bot.slack)
    replies = thread(bot.slack, headline)
    assert [(bot.slack.render_text(m.text), m.broadcast) for m in replies] == [
        (":rotating_light: Declared by @alice: Checkout API failing", False),
        (":rotating_light: Severity is now *SEV2* (was SEV1)", False),
        (":bulb: *Identified*: Bad config push", False),
        (":eyes: *Monitoring*: Rolled back", False),
        (":white_check_mark: *INC-1 is resolved*: All clear", True),
    ]
    # In the channel itself people see the headline and the broadcast resolution, nothing else.
    shown = [m for m in bot.slack.history(ANNOUNCE) if bot.slack.state.in_channel(m)]
    assert shown == [headline, replies[-1]]


async def test_two_incidents_get_two_headlines_each_with_its_own_thread(bot: Bot) -> None:
    payments = await bot.declare("declare sev1 Payments down")
    await bot.declare("declare sev2 Search slow", user=BOB)
    await bot.command(ALICE, payments, "status identified Card processor timeouts")
    await bot.settle()
    first, second = headlines(bot.slack)
    assert read(bot.slack, first)[0] == "*INC-1* · SEV1 · :bulb: identified · Payments down"
    assert read(bot.slack, second)[0] == "*INC-2* · SEV2 · :mag: investigating · Search slow"
    assert [bot.slack.render_text(m.text) for m in thread(bot.slack, first)] == [
        ":rotating_light: Declared by @alice: Payments down",
        ":bulb: *Identified*: Card processor timeouts",
    ]
    assert [bot.slack.render_text(m.text) for m in thread(bot.slack, second)] == [
        ":rotating_light: Declared by @bob: Search slow",
    ]


async def slow_headline_bot(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> Bot:
    """Start a bot whose first headline post happens but whose answer it never gets."""
    # The retry comes after the slow post has landed (0.5 s timeout + at least 1 s of backoff),
    # so looking for it first can find it.
    settings = bot_settings(emulator, database_url, slack_timeout=0.5, outbox_retry_base=2.0)
    bot = await start_bot(settings, emulator, http)
    emulator.delay("chat.postMessage", 0.0)  # the pinned summary: answered at once
    emulator.delay("chat.postMessage", 1.0)  # the headline: posted, its answer lost
    return bot


def headline_posts(slack: SlackEmulator) -> int:
    """Return how often the bot asked Slack to post a headline."""
    return sum(
        method == "chat.postMessage" and p.get("channel") == ANNOUNCE and not p.get("thread_ts")
        for method, p in slack.calls
    )


async def test_headline_whose_answer_was_lost_is_not_posted_twice(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> None:
    bot = await slow_headline_bot(emulator, database_url, http)
    try:
        await bot.declare()
        await bot.settle()
        await wait_until(lambda: all_landed(emulator), 10, "every post landed")
        looked = [p for m, p in emulator.calls if m == "conversations.history"]
        assert [p.get("channel") for p in looked] == [ANNOUNCE]  # the retry looked first,
        assert headline_posts(emulator) == 1  # found the first post and kept it
        [headline] = headlines(emulator)
        assert len(thread(emulator, headline)) == 1  # the declaration, under the one headline
    finally:
        await bot.stop()


async def test_headline_whose_answer_was_lost_is_not_posted_twice_after_a_newer_change(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> None:
    bot = await slow_headline_bot(emulator, database_url, http)
    try:
        await bot.command(ALICE, GENERAL, "declare sev1 Checkout API failing")
        await wait_until(lambda: headline_posts(emulator) == 1, 10, "the headline is being posted")
        # A change while the headline post is still waiting for its answer owes a newer refresh.
        await bot.command(ALICE, bot.incident_channel(1), "role commander me")
        await bot.settle()
        await wait_until(lambda: all_landed(emulator), 10, "every post landed")
        assert len(headlines(emulator)) == 1, emulator.transcript(ANNOUNCE)
    finally:
        await bot.stop()


async def test_without_a_stakeholders_channel_nothing_is_posted_there(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> None:
    settings = bot_settings(emulator, database_url, announce_channel=None)
    bot = await start_bot(settings, emulator, http)
    try:
        channel = await bot.declare()
        for text in ("severity sev2", "status identified Bad config push", "resolve All clear"):
            await bot.command(ALICE, channel, text)
        await bot.settle()
        assert emulator.history(ANNOUNCE) == []
        assert not [m for m, p in emulator.calls if p.get("channel") == ANNOUNCE]
        assert "INC-1 resolved" in emulator.transcript(channel)  # the incident itself went on
    finally:
        await bot.stop()
