"""Queries on the outbox: enqueue in the caller's transaction, claim heads, settle."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.deliveries import Delivery, DeliveryKind, Owed, Payload
from storage.models import Incident, OutboxRow

PENDING, DONE, DEAD = "pending", "done", "dead"


def enqueue(
    *, session: AsyncSession, incident_id: int | None, owed: Owed, now: datetime
) -> OutboxRow:
    """Add a delivery to the current transaction; it commits or rolls back with it."""
    row = OutboxRow(
        incident_id=incident_id,
        destination=owed.kind.spec.destination.value,
        kind=owed.kind.value,
        payload=json.dumps(owed.payload.to_json()),
        created_at=now,
        next_attempt_at=now,
    )
    session.add(row)
    return row


def to_delivery(row: OutboxRow) -> Delivery:
    """Return a claimed row as a typed delivery."""
    assert row.id is not None
    return Delivery(
        id=row.id,
        incident_id=row.incident_id,
        kind=DeliveryKind(row.kind),
        payload=Payload.from_json(json.loads(row.payload)),
        attempts=row.attempts,
        created_at=row.created_at,
        retrying=row.attempts > 0,
    )


async def claim_due(
    *, session: AsyncSession, now: datetime, lease: timedelta, limit: int, skip_locked: bool
) -> Sequence[OutboxRow]:
    """Lease the oldest pending row of each (incident, destination) group that is due.

    Only a group's head is eligible, so each group is delivered in order; the lease keeps
    other relays (other replicas) off a row while it is being delivered.
    """
    # The oldest pending row of each group, in one pass over the pending-rows index (GROUP BY
    # puts rows without an incident in one group of their own). Computed once: as an IN
    # subquery, PostgreSQL with stale statistics (a backlog that grew since the last ANALYZE)
    # re-ran it for every pending row, and a claim took 130 ms at 900 rows, quadratically more
    # with the backlog.
    heads = (
        select(func.min(OutboxRow.id).label("head_id"))
        .where(OutboxRow.status == PENDING)
        .group_by(col(OutboxRow.destination), col(OutboxRow.incident_id))
        .cte("heads")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    query = (
        select(OutboxRow)
        .join(heads, col(OutboxRow.id) == heads.c.head_id)
        .where(
            OutboxRow.status == PENDING,
            col(OutboxRow.next_attempt_at) <= now,
            (col(OutboxRow.locked_until).is_(None)) | (col(OutboxRow.locked_until) < now),
        )
        .order_by(col(OutboxRow.id))
        .limit(limit)
    )
    if skip_locked:
        query = query.with_for_update(skip_locked=True, of=OutboxRow)
    rows = (await session.exec(query)).all()
    for row in rows:
        if row.locked_until is not None:
            # Leased before and never settled: that try died mid-delivery (a crash), and it
            # may have reached the peer. Count it, so the delivery checks before repeating.
            row.attempts += 1
        row.locked_until = now + lease
        session.add(row)
    return rows


async def is_superseded(*, session: AsyncSession, row_id: int) -> bool:
    """Return whether a later pending row of the same kind exists for the same incident."""
    row = await session.get(OutboxRow, row_id)
    if row is None:
        return False
    query = select(OutboxRow.id).where(
        OutboxRow.status == PENDING,
        OutboxRow.incident_id == row.incident_id,
        OutboxRow.destination == row.destination,
        OutboxRow.kind == row.kind,
        OutboxRow.payload == row.payload,
        col(OutboxRow.id) > row.id,
    )
    return (await session.exec(query.limit(1))).first() is not None


async def settle(
    *,
    session: AsyncSession,
    row_id: int,
    status: str,
    attempts: int,
    now: datetime,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
) -> None:
    """Record a delivery's outcome: done, dead, or pending again at `next_attempt_at`."""
    values: dict[str, Any] = {
        "status": status,
        "locked_until": None,
        "last_error": error,
        "attempts": attempts,
    }
    if status == DONE:
        values["delivered_at"] = now
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    await session.exec(update(OutboxRow).where(col(OutboxRow.id) == row_id).values(**values))


@dataclass(frozen=True)
class Undelivered:
    """A pending or dead row as an operator reads it."""

    id: int
    status: str
    incident_number: int | None
    destination: str
    kind: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


async def list_undelivered(*, session: AsyncSession) -> list[Undelivered]:
    """Return pending and dead rows, oldest first, each with its incident's number."""
    query = (
        select(OutboxRow, Incident.number)
        .join(Incident, col(OutboxRow.incident_id) == col(Incident.id), isouter=True)
        .where(col(OutboxRow.status).in_([PENDING, DEAD]))
        .order_by(col(OutboxRow.id))
    )
    return [
        Undelivered(
            id=row.id or 0,
            status=row.status,
            incident_number=number,
            destination=row.destination,
            kind=row.kind,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_error=row.last_error,
        )
        for row, number in (await session.exec(query)).all()
    ]


async def revive(*, session: AsyncSession, row_ids: Sequence[int] | None, now: datetime) -> int:
    """Put dead rows (all, or the given ones) back in the queue; return how many."""
    query = update(OutboxRow).where(col(OutboxRow.status) == DEAD)
    if row_ids is not None:
        query = query.where(col(OutboxRow.id).in_(row_ids))
    # created_at restarts too: OUTBOX_DEAD_AFTER gives a revived row a whole new window.
    result = await session.exec(
        query.values(
            status=PENDING, next_attempt_at=now, locked_until=None, attempts=0, created_at=now
        )
    )
    return int(result.rowcount)


async def count_pending(*, session: AsyncSession) -> int:
    """Return how many rows are still to deliver."""
    query = select(func.count()).select_from(OutboxRow).where(OutboxRow.status == PENDING)
    return int((await session.exec(query)).one())


async def release(*, session: AsyncSession, row_ids: Sequence[int]) -> None:
    """Give back rows whose delivery was interrupted (shutdown), counted as an attempt.

    Counting it makes the next try check whether the interrupted one got through.
    """
    if not row_ids:
        return
    await session.exec(
        update(OutboxRow)
        .where(col(OutboxRow.id).in_(row_ids), col(OutboxRow.status) == PENDING)
        .values(locked_until=None, attempts=OutboxRow.attempts + 1)
    )


async def dead_with(*, session: AsyncSession, incident_id: int, error: str) -> list[Delivery]:
    """Return the incident's dead rows that failed with `error`, oldest first."""
    query = (
        select(OutboxRow)
        .where(
            OutboxRow.status == DEAD,
            OutboxRow.incident_id == incident_id,
            OutboxRow.last_error == error,
        )
        .order_by(col(OutboxRow.id))
    )
    return [to_delivery(row) for row in (await session.exec(query)).all()]


async def revive_with(*, session: AsyncSession, incident_id: int, error: str, now: datetime) -> int:
    """Queue again the incident's dead rows that failed with `error`; return how many."""
    rows = [d.id for d in await dead_with(session=session, incident_id=incident_id, error=error)]
    return await revive(session=session, row_ids=rows, now=now) if rows else 0
