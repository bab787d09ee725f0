"""Outbox queries: heads per (incident, destination), leases, settling, reviving."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.domain.deliveries import DeliveryKind, Owed, Payload
from bot.domain.model import Severity
from storage import claims
from storage import outbox as q
from storage.db import Database
from storage.incidents import create_incident
from storage.models import OutboxRow
from tests.support import BACKENDS

T0 = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=120)
K = DeliveryKind

only_postgresql = pytest.mark.parametrize(
    "database_url", [b for b in BACKENDS if b == "postgresql"], indirect=True
)


async def incidents(db: Database, n: int) -> list[int]:
    """Create `n` incidents and return their IDs."""
    ids = []
    async with db.write() as session:
        for i in range(n):
            incident = await create_incident(
                session=session,
                title=f"Incident {i}",
                severity=Severity.SEV2,
                declared_by="U0ALICE",
                origin_channel_id=None,
                now=T0,
            )
            assert incident.id is not None
            ids.append(incident.id)
    return ids


async def add(
    db: Database,
    incident_id: int | None,
    kind: DeliveryKind = K.ENTRY_POST,
    *,
    payload: Payload | None = None,
    now: datetime = T0,
) -> int:
    """Enqueue one row in its own transaction and return its ID."""
    async with db.write() as session:
        row = q.enqueue(
            session=session,
            incident_id=incident_id,
            owed=Owed(kind, payload or Payload()),
            now=now,
        )
        await session.flush()
        assert row.id is not None
        return row.id


async def claim(
    db: Database,
    now: datetime = T0,
    *,
    limit: int = 50,
    lease: timedelta = LEASE,
    run: int = 1,
) -> list[int]:
    """Claim due rows (runs of up to `run` per group) in one transaction; return their IDs."""
    async with db.write() as session:
        rows = await claims.claim_due(
            session=session,
            now=now,
            lease=lease,
            limit=limit,
            skip_locked=not db.is_sqlite,
            run=run,
        )
        return [row.id for row in rows if row.id is not None]


async def settle(
    db: Database,
    row_id: int,
    status: str,
    *,
    attempts: int = 1,
    now: datetime = T0,
    error: str | None = None,
    next_attempt_at: datetime | None = None,
) -> None:
    """Settle one row in its own transaction."""
    outcome = claims.Outcome(row_id, status, attempts, error, next_attempt_at)
    async with db.write() as session:
        await claims.settle_all(session=session, outcomes=[outcome], now=now)


async def row(db: Database, row_id: int) -> OutboxRow:
    """Return one row as stored."""
    async with db.read() as session:
        found = await session.get(OutboxRow, row_id)
    assert found is not None
    return found


async def rows(db: Database, statuses: Sequence[str]) -> list[int]:
    """Return the IDs of rows in these statuses, in ID order."""
    query = (
        select(OutboxRow.id).where(col(OutboxRow.status).in_(statuses)).order_by(col(OutboxRow.id))
    )
    async with db.read() as session:
        return [row_id for row_id in (await session.exec(query)).all() if row_id]


async def superseded(db: Database, row_id: int) -> bool:
    """Return whether the row is superseded, read in its own transaction."""
    async with db.read() as session:
        return await claims.is_superseded(session=session, row_id=row_id)


async def enqueue_then_fail(db: Database, incident_id: int) -> None:
    """Enqueue a row, then fail before the commit."""
    async with db.write() as session:
        q.enqueue(session=session, incident_id=incident_id, owed=Owed(K.ENTRY_POST), now=T0)
        await session.flush()
        raise RuntimeError("roll back")


async def test_enqueue_rolled_back_transaction_leaves_no_row(db: Database) -> None:
    [incident] = await incidents(db, 1)

    with pytest.raises(RuntimeError, match="roll back"):
        await enqueue_then_fail(db, incident)

    assert await rows(db, [q.PENDING, q.DONE, q.DEAD]) == []


async def test_enqueue_new_row_pending_due_now_with_json_payload(db: Database) -> None:
    [incident] = await incidents(db, 1)

    payload = Payload(user="U0ALICE", response_url="https://hooks.slack.test/1")
    row_id = await add(db, incident, K.USER_NOTIFY, payload=payload)

    stored = await row(db, row_id)
    assert stored.status == q.PENDING
    assert stored.attempts == 0
    assert stored.destination == "slack"
    assert stored.kind == "user.notify"
    assert stored.payload == '{"user": "U0ALICE", "response_url": "https://hooks.slack.test/1"}'
    assert q.to_delivery(stored).payload == payload
    assert stored.created_at == T0
    assert stored.next_attempt_at == T0
    assert stored.locked_until is None
    assert stored.delivered_at is None


async def test_claim_due_several_groups_returns_heads_in_id_order(db: Database) -> None:
    a, b = await incidents(db, 2)
    a1 = await add(db, a)
    b1 = await add(db, b)
    await add(db, a)
    a_status = await add(db, a, K.INCIDENT_SYNC)
    await add(db, b)
    loose = await add(db, None, K.ANNOUNCE)
    await add(db, None, K.ANNOUNCE)

    claimed = await claim(db)

    assert claimed == [a1, b1, a_status, loose]


async def test_claim_due_run_returns_each_groups_rows_in_order_together(db: Database) -> None:
    a, b = await incidents(db, 2)
    a1, b1, a2, _a3, b2 = [await add(db, g) for g in (a, b, a, a, b)]

    claimed = await claim(db, run=2)

    assert claimed == [a1, a2, b1, b2]  # a3 waits for the next run of its group


async def test_claim_due_run_stops_at_a_row_not_yet_due(db: Database) -> None:
    [a] = await incidents(db, 1)
    a1 = await add(db, a)
    await add(db, a, now=T0 + timedelta(seconds=5))
    await add(db, a)

    assert await claim(db, run=10) == [a1]  # the rest of the group keeps its order


async def test_claim_due_run_of_a_group_already_leased_not_claimed_again(db: Database) -> None:
    [a] = await incidents(db, 1)
    first = [await add(db, a) for _ in range(3)]

    assert await claim(db, run=10) == first
    assert await claim(db, run=10) == []


async def test_settle_all_records_each_outcome_in_one_transaction(db: Database) -> None:
    [a] = await incidents(db, 1)
    done, dead, later = [await add(db, a) for _ in range(3)]
    await claim(db, run=3)
    retry_at = T0 + timedelta(minutes=1)

    async with db.write() as session:
        await claims.settle_all(
            session=session,
            outcomes=[
                claims.Outcome(done, q.DONE, 1),
                claims.Outcome(dead, q.DEAD, 2, "channel_not_found"),
                claims.Outcome(later, q.PENDING, 0, None, retry_at),
            ],
            now=T0,
        )

    stored = [await row(db, row_id) for row_id in (done, dead, later)]
    assert [(r.status, r.attempts, r.last_error) for r in stored] == [
        (q.DONE, 1, None),
        (q.DEAD, 2, "channel_not_found"),
        (q.PENDING, 0, None),
    ]
    assert stored[0].delivered_at == T0
    assert stored[1].delivered_at is None
    assert stored[2].next_attempt_at == retry_at
    assert all(r.locked_until is None for r in stored)


async def test_claim_due_limit_returns_oldest_heads_only(db: Database) -> None:
    a, b, c = await incidents(db, 3)
    a1, b1 = await add(db, a), await add(db, b)
    await add(db, c)

    claimed = await claim(db, limit=2)

    assert claimed == [a1, b1]


async def test_claim_due_claimed_rows_get_a_lease(db: Database) -> None:
    [a] = await incidents(db, 1)
    a1 = await add(db, a)

    await claim(db, T0, lease=timedelta(seconds=90))

    stored = await row(db, a1)
    assert stored.locked_until == T0 + timedelta(seconds=90)
    assert stored.status == q.PENDING


async def test_claim_due_head_not_yet_due_blocks_only_its_group(db: Database) -> None:
    a, b = await incidents(db, 2)
    a1 = await add(db, a)
    await add(db, a)
    b1 = await add(db, b)
    await settle(db, a1, q.PENDING, next_attempt_at=T0 + timedelta(minutes=5), error="503")

    claimed = await claim(db, T0 + timedelta(minutes=1))

    assert claimed == [b1]


async def test_claim_due_head_due_again_claimed_before_later_rows(db: Database) -> None:
    [a] = await incidents(db, 1)
    a1 = await add(db, a)
    await add(db, a)
    await settle(db, a1, q.PENDING, next_attempt_at=T0 + timedelta(minutes=5), error="503")

    claimed = await claim(db, T0 + timedelta(minutes=5))

    assert claimed == [a1]


async def test_claim_due_row_created_in_the_future_not_claimed(db: Database) -> None:
    [a] = await incidents(db, 1)
    await add(db, a, now=T0 + timedelta(seconds=1))

    assert await claim(db, T0) == []


async def test_claim_due_leased_row_not_claimed_until_lease_expires(db: Database) -> None:
    a, b = await incidents(db, 2)
    a1 = await add(db, a)
    await add(db, a)
    assert await claim(db, T0) == [a1]
    b1 = await add(db, b)

    during = await claim(db, T0 + LEASE - timedelta(seconds=1))
    after = await claim(db, T0 + LEASE + timedelta(seconds=1))

    assert during == [b1]
    assert after == [a1]


async def test_settle_done_records_delivery_and_unblocks_group(db: Database) -> None:
    [a] = await incidents(db, 1)
    a1 = await add(db, a)
    a2 = await add(db, a)
    await claim(db)
    delivered = T0 + timedelta(seconds=3)

    await settle(db, a1, q.DONE, attempts=1, now=delivered)

    stored = await row(db, a1)
    assert stored.status == q.DONE
    assert stored.attempts == 1
    assert stored.delivered_at == delivered
    assert stored.locked_until is None
    assert stored.last_error is None
    assert await claim(db, delivered) == [a2]


async def test_settle_pending_with_next_attempt_releases_lease_and_reschedules(
    db: Database,
) -> None:
    [a] = await incidents(db, 1)
    a1 = await add(db, a)
    await claim(db)
    retry_at = T0 + timedelta(seconds=30)

    await settle(db, a1, q.PENDING, attempts=2, error="HTTP 503", next_attempt_at=retry_at)

    stored = await row(db, a1)
    assert stored.status == q.PENDING
    assert stored.attempts == 2
    assert stored.last_error == "HTTP 503"
    assert stored.next_attempt_at == retry_at
    assert stored.locked_until is None
    assert stored.delivered_at is None
    assert await claim(db, retry_at - timedelta(seconds=1)) == []
    assert await claim(db, retry_at) == [a1]


async def test_settle_dead_keeps_error_and_is_never_claimed(db: Database) -> None:
    [a] = await incidents(db, 1)
    a1 = await add(db, a)
    await claim(db)

    await settle(db, a1, q.DEAD, attempts=3, error="channel_not_found")

    stored = await row(db, a1)
    assert stored.status == q.DEAD
    assert stored.attempts == 3
    assert stored.last_error == "channel_not_found"
    assert stored.locked_until is None
    assert await claim(db, T0 + timedelta(days=1)) == []


async def test_claim_due_dead_head_no_longer_blocks_group(db: Database) -> None:
    [a] = await incidents(db, 1)
    a1 = await add(db, a)
    a2 = await add(db, a)
    await claim(db)

    await settle(db, a1, q.DEAD, error="gone")

    assert await claim(db) == [a2]


async def test_revive_all_dead_rows_pending_again_and_claimable(db: Database) -> None:
    a, b = await incidents(db, 2)
    a1, b1 = await add(db, a), await add(db, b)
    done = await add(db, None, K.ANNOUNCE)
    await claim(db)
    await settle(db, a1, q.DEAD, attempts=4, error="x")
    await settle(db, b1, q.DEAD, attempts=2, error="y")
    await settle(db, done, q.DONE)
    later = T0 + timedelta(hours=1)

    async with db.write() as session:
        revived = await q.revive(session=session, row_ids=None, now=later)

    assert revived == 2
    assert await rows(db, [q.DEAD]) == []
    assert await rows(db, [q.DONE]) == [done]
    stored = await row(db, a1)
    assert stored.status == q.PENDING
    assert stored.attempts == 0
    assert stored.next_attempt_at == later
    assert stored.locked_until is None
    assert await claim(db, later) == [a1, b1]


async def test_revive_given_ids_only_those_revived(db: Database) -> None:
    a, b = await incidents(db, 2)
    a1, b1 = await add(db, a), await add(db, b)
    await settle(db, a1, q.DEAD, error="x")
    await settle(db, b1, q.DEAD, error="y")

    async with db.write() as session:
        revived = await q.revive(session=session, row_ids=[b1], now=T0)

    assert revived == 1
    assert await rows(db, [q.DEAD]) == [a1]
    assert await rows(db, [q.PENDING]) == [b1]


async def test_revive_pending_row_id_not_counted(db: Database) -> None:
    [a] = await incidents(db, 1)
    a1 = await add(db, a)

    async with db.write() as session:
        revived = await q.revive(session=session, row_ids=[a1], now=T0)

    assert revived == 0


async def test_is_superseded_identical_later_pending_row_true(db: Database) -> None:
    a, b = await incidents(db, 2)
    first = await add(db, a, K.SUMMARY_REFRESH)
    last = await add(db, a, K.SUMMARY_REFRESH)
    await add(db, b, K.SUMMARY_REFRESH)

    earlier = await superseded(db, first)
    newest = await superseded(db, last)

    assert earlier is True
    assert newest is False


@pytest.mark.parametrize(
    ("kind", "payload", "status"),
    [
        (K.CHANNEL_TOPIC, None, q.PENDING),
        (K.INCIDENT_SYNC, None, q.PENDING),  # the destination comes from the kind
        (K.SUMMARY_REFRESH, Payload(text="v2"), q.PENDING),
        (K.SUMMARY_REFRESH, None, q.DONE),
        (K.SUMMARY_REFRESH, None, q.DEAD),
    ],
    ids=["other-kind", "other-destination", "other-payload", "later-done", "later-dead"],
)
async def test_is_superseded_no_identical_later_pending_row_false(
    db: Database, kind: DeliveryKind, payload: Payload | None, status: str
) -> None:
    [a] = await incidents(db, 1)
    first = await add(db, a, K.SUMMARY_REFRESH)
    later = await add(db, a, kind, payload=payload)
    if status != q.PENDING:
        await settle(db, later, status)

    found = await superseded(db, first)

    assert found is False


async def test_is_superseded_rows_without_incident_compared_among_themselves(
    db: Database,
) -> None:
    [a] = await incidents(db, 1)
    first = await add(db, None, K.SUMMARY_REFRESH)
    await add(db, a, K.SUMMARY_REFRESH)
    lone = await add(db, None, K.CHANNEL_TOPIC)
    await add(db, None, K.CHANNEL_TOPIC)

    first_later = await superseded(db, first)
    lone_later = await superseded(db, lone)

    assert first_later is False
    assert lone_later is True


async def test_is_superseded_unknown_row_false(db: Database) -> None:
    [a] = await incidents(db, 1)
    await add(db, a, K.SUMMARY_REFRESH)

    assert await superseded(db, 999) is False


async def test_list_undelivered_pending_and_dead_oldest_first_with_incident_number(
    db: Database,
) -> None:
    a, b = await incidents(db, 2)
    done = await add(db, a)
    dead = await add(db, b)
    pending = await add(db, a)
    loose = await add(db, None, K.ANNOUNCE)
    await settle(db, done, q.DONE)
    await settle(db, dead, q.DEAD, error="gone")

    async with db.read() as session:
        listed = await q.list_undelivered(session=session)

    assert [(r.id, r.status, r.incident_number) for r in listed] == [
        (dead, q.DEAD, 2),
        (pending, q.PENDING, 1),
        (loose, q.PENDING, None),
    ]


async def test_count_pending_counts_only_pending_rows(db: Database) -> None:
    a, b = await incidents(db, 2)
    a1 = await add(db, a)
    await add(db, a)
    b1 = await add(db, b)
    await add(db, None, K.ANNOUNCE)
    await settle(db, a1, q.DONE)
    await settle(db, b1, q.DEAD, error="x")

    async with db.read() as session:
        pending = await q.count_pending(session=session)

    assert pending == 2


@only_postgresql
async def test_claim_due_two_open_claimers_skip_each_others_rows(db: Database) -> None:
    groups = await incidents(db, 4)
    heads = [await add(db, g) for g in groups]
    for g in groups:
        await add(db, g)
    first_has_claimed = asyncio.Event()
    second_done = asyncio.Event()

    async def first() -> list[int]:
        async with db.write() as session:
            rows = await claims.claim_due(
                session=session, now=T0, lease=LEASE, limit=2, skip_locked=True
            )
            await session.flush()
            first_has_claimed.set()
            await second_done.wait()  # keep the row locks while the other claimer runs
            return [r.id for r in rows if r.id]

    async def second() -> list[int]:
        await first_has_claimed.wait()
        try:
            async with db.write() as session:
                rows = await claims.claim_due(
                    session=session, now=T0, lease=LEASE, limit=50, skip_locked=True
                )
                return [r.id for r in rows if r.id]
        finally:
            second_done.set()

    got_first, got_second = await asyncio.gather(first(), second())

    assert got_first == heads[:2]
    assert got_second == heads[2:]


@only_postgresql
async def test_claim_due_many_concurrent_claimers_never_share_a_row(db: Database) -> None:
    groups = await incidents(db, 30)
    for _ in range(3):
        for g in groups:
            await add(db, g)

    async def claimer() -> list[int]:
        async with db.write() as session:
            rows = await claims.claim_due(
                session=session, now=T0, lease=LEASE, limit=4, skip_locked=True, run=2
            )
            return [r.id for r in rows if r.id]

    batches = await asyncio.gather(*(claimer() for _ in range(10)))

    claimed = [row_id for batch in batches for row_id in batch]
    assert len(claimed) == len(set(claimed))
    async with db.read() as session:
        leased = (
            await session.exec(select(OutboxRow.id).where(col(OutboxRow.locked_until).is_not(None)))
        ).all()
    assert sorted(claimed) == sorted(leased)
