"""Queries on the outbox: enqueue in the caller's transaction, and what operators see and do.

The relay's side (claiming runs, recording outcomes) is storage/claims.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.deliveries import Delivery, DeliveryKind, Owed, Payload
from storage.deferred import write_later
from storage.driver import Statement
from storage.models import Incident, OutboxRow

PENDING, DONE, DEAD = "pending", "done", "dead"
_OUTBOX = OutboxRow.__table__  # type: ignore[attr-defined]
_ENQUEUED = "incident_id destination kind payload status attempts created_at next_attempt_at"
_INSERT = Statement(insert(_OUTBOX), _ENQUEUED.split())


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


async def enqueue_all(
    *, session: AsyncSession, incident_id: int | None, owed: Sequence[Owed], now: datetime
) -> None:
    """Add deliveries to the current transaction in one statement, in the order given."""
    if not owed:
        return
    rows = [
        {
            "incident_id": incident_id,
            "destination": each.kind.spec.destination.value,
            "kind": each.kind.value,
            "payload": json.dumps(each.payload.to_json()),
            "status": PENDING,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        for each in owed
    ]
    # executemany: one statement, compiled once, sent as one batch (or with the batch's
    # other writes, storage/deferred.py); a re-render is owed once per transaction, and the
    # members after this one rely on its row.
    await write_later(session, _INSERT, rows, [each.kind.spec.supersedable for each in owed])


def to_delivery(row: OutboxRow | Row[Any], *, attempts: int | None = None) -> Delivery:
    """Return a stored row (a model or a Core row) as a typed delivery; `attempts`: the
    count as it stands now, when the row was just leased."""
    assert row.id is not None
    tries = row.attempts if attempts is None else attempts
    return Delivery(
        id=row.id,
        incident_id=row.incident_id,
        kind=DeliveryKind(row.kind),
        payload=Payload.from_json(json.loads(row.payload)),
        attempts=tries,
        created_at=row.created_at,
        retrying=tries > 0,
    )


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


async def statuses(*, session: AsyncSession, row_ids: Sequence[int]) -> dict[int, str]:
    """Return the status of each of these rows that exists."""
    query = select(OutboxRow.id, OutboxRow.status).where(col(OutboxRow.id).in_(row_ids))
    return {row_id: status for row_id, status in (await session.exec(query)).all() if row_id}


async def count_pending(*, session: AsyncSession) -> int:
    """Return how many rows are still to deliver."""
    query = select(func.count()).select_from(OutboxRow).where(OutboxRow.status == PENDING)
    return int((await session.exec(query)).one())


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
