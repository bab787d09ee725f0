"""The relay's side of the outbox: lease runs of due rows in order, record what became of them."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, Row, Select, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.deliveries import Delivery
from storage.connection import connection
from storage.models import OutboxRow, UTCDateTime
from storage.outbox import DONE, PENDING, to_delivery

_TABLE = OutboxRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Leased:
    """A claimed row: the queue it waits in (its destination column) and its delivery."""

    queue: str
    delivery: Delivery

    @property
    def id(self) -> int:
        """Return the row's ID."""
        return self.delivery.id


async def claim_due(
    *,
    session: AsyncSession,
    now: datetime,
    lease: timedelta,
    limit: int,
    skip_locked: bool,
    run: int = 1,
) -> list[Leased]:
    """Lease the oldest pending row of each (incident, destination) group that is due, and up
    to `run - 1` rows after it in the same group: a run, delivered in order by one relay.

    Only a group's head makes it eligible, so each group is delivered in order; the lease keeps
    other relays (other replicas) off a row while it is being delivered. Rows come back in
    order, each group's run together.
    """
    conn = await connection(session)
    heads = (await conn.execute(_due_heads(skip_locked), {"now": now, "limit": limit})).all()
    rows = list(heads)
    if run > 1:
        rows = [
            each
            for head in heads
            for each in (head, *await _followers(conn, head, now, run - 1, skip_locked))
        ]
    leased, leases = [], []
    for row in rows:
        # Leased before and never settled: that try died mid-delivery (a crash), and it may
        # have reached the peer. Count it, so the delivery checks before repeating.
        attempts = row.attempts + (row.locked_until is not None)
        leased.append(Leased(row.destination, to_delivery(row, attempts=attempts)))
        leases.append({"l_id": row.id, "l_attempts": attempts, "l_until": now + lease})
    if leases:
        await conn.execute(_LEASE, leases)
    return leased


_LEASE = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("l_id"))
    .values(attempts=bindparam("l_attempts"), locked_until=bindparam("l_until"))
)


@functools.cache
def _due_heads(skip_locked: bool) -> Select[Any]:
    """Return the query of due group heads, built once: `now` and `limit` are its values."""
    # The oldest pending row of each group, in one pass over the pending-rows index (GROUP BY
    # puts rows without an incident in one group of their own). Computed once: as an IN
    # subquery, PostgreSQL with stale statistics (a backlog that grew since the last ANALYZE)
    # re-ran it for every pending row, and a claim took 130 ms at 900 rows, quadratically more
    # with the backlog.
    table, now = _TABLE, bindparam("now", type_=UTCDateTime())
    heads = (
        select(func.min(table.c.id).label("head_id"))
        .where(table.c.status == PENDING)
        .group_by(table.c.destination, table.c.incident_id)
        .cte("heads")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    query = (
        select(table)
        .join(heads, table.c.id == heads.c.head_id)
        .where(
            table.c.status == PENDING,
            table.c.next_attempt_at <= now,
            table.c.locked_until.is_(None) | (table.c.locked_until < now),
        )
        .order_by(table.c.id)
        .limit(bindparam("limit", type_=Integer))
    )
    return query.with_for_update(skip_locked=True, of=table) if skip_locked else query


async def _followers(
    conn: AsyncConnection, head: Row[Any], now: datetime, count: int, skip_locked: bool
) -> list[Row[Any]]:
    """Return the due rows right after `head` in its group, stopping at the first that is not."""
    query = _next_in_group(head.incident_id is None, skip_locked)
    found = await conn.execute(
        query,
        {"queue": head.destination, "incident": head.incident_id, "after": head.id, "n": count},
    )
    followers: list[Row[Any]] = []
    for row in found.all():
        if row.next_attempt_at > now or (row.locked_until is not None and row.locked_until >= now):
            break  # a row not due yet holds back the rest of its group
        followers.append(row)
    return followers


@functools.cache
def _next_in_group(no_incident: bool, skip_locked: bool) -> Select[Any]:
    """Return the query of the pending rows after a head in its group, built once."""
    table = _TABLE
    incident = (
        table.c.incident_id.is_(None)
        if no_incident
        else table.c.incident_id == bindparam("incident")
    )
    query = (
        select(table)
        .where(
            table.c.status == PENDING,
            table.c.destination == bindparam("queue"),
            incident,
            table.c.id > bindparam("after"),
        )
        .order_by(table.c.id)
        .limit(bindparam("n", type_=Integer))
    )
    # The head is ours, so no other relay claims this group meanwhile.
    return query.with_for_update(skip_locked=True) if skip_locked else query


async def is_superseded(*, session: AsyncSession, row_id: int) -> bool:
    """Return whether a later pending row of the same kind exists for the same incident."""
    found = await (await connection(session)).execute(_later_twin(), {"row_id": row_id})
    return found.first() is not None


@functools.cache
def _later_twin() -> Select[Any]:
    """Return the query of a later pending row like this one, built once."""
    mine, later = _TABLE.alias("mine"), _TABLE.alias("later")
    same = [later.c[name] == mine.c[name] for name in ("destination", "kind", "payload")]
    return (
        select(later.c.id)
        .join(mine, mine.c.id == bindparam("row_id"))
        .where(
            later.c.status == PENDING,
            later.c.incident_id.is_not_distinct_from(mine.c.incident_id),
            later.c.id > mine.c.id,
            *same,
        )
        .limit(1)
    )


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
