"""The relay's side of the outbox: lease runs of due rows in order, record what became of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.connection import connection
from storage.models import OutboxRow
from storage.outbox import DONE, PENDING


async def claim_due(
    *,
    session: AsyncSession,
    now: datetime,
    lease: timedelta,
    limit: int,
    skip_locked: bool,
    run: int = 1,
) -> Sequence[OutboxRow]:
    """Lease the oldest pending row of each (incident, destination) group that is due, and up
    to `run - 1` rows after it in the same group: a run, delivered in order by one relay.

    Only a group's head makes it eligible, so each group is delivered in order; the lease keeps
    other relays (other replicas) off a row while it is being delivered. Rows come back in
    order, each group's run together.
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
    rows = list((await session.exec(query)).all())
    if run > 1:
        rows = [
            each
            for head in rows
            for each in (head, *await _followers(session, head, now, run - 1, skip_locked))
        ]
    for row in rows:
        if row.locked_until is not None:
            # Leased before and never settled: that try died mid-delivery (a crash), and it
            # may have reached the peer. Count it, so the delivery checks before repeating.
            row.attempts += 1
        row.locked_until = now + lease
        session.add(row)
    return rows


async def _followers(
    session: AsyncSession, head: OutboxRow, now: datetime, count: int, skip_locked: bool
) -> list[OutboxRow]:
    """Return the due rows right after `head` in its group, stopping at the first that is not."""
    same_incident = (
        col(OutboxRow.incident_id).is_(None)
        if head.incident_id is None
        else col(OutboxRow.incident_id) == head.incident_id
    )
    query = (
        select(OutboxRow)
        .where(
            OutboxRow.status == PENDING,
            OutboxRow.destination == head.destination,
            same_incident,
            col(OutboxRow.id) > head.id,
        )
        .order_by(col(OutboxRow.id))
        .limit(count)
    )
    if skip_locked:  # the head is ours, so no other relay claims this group meanwhile
        query = query.with_for_update(skip_locked=True)
    followers: list[OutboxRow] = []
    for row in (await session.exec(query)).all():
        if row.next_attempt_at > now or (row.locked_until is not None and row.locked_until >= now):
            break  # a row not due yet holds back the rest of its group
        followers.append(row)
    return followers


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


@dataclass(frozen=True)
class Outcome:
    """What became of one claimed row: done, dead, or pending again (at `next_attempt_at`)."""

    row_id: int
    status: str
    attempts: int
    error: str | None = None
    next_attempt_at: datetime | None = None


async def settle_all(*, session: AsyncSession, outcomes: Sequence[Outcome], now: datetime) -> None:
    """Record many outcomes: one executemany per shape of row (done, rescheduled, other)."""
    table = OutboxRow.__table__  # type: ignore[attr-defined]
    shapes: dict[tuple[bool, bool], list[dict[str, Any]]] = {}
    for each in outcomes:
        shape = (each.status == DONE, each.next_attempt_at is not None)
        shapes.setdefault(shape, []).append(
            {
                "o_id": each.row_id,
                "o_status": each.status,
                "o_error": each.error,
                "o_attempts": each.attempts,
                "o_next": each.next_attempt_at,
            }
        )
    conn = await connection(session)
    for (done, later), params in shapes.items():
        values: dict[str, Any] = {
            "status": bindparam("o_status"),
            "locked_until": None,
            "last_error": bindparam("o_error"),
            "attempts": bindparam("o_attempts"),
        }
        if done:
            values["delivered_at"] = now
        if later:
            values["next_attempt_at"] = bindparam("o_next")
        statement = update(table).where(table.c.id == bindparam("o_id")).values(values)
        await conn.execute(statement, params)


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
