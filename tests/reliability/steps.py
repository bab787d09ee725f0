"""Steps and checks shared by the process-level scenarios: declare, update, wait until settled.

Each scenario ends by reading the database and the emulators: what people see in Slack and on
Statuspage, and what warroom recorded, must agree, with nothing lost and nothing doubled.
"""

from __future__ import annotations

import re

import pytest

from sandbox.slack_driver import DriverReply
from tests.conftest import BOB
from tests.reliability.checks import channel_texts
from tests.reliability.process import FixedSlack, Server
from tests.reliability.store import Store
from tests.support import wait_until

DECLARING = re.compile(r"Declaring \*INC-(\d+)\*")
SETTLE = 20.0


def declared_number(reply: DriverReply) -> int:
    """Return N from a `Declaring *INC-N*` ack."""
    assert reply.status == 200, reply.body
    found = DECLARING.search(reply.text)
    assert found, reply.text
    return int(found.group(1))


async def channel_of(store: Store, number: int, limit: float = 20.0) -> str:
    """Wait until INC-<number>'s channel is recorded and return its ID."""
    found: list[str] = []

    async def created() -> bool:
        incident = await store.incident(number)
        if incident.channel_id is not None:
            found.append(incident.channel_id)
        return bool(found)

    await wait_until(created, limit, f"INC-{number} has a channel")
    return found[0]


async def settle(store: Store, limit: float = SETTLE) -> None:
    """Wait until the outbox has nothing pending and nothing dead."""
    try:
        await wait_until(store.settled, limit, "every outbox row delivered")
    except pytest.fail.Exception:
        rows = [(r.id, r.kind, r.status, r.attempts, r.last_error) for r in await store.unsettled()]
        pytest.fail(f"outbox not settled after {limit:g}s: {rows}")


async def attempted(store: Store, kind: str, count: int = 1) -> bool:
    """Return whether at least `count` rows of `kind` have been tried at least once."""
    rows = [r for r in await store.outbox() if r.kind == kind and r.attempts > 0]
    return len(rows) >= count


def occurrences(slack: FixedSlack, channel: str, text: str) -> int:
    """Return how many messages of a channel contain text."""
    return sum(text in t for t in channel_texts(slack, channel))


async def update(server: Server, channel: str, text: str, user: str = BOB) -> None:
    """Send `update <text>` and check the ack."""
    reply = await server.command(user, channel, f"update {text}")
    assert reply.status == 200, reply.body
    assert reply.text.startswith("Update recorded on INC-"), reply.text


def assert_in_order_once(slack: FixedSlack, channel: str, texts: list[str]) -> None:
    """Check each text is in exactly one message of the channel, in the given order."""
    shown = channel_texts(slack, channel)
    assert [sum(t in s for s in shown) for t in texts] == [1] * len(texts), shown
    where = [next(i for i, s in enumerate(shown) if t in s) for t in texts]
    assert where == sorted(where), shown
