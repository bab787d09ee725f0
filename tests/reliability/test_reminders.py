"""Update reminders from real `warroom serve` processes: two replicas on one PostgreSQL database
remind once per due time. (Restarts after missed periods: tests/handlers/test_cadence.py.)"""

from __future__ import annotations

import asyncio
import itertools
from decimal import Decimal

import pytest

from sandbox.slack_emulator import EmMessage
from tests.conftest import ALICE, GENERAL
from tests.reliability.process import FixedSlack, ServerFactory
from tests.reliability.steps import channel_of, declared_number
from tests.reliability.store import Store
from tests.support import wait_until

# One reminder a second while nobody posts an update, looked for five times a second.
FAST = {"UPDATE_CADENCE": "sev1=1s", "REMINDER_POLL": "0.2"}


def reminders(slack: FixedSlack, channel: str) -> list[EmMessage]:
    """Return the update reminders posted in the channel, oldest first."""
    return [m for m in slack.history(channel) if "since the last update" in m.text]


def gaps(messages: list[EmMessage]) -> list[float]:
    """Return the seconds between consecutive messages."""
    times = [Decimal(m.ts) for m in messages]
    return [float(b - a) for a, b in itertools.pairwise(times)]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_replicas_remind_once_per_due_time(
    make_server: ServerFactory, slack: FixedSlack, store: Store
) -> None:
    replicas = [make_server(name=f"replica-{n}", env=FAST) for n in (1, 2)]
    await asyncio.gather(*(r.start() for r in replicas))
    declared_number(await replicas[0].command(ALICE, GENERAL, "declare sev1 Both replicas look"))
    channel = await channel_of(store, 1)

    await wait_until(lambda: len(reminders(slack, channel)) >= 4, 20, "four reminders")
    await replicas[1].command(ALICE, channel, "resolve Nothing more is due")
    await wait_until(store.settled, 20, "everything delivered")

    posted = reminders(slack, channel)
    # Each due time is taken by one replica: a second reminder for it would come at once.
    assert all(gap > 0.6 for gap in gaps(posted)), gaps(posted)
    count = len(posted)
    await wait_until(store.settled, 5, "still settled")
    assert len(reminders(slack, channel)) == count  # none after resolve
