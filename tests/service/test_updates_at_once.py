"""Updates that arrive together share a transaction: each is recorded once, in one order,
with its deliveries; one that fails is refused alone. On PostgreSQL their writes are made
together at the end of the batch (storage/deferred.py): the same must hold there."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from typing import Any

from sqlalchemy import exc
from sqlmodel import select

from bot.domain import entries as e
from bot.domain.deliveries import DeliveryKind as K
from bot.domain.replies import Changed
from bot.service.changes import post_update
from bot.service.context import Context
from bot.service.unit import change
from storage.db import Database
from storage.models import Incident, OutboxRow, TimelineEntry
from storage.timeline import list_entries
from tests.service.conftest import CHANNEL
from tests.storage.records import ALICE


class Refused(Exception):
    """A change refused after it had recorded its entry."""


async def stored(db: Database) -> tuple[Incident, list[TimelineEntry], list[OutboxRow]]:
    """Return the incident, its entries by place and its owed deliveries, as committed."""
    async with db.read() as session:
        incident = (await session.exec(select(Incident))).one()
        entries = (await session.exec(select(TimelineEntry).order_by(TimelineEntry.seq))).all()
        owed = (await session.exec(select(OutboxRow).order_by(OutboxRow.id))).all()
    return incident, list(entries), list(owed)


def posted_entries(owed: list[OutboxRow]) -> list[int]:
    """Return the entry IDs whose posts in the channel are owed, in the order owed."""
    return [json.loads(row.payload)["entry_id"] for row in owed if row.kind == K.ENTRY_POST.value]


def update(ctx: Context, text: str) -> Any:
    return post_update(ctx, channel_id=CHANNEL, user_id=ALICE, text=text)


async def test_updates_at_once_each_recorded_once_in_order_with_its_post(
    db: Database, ctx: Context
) -> None:
    texts = [f"note {n:02d}" for n in range(24)]

    results = await asyncio.gather(*(update(ctx, text) for text in texts))

    incident, entries, owed = await stored(db)
    updates = [entry for entry in entries if entry.kind == e.Updated().kind.value]
    assert [entry.text for entry in updates] == texts  # in the order they took their turns
    assert [entry.seq for entry in entries] == list(range(1, len(entries) + 1))
    assert incident.entry_count == entries[-1].seq
    assert incident.last_update_at is not None
    # Each caller was told of the entry stored for it: its ID is the row's.
    assert [r.entry.id for r in results] == [entry.id for entry in updates]
    assert [r.entry.seq for r in results] == [entry.seq for entry in updates]
    assert posted_entries(owed)[-len(texts) :] == [entry.id for entry in updates]
    assert Counter(row.kind for row in owed)[K.SUMMARY_REFRESH.value] >= 1


async def test_update_refused_mid_batch_leaves_the_others_and_the_incident_right(
    db: Database, ctx: Context
) -> None:
    async def refused() -> None:
        async with change(ctx, CHANNEL, plain=True) as work:
            await work.record(ALICE, e.Updated(), "never said")
            work.updated()
            await asyncio.sleep(0)
            raise Refused

    results = await asyncio.gather(
        update(ctx, "first"), refused(), update(ctx, "third"), return_exceptions=True
    )

    assert [type(r).__name__ for r in results] == ["Changed", "Refused", "Changed"]
    incident, entries, owed = await stored(db)
    assert [entry.text for entry in entries[-2:]] == ["first", "third"]
    assert "never said" not in [entry.text for entry in entries]
    assert [entry.seq for entry in entries] == list(range(1, len(entries) + 1))
    assert incident.entry_count == entries[-1].seq
    assert posted_entries(owed)[-2:] == [entries[-2].id, entries[-1].id]


async def clashing(ctx: Context) -> Changed:
    """Post an update whose entry's write fails: it takes the place of the one before it."""
    async with change(ctx, CHANNEL, plain=True) as work:
        work.incident.entry_count -= 1
        entry = await work.record(ALICE, e.Updated(), "clash")
        work.post(entry, K.SUMMARY_REFRESH)
        state = await work.state()
    return Changed(state, entry)


async def test_update_whose_write_fails_is_refused_alone(db: Database, ctx: Context) -> None:
    results = await asyncio.gather(
        update(ctx, "first"), clashing(ctx), update(ctx, "third"), return_exceptions=True
    )

    assert [type(r).__name__ for r in results] == ["Changed", "IntegrityError", "Changed"]
    assert isinstance(results[1], exc.IntegrityError)
    incident, entries, owed = await stored(db)
    assert [entry.text for entry in entries[-2:]] == ["first", "third"]
    assert incident.entry_count == entries[-1].seq
    assert posted_entries(owed)[-2:] == [entries[-2].id, entries[-1].id]


async def test_update_whose_row_its_column_cannot_take_is_refused_alone(
    db: Database, ctx: Context
) -> None:
    async def unwritable() -> None:
        async with change(ctx, CHANNEL, plain=True) as work:
            work.post(await work.record(ALICE, e.Updated(), "bad", at="soon"))  # type: ignore[arg-type]

    results = await asyncio.gather(
        update(ctx, "first"), unwritable(), update(ctx, "third"), return_exceptions=True
    )

    assert [isinstance(r, Changed) for r in results] == [True, False, True]
    assert isinstance(results[1], Exception)
    _, entries, owed = await stored(db)
    assert [entry.text for entry in entries] == ["first", "third"]
    assert posted_entries(owed) == [entries[0].id, entries[1].id]


async def test_update_whose_write_fails_still_owes_the_summary_the_others_relied_on(
    db: Database, ctx: Context
) -> None:
    await update(ctx, "zeroth")  # the place the clashing one takes
    _, _, before = await stored(db)

    # The first owes the summary's refresh for the transaction; the others rely on it.
    results = await asyncio.gather(
        clashing(ctx), update(ctx, "second"), update(ctx, "third"), return_exceptions=True
    )

    assert [type(r).__name__ for r in results] == ["IntegrityError", "Changed", "Changed"]
    _, entries, owed = await stored(db)
    assert [entry.text for entry in entries[-2:]] == ["second", "third"]
    refreshes = [row for row in owed[len(before) :] if row.kind == K.SUMMARY_REFRESH.value]
    assert len(refreshes) == 1  # the summary shows "second" and "third"


async def test_change_after_updates_in_its_batch_reads_what_they_wrote(
    db: Database, ctx: Context
) -> None:
    async def read_timeline() -> list[str]:
        async with change(ctx, CHANNEL) as work:  # not plain: it reads through the session
            found = await list_entries(session=work.session, incident_id=work.incident_id)
        return [entry.text for entry in found]

    *_, seen = await asyncio.gather(update(ctx, "one"), update(ctx, "two"), read_timeline())

    assert seen[-2:] == ["one", "two"]


async def test_updates_around_a_change_that_writes_at_once_all_recorded(
    db: Database, ctx: Context
) -> None:
    async def at_once() -> None:
        async with change(ctx, CHANNEL) as work:  # not plain: its entry is written at once
            await work.record(ALICE, e.Updated(), "written at once")

    await asyncio.gather(
        update(ctx, "a"), update(ctx, "b"), at_once(), update(ctx, "c"), update(ctx, "d")
    )

    _, entries, owed = await stored(db)
    assert [entry.text for entry in entries[-5:]] == ["a", "b", "written at once", "c", "d"]
    assert len({entry.id for entry in entries}) == len(entries)
    assert posted_entries(owed)[-4:] == [entries[i].id for i in (-5, -4, -2, -1)]
