"""Timeline queries: typed facts stored and read back, order, and one entry per Slack message."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from bot.domain import entries as e
from bot.domain.model import Severity
from storage import timeline as q
from storage.db import Database
from storage.models import TimelineEntry
from tests.storage.records import ALICE, CAROL, T0, add_entry, count, declare, id_of

PINNED = e.Pinned(pinned_by=CAROL)
SOURCE = "1700000000.000100"


async def test_list_entries_in_the_order_recorded_whatever_their_times(db: Database) -> None:
    incident = await declare(db)
    async with db.write() as session:
        for at, text in [
            (T0 + timedelta(minutes=5), "third"),
            (T0, "first"),
            (T0 + timedelta(minutes=1), "second-a"),
            (T0 + timedelta(minutes=1), "second-b"),
        ]:
            await add_entry(session, incident, at=at, text=text)
    other = await declare(db, "Other")
    async with db.write() as session:
        await add_entry(session, other, text="other")

    async with db.read() as session:
        entries = await q.list_entries(session=session, incident_id=id_of(incident))
        last = await q.last_text(session=session, incident_id=id_of(incident))

    # One order everywhere: the order entries took their places (the channel's order), not a
    # time that two replicas' clocks could disagree on.
    assert [entry.text for entry in entries] == ["third", "first", "second-a", "second-b"]
    assert [entry.seq for entry in entries] == [1, 2, 3, 4]
    assert last == "second-b"


async def test_add_entry_fact_stored_as_json_and_read_back(db: Database) -> None:
    incident = await declare(db)
    fact = e.SeverityChanged(Severity.SEV1, previous=Severity.SEV2)
    async with db.write() as session:
        entry = await add_entry(session, incident, fact, text="now SEV1")

    async with db.read() as session:
        stored = await q.get_entry(session=session, entry_id=entry.id)
        row = await session.get(TimelineEntry, entry.id)

    assert stored is not None
    assert (stored.fact, stored.text, stored.kind) == (fact, "now SEV1", e.EntryKind.SEVERITY)
    assert row is not None
    assert json.loads(row.data) == {"severity": "sev1", "previous": "sev2"}


async def test_has_entry_from_recorded_source_ts_true_elsewhere_false(db: Database) -> None:
    incident = await declare(db)
    other = await declare(db, "Other")
    async with db.write() as session:
        await add_entry(session, incident, PINNED, text="pinned message", source_ts=SOURCE)

    async with db.read() as session:
        recorded = await q.has_entry_from(
            session=session, incident_id=id_of(incident), source_ts=SOURCE
        )
        other_ts = await q.has_entry_from(
            session=session, incident_id=id_of(incident), source_ts="1700000000.000200"
        )
        other_incident = await q.has_entry_from(
            session=session, incident_id=id_of(other), source_ts=SOURCE
        )

    assert recorded is True
    assert other_ts is False
    assert other_incident is False


async def test_add_entry_same_source_ts_twice_violates_unique_constraint(db: Database) -> None:
    incident = await declare(db)
    async with db.write() as session:
        await add_entry(session, incident, PINNED, source_ts=SOURCE)

    with pytest.raises(IntegrityError):
        async with db.write() as session:
            await add_entry(session, incident, PINNED, actor=CAROL, source_ts=SOURCE)

    assert await count(db, TimelineEntry) == 1


async def test_add_entry_same_source_ts_other_incident_or_null_allowed(db: Database) -> None:
    incident = await declare(db)
    other = await declare(db, "Other")
    async with db.write() as session:
        for target in (incident, other):
            await add_entry(session, target, PINNED, source_ts=SOURCE)
        for _ in range(2):
            await add_entry(session, incident)

    assert await count(db, TimelineEntry) == 4


async def test_to_entry_row_converted_to_domain_entry(db: Database) -> None:
    incident = await declare(db)
    async with db.write() as session:
        added = await add_entry(
            session, incident, e.Declared(Severity.SEV2), actor=ALICE, text="Checkout failing"
        )
    async with db.read() as session:
        row = await session.get(TimelineEntry, added.id)
    assert row is not None

    entry = q.to_entry(row)

    assert entry.id == row.id
    assert entry.at == T0
    assert entry.actor_id == ALICE
    assert entry.kind is e.EntryKind.DECLARED
    assert entry.text == "Checkout failing"
    assert entry.fact == e.Declared(Severity.SEV2)
