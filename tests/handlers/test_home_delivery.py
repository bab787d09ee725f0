"""How Homes are published: through a Slack outage, and by one of several replicas."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from sandbox.slack_emulator import SlackEmulator
from tests.conftest import ALICE, BOB, Bot, bot_settings, start_bot
from tests.support import wait_until

REFRESH = 0.3


@pytest.fixture
async def replicas(
    emulator: SlackEmulator, database_url: str, http: aiohttp.ClientSession
) -> AsyncIterator[list[Bot]]:
    """Two bots on one database and one Slack, as two replicas of one deployment."""
    settings = bot_settings(emulator, database_url, home_refresh=REFRESH)
    first = await start_bot(settings, emulator, http)
    second = await start_bot(settings, emulator, http)
    # Both serve in this loop: each one's settle() ignores the other's endless loops too.
    first.loops = second.loops = first.loops | second.loops
    yield [first, second]
    await second.stop()
    await first.stop()


def published(slack: SlackEmulator, user: str) -> list[str]:
    """Return each view published to the person's Home, in order, as JSON."""
    return [
        json.dumps(args["view"], sort_keys=True)
        for method, args in slack.calls
        if method == "views.publish" and args.get("user_id") == user
    ]


def home(slack: SlackEmulator, user: str) -> str:
    return slack.home_text(user).replace("*", "")


async def test_home_published_once_slack_answers_again(replicas: list[Bot]) -> None:
    bot = replicas[0]
    slack = bot.slack
    slack.http_error("views.publish", 503, times=3)
    await bot.driver.open_home(BOB)
    await wait_until(lambda: "No open incidents" in home(slack, BOB), what="published at last")
    assert len(published(slack, BOB)) >= 4  # three refused, then published


async def test_replicas_publish_each_refresh_once(replicas: list[Bot]) -> None:
    first, second = replicas
    slack = first.slack
    await second.driver.open_home(ALICE)
    channel = await first.declare("declare sev2 Queue backlog")
    for n, bot in enumerate([first, second] * 5):
        await bot.command(ALICE, channel, f"update backlog at {n}k")
    await first.command(ALICE, channel, "status identified Stuck consumer")
    await wait_until(lambda: "Identified" in home(slack, ALICE), what="the last change shown")
    await first.settle()
    await second.settle()
    views = published(slack, ALICE)
    # Each refresh is published by one replica: never the same Home twice in a row.
    assert all(a != b for a, b in itertools.pairwise(views)), len(views)
