"""Incident queries on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError
from sqlmodel import select

from bot.domain.deliveries import DeliveryKind, Owed
from bot.domain.entries import Declared
from bot.domain.model import Role, Severity, Status
from storage import incidents as q
from storage.db import Database
from storage.models import Incident, OutboxRow, RoleAssignment, TimelineEntry
from storage.outbox import enqueue
from storage.timeline import list_entries
from tests.storage.records import (
    ALICE,
    BOB,
    T0,
    add_entry,
    assign,
    count,
    create,
    declare,
    id_of,
    set_fields,
)


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


async def test_create_incident_sequential_declares_numbered_from_one(db: Database) -> None:
    numbers = [(await declare(db, f"Incident {i}")).number for i in range(3)]

    assert numbers == [1, 2, 3]


async def test_create_incident_twenty_concurrent_declares_get_consecutive_numbers(
    db: Database,
) -> None:
    async def one(i: int) -> int:
        incident = await declare(db, f"Concurrent {i}", severity=Severity.SEV3, origin=None)
        return incident.number

    numbers = await asyncio.gather(*(one(i) for i in range(20)))

    assert sorted(numbers) == list(range(1, 21))
    assert await count(db, Incident) == 20


async def declare_then_fail(db: Database, *, with_entry_and_outbox: bool) -> None:
    """Declare an incident, with its entry and outbox row, then fail before the commit."""
    async with db.write() as session:
        incident = await create(session, "Never happened", severity=Severity.SEV1, origin=None)
        if with_entry_and_outbox:
            await add_entry(session, incident, Declared(Severity.SEV1), actor=ALICE)
            enqueue(
                session=session,
                incident_id=incident.id,
                owed=Owed(DeliveryKind.CHANNEL_CREATE),
                now=T0,
            )
        await session.flush()
        raise Boom


async def test_create_incident_rolled_back_transaction_leaves_nothing(db: Database) -> None:
    with pytest.raises(Boom):
        await declare_then_fail(db, with_entry_and_outbox=True)

    assert await count(db, Incident) == 0
    assert await count(db, TimelineEntry) == 0
    assert await count(db, OutboxRow) == 0


async def test_create_incident_after_rollback_reuses_the_number(db: Database) -> None:
    with pytest.raises(Boom):
        await declare_then_fail(db, with_entry_and_outbox=False)

    incident = await declare(db)

    assert incident.number == 1


async def test_create_incident_naive_datetime_refused(db: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        await declare(db, "Naive", severity=Severity.SEV1, at=datetime(2030, 3, 1, 12, 0))

    assert await count(db, Incident) == 0


async def test_get_incident_by_channel_known_channel_returns_its_incident(db: Database) -> None:
    first = await declare(db, "First")
    second = await declare(db, "Second")
    await set_fields(db, id_of(first), channel_id="C0INC1", channel_name="inc-1-first")
    await set_fields(db, id_of(second), channel_id="C0INC2", channel_name="inc-2-second")

    async with db.read() as session:
        found = await q.get_incident_by_channel(session=session, channel_id="C0INC2")
        missing = await q.get_incident_by_channel(session=session, channel_id="C0NOPE")

    assert found is not None
    assert found.title == "Second"
    assert missing is None


async def test_get_incident_by_channel_for_update_returns_the_incident(db: Database) -> None:
    incident = await declare(db)
    await set_fields(db, id_of(incident), channel_id="C0INC1")

    async with db.write() as session:
        found = await q.get_incident_by_channel(
            session=session, channel_id="C0INC1", for_update=True
        )

    assert found is not None
    assert found.number == 1


async def test_get_incident_by_number_returns_that_incident(db: Database) -> None:
    await declare(db, "First")
    await declare(db, "Second")

    async with db.read() as session:
        found = await q.get_incident_by_number(session=session, number=2)
        missing = await q.get_incident_by_number(session=session, number=9)

    assert found is not None
    assert found.title == "Second"
    assert missing is None


async def test_list_open_incidents_resolved_excluded_newest_first(db: Database) -> None:
    first = await declare(db, "First")
    second = await declare(db, "Second")
    await declare(db, "Third")
    await set_fields(db, id_of(second), status="resolved", resolved_at=T0 + timedelta(hours=1))
    await set_fields(db, id_of(first), status="monitoring")

    async with db.read() as session:
        open_ = await q.list_open_incidents(session=session, viewer="U0ANY")

    assert [i.title for i in open_] == ["Third", "First"]


async def test_timestamps_non_utc_offset_read_back_as_aware_utc(db: Database) -> None:
    plus_two = timezone(timedelta(hours=2))
    local = datetime(2030, 3, 1, 14, 30, 15, 123456, tzinfo=plus_two)
    incident = await declare(db, at=local)
    async with db.write() as session:
        await add_entry(session, incident, at=local)
        await assign(session, incident, Role.SCRIBE, BOB, by=BOB, at=local)

    async with db.read() as session:
        stored = await q.get_incident(session=session, incident_id=id_of(incident))
        [entry] = await list_entries(session=session, incident_id=id_of(incident))
        [role] = (await session.exec(select(RoleAssignment))).all()

    assert stored is not None
    expected = datetime(2030, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    for value in (stored.created_at, stored.updated_at, entry.at, role.started_at):
        assert value == expected
        assert value.utcoffset() == timedelta(0)
    assert stored.resolved_at is None
    assert role.ended_at is None


async def test_incident_state_with_roles_has_enums_roles_and_last_update(db: Database) -> None:
    incident = await declare(db, "Checkout failing")
    await set_fields(db, id_of(incident), channel_id="C0INC1", channel_name="inc-1-checkout")
    async with db.write() as session:
        await assign(session, incident, Role.COMMANDER, ALICE)
        await add_entry(
            session, incident, at=T0 + timedelta(minutes=3), text="Rolled back the deploy"
        )

    async with db.read() as session:
        stored = await q.get_incident(session=session, incident_id=id_of(incident))
        assert stored is not None
        state = await q.incident_state(session, stored)
        bare = await q.incident_state(session, stored, with_roles=False)

    assert state.id == incident.id
    assert state.ref == "INC-1"
    assert state.title == "Checkout failing"
    assert state.severity is Severity.SEV2
    assert state.status is Status.INVESTIGATING
    assert state.declared_by == ALICE
    assert state.channel_id == "C0INC1"
    assert state.channel_name == "inc-1-checkout"
    assert state.created_at == T0
    assert state.resolved_at is None
    assert state.roles == {Role.COMMANDER: ALICE}
    assert state.commander == ALICE
    assert state.last_update == "Rolled back the deploy"
    assert bare.roles is None  # not loaded
    assert bare.last_update is None


async def test_incident_state_no_entries_has_no_last_update(db: Database) -> None:
    incident = await declare(db)

    async with db.read() as session:
        state = await q.incident_state(session, incident)

    assert state.last_update is None
    assert state.roles == {}
