"""Slack failing under the bot: acks stay fast, deliveries retry, nothing is lost or doubled."""

from __future__ import annotations

import asyncio
import sqlite3

import aiohttp

from sandbox.slack_emulator import EmChannel, SlackEmulator
from tests.conftest import ALICE, ANNOUNCE, BOB, GENERAL, Bot, bot_settings, start_bot
from tests.support import wait_until

ACK_BUDGET = 0.5  # well above an uncontended command (~10 ms), well below the default 2 s


def texts(slack: SlackEmulator, channel: str, thread: str | None = None) -> list[str]:
    """Return the channel's messages as people read them; with `thread`, its replies only."""
    return [
        slack.render_text(m.text)
        for m in slack.history(channel)
        if thread is None or (m.thread_ts == thread and m.ts != thread)
    ]


async def test_ack_comes_before_slack_answers(bot: Bot) -> None:
    bot.slack.delay("conversations.create", 3.0)
    reply = await bot.command(ALICE, GENERAL, "declare sev1 Slack is slow today")
    assert reply.text.startswith("Declaring *INC-1*")
    assert bot.slack.channel_by_name("inc-1-slack-is-slow-today") is None  # still being created
    await bot.settle()
    assert bot.slack.channel_by_name("inc-1-slack-is-slow-today") is not None


async def test_rate_limited_post_is_retried_after_retry_after(bot: Bot) -> None:
    channel = await bot.declare()
    bot.slack.rate_limit("chat.postMessage", retry_after=1, times=1)
    await bot.command(BOB, channel, "update gateway restarted")
    await bot.settle()
    attempts = [
        params
        for method, params in bot.slack.calls
        if method == "chat.postMessage" and "gateway restarted" in str(params.get("text"))
    ]
    assert len(attempts) == 2  # one refused with 429, one delivered
    assert sum("gateway restarted" in t for t in texts(bot.slack, channel)) == 1


async def test_slack_outage_delays_posts_but_keeps_their_order(bot: Bot) -> None:
    channel = await bot.declare()
    bot.slack.http_error("chat.postMessage", status=503, times=4)
    for n in range(1, 6):
        reply = await bot.command(BOB, channel, f"update step {n}")
        assert reply.text == "Update recorded on INC-1."
    await bot.settle()
    steps = [t for t in texts(bot.slack, channel) if "step" in t]
    assert [s.split("step ")[1][0] for s in steps] == ["1", "2", "3", "4", "5"]


async def test_name_taken_gets_a_suffix(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> None:
    emulator.channels["C0TAKEN"] = EmChannel(
        id="C0TAKEN", name="inc-1-checkout-api-failing", creator=BOB, created=0, members={BOB}
    )
    bot = await start_bot(bot_settings(emulator, database_url), emulator, http)
    try:
        channel = await bot.declare()
        assert emulator.channels[channel].name == "inc-1-checkout-api-failing-2"
        assert ALICE in emulator.channels[channel].members
    finally:
        await bot.stop()


async def test_bot_removed_from_channel_joins_and_posts(bot: Bot) -> None:
    channel = await bot.declare()
    bot.slack.channels[channel].members.discard(bot.slack.bot_user_id)
    await bot.command(BOB, channel, "update still here?")
    await bot.settle()
    assert any("still here?" in t for t in texts(bot.slack, channel))
    assert next((m,) for m, p in bot.slack.calls if m == "conversations.join") == (
        "conversations.join",
    )


async def test_permanent_failure_is_reported_in_channel(bot: Bot) -> None:
    channel = await bot.declare()
    bot.slack.fail("conversations.setTopic", "too_long")
    await bot.command(ALICE, channel, "severity sev2")
    await bot.settle()
    warning = [t for t in texts(bot.slack, channel) if "I could not set the channel topic" in t]
    assert len(warning) == 1
    assert "too_long" in warning[0]


async def test_declare_during_outage_is_delivered_after_restart(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> None:
    settings = bot_settings(emulator, database_url)
    first = await start_bot(settings, emulator, http)
    emulator.http_error("conversations.create", status=503, times=10_000)
    reply = await first.command(ALICE, GENERAL, "declare sev1 Payments down")
    assert reply.text.startswith("Declaring *INC-1*")
    await first.command(ALICE, GENERAL, "declare sev2 Search slow")

    def both_refused() -> bool:
        return sum(method == "conversations.create" for method, _ in emulator.calls) >= 2

    await wait_until(both_refused, 10, "Slack refused to create both channels")
    await first.stop()  # the bot goes away with the deliveries still owed
    emulator.clear_faults()

    second = await start_bot(settings, emulator, http)
    try:
        await second.settle()
        payments = emulator.channels[second.incident_channel(1)]
        search = emulator.channels[second.incident_channel(2)]
        assert payments.name == "inc-1-payments-down"
        assert search.name == "inc-2-search-slow"
        assert ALICE in payments.members
        assert payments.topic.startswith("SEV1 | investigating")
        assert len([c for c in emulator.channels.values() if c.name.startswith("inc-")]) == 2
        reply = await second.command(BOB, payments.id, "update back after restart")
        assert reply.text == "Update recorded on INC-1."
        await second.settle()
        assert any("back after restart" in t for t in texts(emulator, payments.id))
        # One headline per incident, each with its declaration in its own thread.
        headlines = [m for m in emulator.history(ANNOUNCE) if m.thread_ts is None]
        assert sorted(m.text for m in headlines) == [
            "INC-1 (SEV1, investigating): Payments down",
            "INC-2 (SEV2, investigating): Search slow",
        ]
        threads = {m.text[:5]: texts(emulator, ANNOUNCE, thread=m.ts) for m in headlines}
        assert threads == {
            "INC-1": [":rotating_light: Declared by @alice: Payments down"],
            "INC-2": [":rotating_light: Declared by @alice: Search slow"],
        }
        assert len(emulator.history(ANNOUNCE)) == 4
    finally:
        await second.stop()


async def test_simultaneous_declares_get_distinct_numbers_and_channels(bot: Bot) -> None:
    replies = await asyncio.gather(
        *(
            bot.command(user, GENERAL, f"declare sev2 Outage number {n}")
            for n, user in enumerate([ALICE, BOB] * 6)
        )
    )
    numbers = sorted(int(r.text.split("*INC-")[1].split("*")[0]) for r in replies)
    assert numbers == list(range(1, 13))
    await bot.settle()
    channels = [c for c in bot.slack.channels.values() if c.name.startswith("inc-")]
    assert len(channels) == 12
    assert len({c.name for c in channels}) == 12


async def test_summary_pin_refused_once_is_pinned_on_retry(bot: Bot) -> None:
    bot.slack.rate_limit("pins.add", retry_after=1)
    channel = await bot.declare()
    await bot.settle()
    [summary] = [
        m for m in bot.slack.history(channel) if m.blocks and "Take command" in str(m.blocks)
    ]
    assert bot.slack.pins.get(channel) == [summary.ts]


async def test_slow_database_gets_an_ack_and_the_answer_follows(
    emulator: SlackEmulator, tmp_path: object, http: aiohttp.ClientSession
) -> None:
    path = f"{tmp_path}/slow.db"
    # The command may work this long before the ack says "Still working on it".
    settings = bot_settings(emulator, f"sqlite:///{path}", ack_budget=ACK_BUDGET)
    bot = await start_bot(settings, emulator, http)
    try:
        channel = await bot.declare()
        blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        # Another writer takes the database; in a thread, as the bot may be finishing a write.
        await asyncio.to_thread(blocker.execute, "BEGIN IMMEDIATE")
        try:
            reply = await bot.command(BOB, channel, "update written late")
        finally:
            await asyncio.to_thread(blocker.execute, "COMMIT")
            blocker.close()
        assert "Still working on it" in reply.text

        def answered() -> bool:
            return any(r.get("text") == "Update recorded on INC-1." for r in emulator.responses)

        await wait_until(answered, 10, "the late answer followed")
        await bot.settle()
        assert any("written late" in t for t in texts(emulator, channel))
    finally:
        await bot.stop()
