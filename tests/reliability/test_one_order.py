"""One order per incident: with two replicas taking updates to one incident at once, the
channel, `/incident timeline` and the post-mortem all show them in the same order."""

from __future__ import annotations

import asyncio
import re
import secrets

import pytest

from sandbox.slack_emulator import SlackEmulator
from tests.conftest import ALICE, BOB, CAROL, GENERAL
from tests.reliability.process import FixedSlack, Server, ServerFactory
from tests.reliability.steps import channel_of, declared_number, settle
from tests.reliability.store import Store

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
PEOPLE = [ALICE, BOB, CAROL]
UPDATES = 200
AT_ONCE = 16  # commands in flight at a time, spread over both replicas
SHOWN = 60  # `/incident timeline` shows the newest 60 entries
NOTE = re.compile(r"order note (\d{3})")
ADMIN = secrets.token_hex(16)


def notes(text: str) -> list[str]:
    """Return the update notes in a text, in the order it shows them."""
    return NOTE.findall(text)


def channel_notes(slack: SlackEmulator, channel: str) -> list[str]:
    """Return the notes of the channel's messages, oldest first."""
    return [n for m in slack.history(channel) for n in notes(slack.render_text(m.text))]


async def postmortem(server: Server, number: int) -> str:
    """Return INC-<number>'s post-mortem draft from the admin endpoint."""
    url = f"{server.url}/incidents/{number}/postmortem.md"
    headers = {"Authorization": f"Bearer {ADMIN}"}
    async with server.http.get(url, headers=headers) as response:
        assert response.status == 200, await response.text()
        return await response.text()


async def test_replicas_simultaneous_updates_show_one_order_in_channel_timeline_postmortem(
    make_server: ServerFactory, slack: FixedSlack, store: Store
) -> None:
    replicas = [make_server(name=f"replica-{n}", env={"ADMIN_TOKEN": ADMIN}) for n in (1, 2)]
    await asyncio.gather(*(r.start() for r in replicas))
    number = declared_number(await replicas[0].command(ALICE, GENERAL, "declare sev2 Orders"))
    channel = await channel_of(store, number)
    await settle(store)

    gate = asyncio.Semaphore(AT_ONCE)

    async def send(k: int) -> None:
        async with gate:
            reply = await replicas[k % 2].command(
                PEOPLE[k % 3], GENERAL, f"INC-{number} update order note {k:03d}"
            )
        assert reply.text == f"Update recorded on INC-{number}.", reply.text

    await asyncio.gather(*(send(k) for k in range(UPDATES)))
    await settle(store, 40)

    shown = channel_notes(slack, channel)
    assert sorted(shown) == [f"{k:03d}" for k in range(UPDATES)]  # each once
    timeline = (await replicas[1].command(BOB, GENERAL, f"INC-{number} timeline")).text
    tail = notes(timeline)
    assert len(tail) == SHOWN  # the newest 60 entries are all updates
    assert tail == shown[-len(tail) :]
    section = (await postmortem(replicas[0], number)).partition("\n## Timeline\n")[2]
    drafted = notes(section.partition("\n## ")[0])
    assert drafted == shown  # every position the same, all 200
    by_seq = sorted(await store.timeline((await store.incident(number)).id), key=lambda e: e.seq)
    assert [n for e in by_seq for n in notes(e.text)] == shown  # the order the bot recorded
