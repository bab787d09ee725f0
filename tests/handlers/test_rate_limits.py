"""Slack's rate limits under a burst: the bot paces itself so that few calls are refused, and
after a 429 it waits out Retry-After on that method (or that channel's posts) everywhere."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web

from sandbox.slack import limits
from sandbox.slack.args import Json
from sandbox.slack.workspace import Workspace
from sandbox.slack_emulator import SlackEmulator
from tests.conftest import ALICE, ANNOUNCE, BOB, CAROL, GENERAL, USERS, Bot, bot_settings, start_bot
from tests.support import manifest_scopes, wait_until

# Slack's clock runs 10 times faster (a minute lasts 6 s, one post per 100 ms per channel):
# slow enough that this burst meets the limits (the 25 headlines and 25 thread replies all go
# to one announcements channel, the 60 updates to one incident channel), fast enough to run in
# about 11 s. At RATE_SCALE (0.02) most of the burst would fit under the limits anyway.
SCALE = 0.1
DECLARES, UPDATES = 25, 60
# Measured on this machine (5 runs): 0 refusals in about 11 s. The same burst with the bot's
# post pacing turned off (SLACK_POST_INTERVAL=0.001) drew 125 to 135 refusals, almost all on
# the announcements channel. A refusal costs its channel about a second (the relay's poll), so
# a handful would already show; the bound leaves room for a slow machine's scheduling.
MOST_REFUSALS = 5
# A call on a refused key may reach Slack this soon after the 429: it left before the bot
# could read the 429 (the emulator's and the bot's clocks are the same time.monotonic()).
TOLERANCE = 0.005
FAST_UPDATES = 12
PEOPLE = [ALICE, BOB, CAROL]
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # Slack-side


@dataclass(frozen=True)
class Refusal:
    """A 429 the emulator answered: on which key, when, and the Retry-After it asked for."""

    key: tuple[str, str | None]
    at: float
    retry_after: float


@pytest.fixture
def refusals(monkeypatch: pytest.MonkeyPatch) -> list[Refusal]:
    """Record every 429 with its Retry-After (the emulator's own list keeps no Retry-After)."""
    found: list[Refusal] = []
    limited = limits.limited

    def recording(ws: Workspace, method: str, params: Json) -> web.StreamResponse | None:
        refused = limited(ws, method, params)
        if refused is not None:
            _, channel, at = ws.rate_limited[-1]
            found.append(Refusal((method, channel), at, float(refused.headers["Retry-After"])))
        return refused

    monkeypatch.setattr(limits, "limited", recording)
    return found


@asynccontextmanager
async def paced_bot(
    database_url: str, http: aiohttp.ClientSession, post_interval: float
) -> AsyncIterator[Bot]:
    """Run a bot against an emulator whose limits bite at SCALE, posting every post_interval."""
    slack = SlackEmulator(
        users=USERS,
        channels=[(GENERAL, "general"), (ANNOUNCE, "incidents")],
        rate_scale=SCALE,
        scopes=manifest_scopes(),
    )
    await slack.start()
    settings = bot_settings(slack, database_url, slack_post_interval=post_interval)
    running = await start_bot(settings, slack, http)
    try:
        yield running
    finally:
        await running.stop()
        await slack.stop()


def key_of(slack: SlackEmulator, method: str, params: Json) -> tuple[str, str | None]:
    """Return the rate-limit key of a call: its method, and for a post the channel it goes to."""
    if method != limits.POSTING:
        return method, None
    ref = str(params.get("channel") or "")
    if ref in slack.channels:
        return method, ref
    named = slack.channel_by_name(ref)
    dm = next((c for c in slack.channels.values() if c.is_im and ref in c.members), None)
    found = named or dm  # a post to a user's ID goes to the bot's DM with them
    return method, found.id if found else ref


def notes_in(slack: SlackEmulator, channel: str) -> list[str]:
    """Return the update notes shown in the channel, oldest first."""
    found = (
        re.search(r"burst note (\d+)", slack.render_text(m.text)) for m in slack.history(channel)
    )
    return [f"burst note {f.group(1)}" for f in found if f]


async def test_burst_of_declares_and_updates_draws_few_429s_and_honors_retry_after(
    database_url: str, http: aiohttp.ClientSession, refusals: list[Refusal]
) -> None:
    async with paced_bot(database_url, http, post_interval=SCALE) as bot:
        started = time.monotonic()
        replies = await asyncio.gather(
            *(
                bot.command(PEOPLE[n % 3], GENERAL, f"declare sev2 Burst title {n}")
                for n in range(DECLARES)
            )
        )
        assert all(r.text.startswith("Declaring *INC-") for r in replies), replies
        await wait_until(lambda: _summarized(bot, 1), 10, "INC-1's channel and its summary")
        notes = await _send_updates(bot, UPDATES)
        channel = bot.incident_channel(1)
        await wait_until(lambda: _channels(bot) == DECLARES, 20, "every incident's channel")
        await wait_until(lambda: len(notes_in(bot.slack, channel)) >= UPDATES, 20, "updates")
        await bot.settle()
        took = time.monotonic() - started  # shown if the bound fails

        assert notes_in(bot.slack, channel) == notes  # each once, in the order they were sent
        headlines = [m for m in bot.slack.history(ANNOUNCE) if m.thread_ts is None]
        assert len(headlines) == DECLARES  # every incident announced once, and in its thread
        assert len(bot.slack.history(ANNOUNCE)) == 2 * DECLARES  # its declaration, once
        assert len(refusals) == len(bot.slack.rate_limited)  # every 429 seen by the fixture
        assert len(refusals) < MOST_REFUSALS, (len(refusals), took, refusals)
        assert _ignored(bot.slack, refusals) == []


async def test_posts_faster_than_slack_allows_are_refused_then_wait_out_retry_after(
    database_url: str, http: aiohttp.ClientSession, refusals: list[Refusal]
) -> None:
    # The bot believes Slack takes a post every 50 ms; Slack takes one every 100 ms. Its own
    # pace cannot keep it clear of 429s then: each one must pause that channel's posts.
    async with paced_bot(database_url, http, post_interval=SCALE / 2) as bot:
        channel = await bot.declare()
        notes = await _send_updates(bot, FAST_UPDATES)
        await wait_until(lambda: len(notes_in(bot.slack, channel)) >= FAST_UPDATES, 20, "updates")
        await bot.settle()

        assert notes_in(bot.slack, channel) == notes
        refused_here = [r for r in refusals if r.key == (limits.POSTING, channel)]
        assert refused_here, refusals  # Slack did refuse: the check below is not empty
        assert _ignored(bot.slack, refusals) == []


async def _send_updates(bot: Bot, count: int) -> list[str]:
    """Send `count` updates to INC-1 from #general, one after another; return their notes."""
    notes = [f"burst note {n:02d}" for n in range(count)]
    for note in notes:
        ack = await bot.command(BOB, GENERAL, f"INC-1 update {note}")
        assert ack.text == "Update recorded on INC-1.", ack.text
    return notes


def _channels(bot: Bot) -> int:
    return sum(
        1
        for c in bot.slack.channels.values()
        if c.creator == bot.slack.bot_user_id and c.name.startswith("inc-")
    )


def _summarized(bot: Bot, number: int) -> bool:
    """Return whether INC-<number>'s channel shows its summary: the bot knows the channel."""
    named = [c.id for c in bot.slack.channels.values() if c.name.startswith(f"inc-{number}-")]
    return any(bot.slack.history(channel) for channel in named)


def _ignored(slack: SlackEmulator, refusals: list[Refusal]) -> list[tuple[str, float]]:
    """Return each call made on a refused key before that refusal's Retry-After elapsed."""
    calls = [
        (key_of(slack, m, p), t) for (m, p), t in zip(slack.calls, slack.call_times, strict=True)
    ]
    early = []
    for refusal in refusals:
        opens = refusal.at + TOLERANCE
        ends = refusal.at + refusal.retry_after - TOLERANCE
        early += [
            (f"{key}: {t - refusal.at:.3f}s after a 429 asking {refusal.retry_after}s", t)
            for key, t in calls
            if key == refusal.key and opens < t < ends
        ]
    return early
