"""Two `warroom serve` replicas on one PostgreSQL database: numbers stay distinct, every
outbox row is delivered by one of them, once."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from tests.conftest import ALICE, BOB, CAROL, GENERAL
from tests.reliability.checks import (
    assert_delivered_once,
    channel_texts,
    headlines,
    incident_channels,
)
from tests.reliability.process import FixedSlack, FixedStatuspage, ServerFactory
from tests.reliability.steps import DECLARING, channel_of, declared_number
from tests.reliability.store import Store
from tests.support import wait_until

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
PEOPLE = [ALICE, BOB, CAROL]


async def test_replicas_concurrent_declares_and_updates_delivered_once(
    make_server: ServerFactory, slack: FixedSlack, statuspage: FixedStatuspage, store: Store
) -> None:
    replicas = [make_server(name="replica-1"), make_server(name="replica-2")]
    await asyncio.gather(*(r.start() for r in replicas))  # both migrate at once

    replies = await asyncio.gather(
        *(
            replicas[n % 2].command(PEOPLE[n % 3], GENERAL, f"declare sev3 Replica trouble {n}")
            for n in range(10)
        )
    )
    numbers = []
    for reply in replies:
        assert reply.status == 200, reply.body
        found = DECLARING.search(reply.text)
        assert found, reply.text
        numbers.append(int(found.group(1)))
    assert sorted(numbers) == list(range(1, 11))

    await wait_until(store.settled, 40, "every declare delivered")
    incidents = await store.incidents()
    assert [i.number for i in incidents] == list(range(1, 11))
    announced = [slack.render_text(m.text) for m in headlines(slack)]
    for incident in incidents:
        ref = f"INC-{incident.number}"
        assert incident_channels(slack, incident.number) == [incident.channel_id], ref
        assert incident.channel_id is not None
        assert len(slack.pins[incident.channel_id]) == 1, ref
        assert sum(text.startswith(f"{ref} (") for text in announced) == 1, ref
        assert incident.declared_by in slack.channels[incident.channel_id].members

    channels = {i.number: i.channel_id for i in incidents}
    updates = [(k, (k % 10) + 1, f"replica note {k:02d}") for k in range(20)]
    acks = await asyncio.gather(
        *(
            replicas[k % 2].command(PEOPLE[k % 3], channels[number] or "", f"update {text}")
            for k, number, text in updates
        )
    )
    for (_, number, _), ack in zip(updates, acks, strict=True):
        assert ack.status == 200, ack.body
        assert ack.text == f"Update recorded on INC-{number}.", ack.text
    await wait_until(store.settled, 40, "every update delivered")

    for _, number, text in updates:
        shown = channel_texts(slack, channels[number] or "")
        assert sum(text in t for t in shown) == 1, (text, shown)
    assert all(r.running for r in replicas)
    await assert_delivered_once(slack, statuspage, store)


async def test_replica_killed_mid_delivery_other_replica_delivers_its_rows_once(
    make_server: ServerFactory, slack: FixedSlack, statuspage: FixedStatuspage, store: Store
) -> None:
    first, second = make_server(name="replica-1"), make_server(name="replica-2")
    await asyncio.gather(first.start(), second.start())
    reply = await first.command(ALICE, GENERAL, "declare sev2 Queue backs up")
    assert DECLARING.search(reply.text), reply.text

    await wait_until(store.settled, 30, "the declare delivered")
    channel = (await store.incident(1)).channel_id
    assert channel is not None
    slack.delay("chat.postMessage", 0.5, times=10_000)
    notes = [f"handover note {n:02d}" for n in range(8)]
    for n, note in enumerate(notes):
        ack = await (first, second)[n % 2].command(BOB, channel, f"update {note}")
        assert ack.text == "Update recorded on INC-1.", ack.text
    await wait_until(
        lambda: any(m == "chat.postMessage" and "handover" in str(p) for m, p in slack.calls), 10
    )
    first.kill9()  # whatever it held stays leased until OUTBOX_LEASE runs out
    slack.clear_faults()
    await wait_until(store.settled, 40, "the surviving replica delivered everything")

    shown = channel_texts(slack, channel)
    assert [sum(note in t for t in shown) for note in notes] == [1] * len(notes), shown
    assert second.running
    await assert_delivered_once(slack, statuspage, store)


async def test_replicas_public_page_follows_the_other_replicas_change(
    make_server: ServerFactory, http: aiohttp.ClientSession, store: Store
) -> None:
    public = {"PUBLIC_BASE_URL": "https://status.example.com"}  # one site, behind one name
    replicas = [make_server(name=f"replica-{n}", env=public) for n in (1, 2)]
    await asyncio.gather(*(r.start() for r in replicas))
    number = declared_number(await replicas[0].command(ALICE, GENERAL, "declare sev2 Slow API"))
    channel = await channel_of(store, number)
    url = replicas[1].url + "/api/v2/summary.json"

    async def summary() -> tuple[str, list[str]]:
        async with http.get(url) as response:
            incidents = (await response.json())["incidents"]
            return response.headers["ETag"], [
                u["body"] for i in incidents for u in i["incident_updates"]
            ]

    etag, bodies = await summary()
    assert bodies == []
    reply = await replicas[0].command(
        ALICE, channel, "status identified A bad deploy; rolling back"
    )
    assert reply.status == 200, reply.body

    async def shown() -> bool:
        return (await summary())[1] == ["A bad deploy; rolling back"]

    # Replica 2 reads no database per request: it learns of the change from its periodic check.
    await wait_until(shown, 10, "replica 2 shows replica 1's public update")
    async with http.get(url, headers={"If-None-Match": etag}) as response:
        assert response.status == 200
    # The same data gives the same bytes on both: a CDN's revalidation holds across replicas.
    etags = []
    for replica in replicas:
        async with http.get(replica.url + "/api/v2/summary.json") as response:
            etags.append(response.headers["ETag"])
    assert etags[0] == etags[1]
    async with http.get(url, headers={"If-None-Match": etags[0]}) as response:
        assert response.status == 304
