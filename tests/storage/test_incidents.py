"""Incident, timeline and role queries on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import select

from bot.domain.model import EntryKind, Role, Severity, Status
from storage import incidents as q
from storage.db import Database
from storage.models import Incident, OutboxRow, RoleAssignment, TimelineEntry
from storage.outbox import enqueue

T0 = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


class Boom(Exception):
    """Raised inside a transaction to make it roll back."""


async def declare(db: Database, title: str = "Checkout failing", *, at: datetime = T0) -> Incident:
    """Create an incident in its own transaction."""
    async with db.write() as session:
        return await q.create_incident(
            session=session,
            title=title,
            severity="sev2",
            status="investigating",
            declared_by="U0ALICE",
            origin_channel_id="C0GENERAL",
            now=at,
        )


async def set_fields(db: Database, incident_id: int, **values: object) -> None:
    """Change columns of an incident in its own transaction."""
    async with db.write() as session:
        incident = await q.get_incident(session=session, incident_id=incident_id)
        assert incident is not None
        for name, value in values.items():
            setattr(incident, name, value)
        session.add(incident)


async def count(db: Database, model: type) -> int:
    """Return how many rows a table holds."""
    async with db.read() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


async def test_create_incident_sequential_declares_numbered_from_one(db: Database) -> None:
    numbers = [(await declare(db, f"Incident {i}")).number for i in range(3)]

    assert numbers == [1, 2, 3]


async def test_create_incident_twenty_concurrent_declares_get_consecutive_numbers(
    db: Database,
) -> None:
    async def one(i: int) -> int:
        async with db.write() as session:
            incident = await q.create_incident(
                session=session,
                title=f"Concurrent {i}",
                severity="sev3",
                status="investigating",
                declared_by="U0ALICE",
                origin_channel_id=None,
                now=T0,
            )
            return incident.number

    numbers = await asyncio.gather(*(one(i) for i in range(20)))

    assert sorted(numbers) == list(range(1, 21))
    assert await count(db, Incident) == 20


async def declare_then_fail(db: Database, *, with_entry_and_outbox: bool) -> None:
    """Declare an incident, with its entry and outbox row, then fail before the commit."""
    async with db.write() as session:
        incident = await q.create_incident(
            session=session,
            title="Never happened",
            severity="sev1",
            status="investigating",
            declared_by="U0ALICE",
            origin_channel_id=None,
            now=T0,
        )
        if with_entry_and_outbox:
            await q.add_entry(
                session=session, incident=incident, at=T0, actor_id="U0ALICE", kind="declared"
            )
            enqueue(
                session=session,
                incident_id=incident.id,
                destination="slack",
                kind="channel.create",
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


async def test_get_incident_by_channel_known_channel_returns_its_incident(db: Database) -> None:
    first = await declare(db, "First")
    second = await declare(db, "Second")
    assert first.id is not None
    assert second.id is not None
    await set_fields(db, first.id, channel_id="C0INC1", channel_name="inc-1-first")
    await set_fields(db, second.id, channel_id="C0INC2", channel_name="inc-2-second")

    async with db.read() as session:
        found = await q.get_incident_by_channel(session=session, channel_id="C0INC2")
        missing = await q.get_incident_by_channel(session=session, channel_id="C0NOPE")

    assert found is not None
    assert found.title == "Second"
    assert missing is None


async def test_get_incident_by_channel_for_update_returns_the_incident(db: Database) -> None:
    incident = await declare(db)
    assert incident.id is not None
    await set_fields(db, incident.id, channel_id="C0INC1")

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
    assert second.id is not None
    await set_fields(db, second.id, status="resolved", resolved_at=T0 + timedelta(hours=1))
    assert first.id is not None
    await set_fields(db, first.id, status="monitoring")

    async with db.read() as session:
        open_ = await q.list_open_incidents(session=session)

    assert [i.title for i in open_] == ["Third", "First"]


async def test_list_entries_added_out_of_time_order_returned_by_time_then_id(
    db: Database,
) -> None:
    incident = await declare(db)
    async with db.write() as session:
        for at, text in [
            (T0 + timedelta(minutes=5), "third"),
            (T0, "first"),
            (T0 + timedelta(minutes=1), "second-a"),
            (T0 + timedelta(minutes=1), "second-b"),
        ]:
            await q.add_entry(
                session=session,
                incident=incident,
                at=at,
                actor_id="U0BOB",
                kind="update",
                text=text,
            )
    other = await declare(db, "Other")
    async with db.write() as session:
        await q.add_entry(
            session=session, incident=other, at=T0, actor_id="U0BOB", kind="update", text="other"
        )

    assert incident.id is not None
    async with db.read() as session:
        entries = await q.list_entries(session=session, incident_id=incident.id)
        last = await q.last_entry(session=session, incident_id=incident.id)

    assert [e.text for e in entries] == ["first", "second-a", "second-b", "third"]
    assert last is not None
    assert last.text == "third"


async def test_add_entry_data_stored_as_json_and_read_back(db: Database) -> None:
    incident = await declare(db)
    async with db.write() as session:
        entry = await q.add_entry(
            session=session,
            incident=incident,
            at=T0,
            actor_id="U0BOB",
            kind="severity",
            text="now SEV1",
            data={"from": "sev2", "to": "sev1", "n": [1, 2]},
        )
    assert entry.id is not None

    async with db.read() as session:
        stored = await q.get_entry(session=session, entry_id=entry.id)

    assert stored is not None
    assert q.to_entry(stored).data == {"from": "sev2", "to": "sev1", "n": [1, 2]}


async def test_has_entry_from_recorded_source_ts_true_elsewhere_false(db: Database) -> None:
    incident = await declare(db)
    other = await declare(db, "Other")
    async with db.write() as session:
        await q.add_entry(
            session=session,
            incident=incident,
            at=T0,
            actor_id="U0BOB",
            kind="pinned",
            text="pinned message",
            source_ts="1700000000.000100",
        )

    assert incident.id is not None
    assert other.id is not None
    async with db.read() as session:
        recorded = await q.has_entry_from(
            session=session, incident_id=incident.id, source_ts="1700000000.000100"
        )
        other_ts = await q.has_entry_from(
            session=session, incident_id=incident.id, source_ts="1700000000.000200"
        )
        other_incident = await q.has_entry_from(
            session=session, incident_id=other.id, source_ts="1700000000.000100"
        )

    assert recorded is True
    assert other_ts is False
    assert other_incident is False


async def test_add_entry_same_source_ts_twice_violates_unique_constraint(db: Database) -> None:
    incident = await declare(db)
    async with db.write() as session:
        await q.add_entry(
            session=session,
            incident=incident,
            at=T0,
            actor_id="U0BOB",
            kind="pinned",
            source_ts="1700000000.000100",
        )

    with pytest.raises(IntegrityError):
        async with db.write() as session:
            await q.add_entry(
                session=session,
                incident=incident,
                at=T0,
                actor_id="U0CAROL",
                kind="pinned",
                source_ts="1700000000.000100",
            )

    assert await count(db, TimelineEntry) == 1


async def test_add_entry_same_source_ts_other_incident_or_null_allowed(db: Database) -> None:
    incident = await declare(db)
    other = await declare(db, "Other")
    async with db.write() as session:
        for target in (incident, other):
            await q.add_entry(
                session=session,
                incident=target,
                at=T0,
                actor_id="U0BOB",
                kind="pinned",
                source_ts="1700000000.000100",
            )
        for _ in range(2):
            await q.add_entry(
                session=session, incident=incident, at=T0, actor_id="U0BOB", kind="update"
            )

    assert await count(db, TimelineEntry) == 4


async def test_assign_role_new_holder_replaces_previous_and_keeps_history(db: Database) -> None:
    incident = await declare(db)
    assert incident.id is not None
    t1, t2 = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
    async with db.write() as session:
        first = await q.assign_role(
            session=session,
            incident_id=incident.id,
            role="commander",
            user_id="U0ALICE",
            assigned_by="U0ALICE",
            now=t1,
        )
        await q.assign_role(
            session=session,
            incident_id=incident.id,
            role="comms",
            user_id="U0CAROL",
            assigned_by="U0ALICE",
            now=t1,
        )
    async with db.write() as session:
        second = await q.assign_role(
            session=session,
            incident_id=incident.id,
            role="commander",
            user_id="U0BOB",
            assigned_by="U0ALICE",
            now=t2,
        )

    async with db.read() as session:
        roles = await q.current_roles(session=session, incident_id=incident.id)
        history = await q.role_history(session=session, incident_id=incident.id)

    assert first is None
    assert second == "U0ALICE"
    assert roles == {"commander": "U0BOB", "comms": "U0CAROL"}
    assert [(h.role, h.user_id, h.started_at, h.ended_at) for h in history] == [
        ("commander", "U0ALICE", t1, t2),
        ("comms", "U0CAROL", t1, None),
        ("commander", "U0BOB", t2, None),
    ]


async def test_current_roles_other_incident_not_included(db: Database) -> None:
    incident = await declare(db)
    other = await declare(db, "Other")
    assert incident.id is not None
    assert other.id is not None
    async with db.write() as session:
        await q.assign_role(
            session=session,
            incident_id=other.id,
            role="commander",
            user_id="U0BOB",
            assigned_by="U0BOB",
            now=T0,
        )

    async with db.read() as session:
        roles = await q.current_roles(session=session, incident_id=incident.id)

    assert roles == {}


async def test_timestamps_non_utc_offset_read_back_as_aware_utc(db: Database) -> None:
    plus_two = timezone(timedelta(hours=2))
    local = datetime(2030, 3, 1, 14, 30, 15, 123456, tzinfo=plus_two)
    incident = await declare(db, at=local)
    assert incident.id is not None
    async with db.write() as session:
        await q.add_entry(
            session=session, incident=incident, at=local, actor_id="U0BOB", kind="update"
        )
        await q.assign_role(
            session=session,
            incident_id=incident.id,
            role="scribe",
            user_id="U0BOB",
            assigned_by="U0BOB",
            now=local,
        )

    async with db.read() as session:
        stored = await q.get_incident(session=session, incident_id=incident.id)
        [entry] = await q.list_entries(session=session, incident_id=incident.id)
        [role] = (await session.exec(select(RoleAssignment))).all()

    assert stored is not None
    expected = datetime(2030, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    for value in (stored.created_at, stored.updated_at, entry.at, role.started_at):
        assert value == expected
        assert value.utcoffset() == timedelta(0)
    assert stored.resolved_at is None
    assert role.ended_at is None


async def test_create_incident_naive_datetime_refused(db: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        async with db.write() as session:
            await q.create_incident(
                session=session,
                title="Naive",
                severity="sev1",
                status="investigating",
                declared_by="U0ALICE",
                origin_channel_id=None,
                now=datetime(2030, 3, 1, 12, 0),
            )

    assert await count(db, Incident) == 0


async def test_incident_state_with_extras_has_enums_roles_and_last_update(db: Database) -> None:
    incident = await declare(db, "Checkout failing")
    assert incident.id is not None
    await set_fields(db, incident.id, channel_id="C0INC1", channel_name="inc-1-checkout")
    async with db.write() as session:
        await q.assign_role(
            session=session,
            incident_id=incident.id,
            role="commander",
            user_id="U0ALICE",
            assigned_by="U0ALICE",
            now=T0,
        )
        await q.add_entry(
            session=session,
            incident=incident,
            at=T0 + timedelta(minutes=3),
            actor_id="U0BOB",
            kind="update",
            text="Rolled back the deploy",
        )

    async with db.read() as session:
        stored = await q.get_incident(session=session, incident_id=incident.id)
        assert stored is not None
        state = await q.incident_state(session, stored)
        bare = await q.incident_state(session, stored, with_extras=False)

    assert state.id == incident.id
    assert state.ref == "INC-1"
    assert state.title == "Checkout failing"
    assert state.severity is Severity.SEV2
    assert state.status is Status.INVESTIGATING
    assert state.declared_by == "U0ALICE"
    assert state.channel_id == "C0INC1"
    assert state.channel_name == "inc-1-checkout"
    assert state.created_at == T0
    assert state.resolved_at is None
    assert state.roles == {Role.COMMANDER: "U0ALICE"}
    assert state.commander == "U0ALICE"
    assert state.last_update == "Rolled back the deploy"
    assert bare.roles == {}
    assert bare.last_update is None


async def test_incident_state_no_entries_has_no_last_update(db: Database) -> None:
    incident = await declare(db)

    async with db.read() as session:
        state = await q.incident_state(session, incident)

    assert state.last_update is None
    assert state.roles == {}


async def test_to_entry_row_converted_to_domain_entry(db: Database) -> None:
    incident = await declare(db)
    async with db.write() as session:
        row = await q.add_entry(
            session=session,
            incident=incident,
            at=T0,
            actor_id="U0ALICE",
            kind="declared",
            text="Checkout failing",
            data={"severity": "sev2"},
        )

    entry = q.to_entry(row)

    assert entry.id == row.id
    assert entry.at == T0
    assert entry.actor_id == "U0ALICE"
    assert entry.kind is EntryKind.DECLARED
    assert entry.text == "Checkout failing"
    assert entry.data == {"severity": "sev2"}


async def test_forget_processed_drops_only_old_once_keys(db: Database) -> None:
    from datetime import timedelta

    from storage.incidents import claim_once, forget_processed

    now = datetime.now(UTC)
    async with db.write() as session:
        assert await claim_once(session=session, key="event:old", now=now - timedelta(days=2))
        assert await claim_once(session=session, key="event:new", now=now)
    async with db.write() as session:
        assert await forget_processed(session=session, before=now - timedelta(days=1)) == 1
    async with db.write() as session:
        assert await claim_once(session=session, key="event:old", now=now)  # forgotten
        assert not await claim_once(session=session, key="event:new", now=now)  # still known
