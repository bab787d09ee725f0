"""The outbox relay on a real database, with a recording publisher standing in for HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import col

from bot.domain.deliveries import Delivery, DeliveryKind, Destination, Owed, Payload
from bot.domain.model import Severity
from bot.outbox import Relay, backoff
from bot.publishers.base import DeliveryError
from storage import claims
from storage import outbox as q
from storage.db import Database
from storage.incidents import create_incident
from storage.models import OutboxRow
from tests.support import wait_until

T0 = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
DEAD_AFTER = 3600.0
LEASE = 60.0
SLACK = Destination.SLACK
K = DeliveryKind


class Clock:
    """A clock that moves when the test says so, or by `tick` seconds each time it is read."""

    def __init__(self, now: datetime, tick: float = 0.0) -> None:
        self.now = now
        self.tick = timedelta(seconds=tick)

    def __call__(self) -> datetime:
        now = self.now
        self.now += self.tick
        return now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += timedelta(seconds=seconds)


class FakePublisher:
    """Records deliveries; raises the queued failures first, one per delivery attempt."""

    kinds = frozenset(kind for kind in DeliveryKind if kind.spec.destination is SLACK)

    def __init__(self) -> None:
        self.attempts: list[int] = []
        self.delivered: list[Delivery] = []
        self.reports: list[tuple[int, str, bool]] = []
        self.failures: list[BaseException] = []
        self.attempted = asyncio.Event()
        self.hang = False

    def fail_next(self, *errors: BaseException) -> None:
        """Make the next deliveries raise these, in order."""
        self.failures.extend(errors)

    async def deliver(self, delivery: Delivery) -> None:
        """Record the delivery, or fail as told."""
        self.attempts.append(delivery.id)
        self.attempted.set()
        if self.hang:
            await asyncio.Event().wait()
        if self.failures:
            raise self.failures.pop(0)
        self.delivered.append(delivery)

    async def report_failure(self, delivery: Delivery, error: str, *, dead: bool) -> None:
        """Record what people would have been told."""
        self.reports.append((delivery.id, error, dead))

    def delivered_ids(self, incident_id: int | None = None) -> list[int]:
        """Return the delivered row IDs, optionally of one incident, in delivery order."""
        return [d.id for d in self.delivered if incident_id is None or d.incident_id == incident_id]


class FailingReporter(FakePublisher):
    """A publisher whose failure report itself breaks (e.g. its Slack call blew up)."""

    def __init__(self) -> None:
        super().__init__()
        self.reported = asyncio.Event()

    async def report_failure(self, delivery: Delivery, error: str, *, dead: bool) -> None:
        """Fail while reporting."""
        await super().report_failure(delivery, error, dead=dead)
        self.reported.set()
        raise RuntimeError("could not report")


@pytest.fixture
def clock() -> Clock:
    """The relay's clock, at T0."""
    return Clock(T0)


@pytest.fixture
def publisher() -> FakePublisher:
    """The Slack destination's stand-in."""
    return FakePublisher()


@pytest.fixture
def relay(db: Database, clock: Clock, publisher: FakePublisher) -> Relay:
    """A relay delivering `slack` rows to the fake publisher."""
    return Relay(
        db=db,
        publishers={SLACK: publisher},
        clock=clock,
        dead_after=DEAD_AFTER,
        retry_base=1.0,
        lease=LEASE,
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
    now: datetime = T0,
    payload: Payload | None = None,
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


async def stored(db: Database, row_id: int) -> OutboxRow:
    """Return one outbox row as stored."""
    async with db.read() as session:
        row = await session.get(OutboxRow, row_id)
    assert row is not None
    return row


async def run_until_idle(relay: Relay, limit: int = 50) -> int:
    """Run the relay until a pass claims nothing; return how many passes claimed something."""
    for passes in range(limit):
        if await relay.run_once() == 0:
            return passes
    raise AssertionError("the relay kept finding work")


async def stop(task: asyncio.Task[None]) -> None:
    """Cancel the relay's loop, insisting: a cancel can be lost (see the shutdown test)."""
    for _ in range(50):
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=0.1)
        if done:
            return
    raise AssertionError("the relay ignores cancellation")


def transient(message: str = "HTTP 503") -> DeliveryError:
    """Return a failure worth retrying."""
    return DeliveryError(message)


def test_backoff_attempts_grow_exponentially_with_jitter_and_cap() -> None:
    for attempts, low, high in [(1, 0.5, 1.0), (2, 1.0, 2.0), (4, 4.0, 8.0), (30, 150.0, 300.0)]:
        for _ in range(20):
            assert low <= backoff(attempts) <= high


async def test_relay_rows_of_one_incident_delivered_in_order(
    db: Database, relay: Relay, publisher: FakePublisher
) -> None:
    a, b = await incidents(db, 2)
    a_rows = [await add(db, a, kind) for kind in (K.CHANNEL_CREATE, K.CHANNEL_INVITE, K.ENTRY_POST)]
    b_rows = [await add(db, b, kind) for kind in (K.CHANNEL_CREATE, K.ENTRY_POST)]
    a_rows.append(await add(db, a, K.ANNOUNCE))

    passes = await run_until_idle(relay)

    assert publisher.delivered_ids(a) == a_rows
    assert publisher.delivered_ids(b) == b_rows
    assert passes == 1  # each incident's rows are claimed as one run, delivered in order
    for row_id in a_rows + b_rows:
        row = await stored(db, row_id)
        assert row.status == q.DONE
        assert row.attempts == 1
        assert row.delivered_at == T0


async def test_relay_delivery_payload_and_fields_handed_to_publisher(
    db: Database, relay: Relay, publisher: FakePublisher
) -> None:
    [a] = await incidents(db, 1)
    row_id = await add(db, a, K.USER_NOTIFY, payload=Payload(user="U0ALICE"))

    await relay.run_once()

    [delivery] = publisher.delivered
    assert delivery == Delivery(
        id=row_id,
        incident_id=a,
        kind=K.USER_NOTIFY,
        payload=Payload(user="U0ALICE"),
        attempts=0,
        created_at=T0,
        retrying=False,
    )
    assert delivery.destination is SLACK


async def test_relay_transient_failure_retried_later_with_backoff(
    db: Database, relay: Relay, publisher: FakePublisher, clock: Clock
) -> None:
    [a] = await incidents(db, 1)
    row_id = await add(db, a)
    later = await add(db, a)
    publisher.fail_next(transient("HTTP 503"), transient("HTTP 502"))

    await relay.run_once()
    first = await stored(db, row_id)
    again_now = await relay.run_once()
    clock.now = first.next_attempt_at
    await relay.run_once()
    second = await stored(db, row_id)
    clock.now = second.next_attempt_at
    await run_until_idle(relay)

    assert first.status == q.PENDING
    assert first.attempts == 1
    assert first.last_error == "HTTP 503"
    assert T0 + timedelta(seconds=0.5) <= first.next_attempt_at <= T0 + timedelta(seconds=1)
    assert again_now == 0  # neither the row nor the one queued behind it is due yet
    assert second.attempts == 2
    assert second.last_error == "HTTP 502"
    retried_at = first.next_attempt_at
    assert (
        retried_at + timedelta(seconds=1)
        <= second.next_attempt_at
        <= retried_at + timedelta(seconds=2)
    )
    assert publisher.attempts == [row_id, row_id, row_id, later]
    assert publisher.delivered_ids() == [row_id, later]
    done = await stored(db, row_id)
    assert done.status == q.DONE
    assert done.attempts == 3


async def test_relay_first_transient_failure_reported_once_not_dead(
    db: Database, relay: Relay, publisher: FakePublisher, clock: Clock
) -> None:
    [a] = await incidents(db, 1)
    row_id = await add(db, a)
    publisher.fail_next(transient("HTTP 503"), transient("HTTP 503"))

    for _ in range(3):
        await relay.run_once()
        clock.advance(600)

    assert publisher.reports == [(row_id, "HTTP 503", False)]
    assert publisher.delivered_ids() == [row_id]


async def test_relay_retry_after_honoured(
    db: Database, relay: Relay, publisher: FakePublisher, clock: Clock
) -> None:
    [a] = await incidents(db, 1)
    row_id = await add(db, a)
    publisher.fail_next(DeliveryError("ratelimited", retry_after=120))

    await relay.run_once()
    row = await stored(db, row_id)
    clock.advance(119)
    early = await relay.run_once()
    clock.now = row.next_attempt_at
    on_time = await relay.run_once()

    assert row.status == q.PENDING
    assert row.next_attempt_at >= T0 + timedelta(seconds=120)
    assert early == 0
    assert on_time == 1
    assert publisher.delivered_ids() == [row_id]


async def test_relay_permanent_failure_marks_dead_and_reports_once(
    db: Database, relay: Relay, publisher: FakePublisher, clock: Clock
) -> None:
    [a] = await incidents(db, 1)
    row_id = await add(db, a)
    publisher.fail_next(DeliveryError("channel_not_found", permanent=True))

    await relay.run_once()
    clock.advance(DEAD_AFTER * 2)
    await relay.run_once()

    row = await stored(db, row_id)
    assert row.status == q.DEAD
    assert row.attempts == 1
    assert row.last_error == "channel_not_found"
    assert publisher.attempts == [row_id]
    assert publisher.reports == [(row_id, "channel_not_found", True)]


async def test_relay_dead_head_later_rows_of_incident_still_delivered(
    db: Database, relay: Relay, publisher: FakePublisher
) -> None:
    [a] = await incidents(db, 1)
    head = await add(db, a, K.CHANNEL_INVITE)
    later = await add(db, a, K.ENTRY_POST)
    publisher.fail_next(DeliveryError("user_not_found", permanent=True))

    await run_until_idle(relay)

    assert (await stored(db, head)).status == q.DEAD
    assert publisher.delivered_ids() == [later]


async def test_relay_row_older_than_dead_after_failing_marked_dead(
    db: Database, relay: Relay, publisher: FakePublisher, clock: Clock
) -> None:
    [a] = await incidents(db, 1)
    row_id = await add(db, a)
    publisher.fail_next(transient("HTTP 503"), transient("HTTP 503"))

    await relay.run_once()
    young = await stored(db, row_id)
    clock.advance(DEAD_AFTER)
    await relay.run_once()

    assert young.status == q.PENDING
    row = await stored(db, row_id)
    assert row.status == q.DEAD
    assert row.attempts == 2
    assert publisher.reports == [(row_id, "HTTP 503", False), (row_id, "HTTP 503", True)]


async def test_relay_old_row_delivered_fine_is_done(
    db: Database, relay: Relay, publisher: FakePublisher, clock: Clock
) -> None:
    [a] = await incidents(db, 1)
    row_id = await add(db, a)
    clock.advance(DEAD_AFTER * 3)

    await relay.run_once()

    assert (await stored(db, row_id)).status == q.DONE
    assert publisher.delivered_ids() == [row_id]


async def test_relay_revived_row_transient_failure_retried_again(
    db: Database, relay: Relay, publisher: FakePublisher, clock: Clock
) -> None:
    [a] = await incidents(db, 1)
    row_id = await add(db, a)
    publisher.fail_next(transient(), transient())
    await relay.run_once()
    clock.advance(DEAD_AFTER)
    await relay.run_once()
    assert (await stored(db, row_id)).status == q.DEAD
    clock.advance(DEAD_AFTER)
    async with db.write() as session:  # `warroom outbox retry`: the operator queues it again
        await q.revive(session=session, row_ids=[row_id], now=clock())
    publisher.fail_next(transient())

    await relay.run_once()

    row = await stored(db, row_id)
    assert row.status == q.PENDING, "a revived row died on its first transient failure"
    assert row.next_attempt_at > clock()


@pytest.mark.parametrize("kind", [K.SUMMARY_REFRESH, K.CHANNEL_TOPIC])
async def test_relay_supersedable_row_with_later_identical_settled_without_delivery(
    db: Database, relay: Relay, publisher: FakePublisher, kind: DeliveryKind
) -> None:
    [a] = await incidents(db, 1)
    earlier = await add(db, a, kind)
    latest = await add(db, a, kind)

    await run_until_idle(relay)

    assert publisher.delivered_ids() == [latest]
    row = await stored(db, earlier)
    assert row.status == q.DONE
    assert row.attempts == 0


@pytest.mark.parametrize("kind", [K.SUMMARY_REFRESH, K.CHANNEL_TOPIC])
async def test_relay_retried_supersedable_row_delivered_despite_later_identical(
    db: Database, relay: Relay, publisher: FakePublisher, kind: DeliveryKind
) -> None:
    # A try that died mid-delivery (kill -9) may have posted the first summary without storing
    # its ts: skipping it for the later row would post a second summary.
    [a] = await incidents(db, 1)
    earlier = await add(db, a, kind)
    latest = await add(db, a, kind)
    async with db.write() as session:
        await session.exec(update(OutboxRow).where(col(OutboxRow.id) == earlier).values(attempts=1))

    await run_until_idle(relay)

    assert publisher.delivered_ids() == [earlier, latest]
    retried = [d for d in publisher.delivered if d.id == earlier]
    assert retried[0].retrying


@pytest.mark.parametrize(
    ("kind", "later_payload"),
    [(K.ENTRY_POST, None), (K.SUMMARY_REFRESH, Payload(text="other"))],
    ids=["not-supersedable", "different-payload"],
)
async def test_relay_row_without_identical_supersedable_successor_delivered(
    db: Database,
    relay: Relay,
    publisher: FakePublisher,
    kind: DeliveryKind,
    later_payload: Payload | None,
) -> None:
    [a] = await incidents(db, 1)
    earlier = await add(db, a, kind)
    latest = await add(db, a, kind, payload=later_payload)

    await run_until_idle(relay)

    assert publisher.delivered_ids() == [earlier, latest]


async def test_relay_unexpected_exception_row_retried_later(
    db: Database, relay: Relay, publisher: FakePublisher, clock: Clock
) -> None:
    [a] = await incidents(db, 1)
    row_id = await add(db, a)
    publisher.fail_next(KeyError("channel"))

    claimed = await relay.run_once()
    row = await stored(db, row_id)
    clock.now = row.next_attempt_at
    await relay.run_once()

    assert claimed == 1
    assert row.status == q.PENDING
    assert row.attempts == 1
    assert row.last_error == "KeyError"
    assert publisher.delivered_ids() == [row_id]


async def test_relay_unexpected_exception_running_relay_survives_and_delivers(
    db: Database, publisher: FakePublisher
) -> None:
    [a] = await incidents(db, 1)
    clock = Clock(T0, tick=10)  # time passes as the relay works, so its retry comes due
    relay = Relay(
        db=db, publishers={SLACK: publisher}, clock=clock, dead_after=DEAD_AFTER, lease=LEASE
    )
    relay.poll = 0.01
    task = asyncio.create_task(relay.run())
    try:
        publisher.fail_next(ZeroDivisionError("bug in a publisher"))
        row_id = await add(db, a)
        relay.wake()
        await relay.drain(limit=10)

        assert not task.done()
    finally:
        await stop(task)

    assert publisher.attempts == [row_id, row_id]
    assert publisher.delivered_ids() == [row_id]
    row = await stored(db, row_id)
    assert row.status == q.DONE
    assert row.attempts == 2


async def test_relay_failure_report_raising_running_relay_survives(
    db: Database, clock: Clock
) -> None:
    a, b = await incidents(db, 2)
    reporter = FailingReporter()
    relay = Relay(
        db=db, publishers={SLACK: reporter}, clock=clock, dead_after=DEAD_AFTER, lease=LEASE
    )
    relay.poll = 0.01
    task = asyncio.create_task(relay.run())
    try:
        reporter.fail_next(DeliveryError("channel_not_found", permanent=True))
        dead = await add(db, a)
        relay.wake()
        await reporter.reported.wait()
        later = await add(db, b)
        relay.wake()
        drained = asyncio.create_task(relay.drain(limit=10))
        finished, _ = await asyncio.wait({task, drained}, return_when=asyncio.FIRST_COMPLETED)

        assert task not in finished, f"the relay stopped: {task.exception()!r}"
        assert drained.exception() is None
    finally:
        await stop(task)

    assert (await stored(db, dead)).status == q.DEAD
    assert reporter.delivered_ids() == [later]


async def test_relay_row_left_leased_by_crashed_relay_delivered_after_lease(
    db: Database, relay: Relay, publisher: FakePublisher, clock: Clock
) -> None:
    [a] = await incidents(db, 1)
    row_id = await add(db, a)
    async with db.write() as session:  # another relay claimed it, then its process died
        await claims.claim_due(
            session=session,
            now=T0,
            lease=timedelta(seconds=LEASE),
            limit=10,
            skip_locked=not db.is_sqlite,
        )

    clock.advance(LEASE - 1)
    during_lease = await relay.run_once()
    clock.advance(2)
    after_lease = await relay.run_once()

    assert during_lease == 0
    assert after_lease == 1
    assert publisher.delivered_ids() == [row_id]
    row = await stored(db, row_id)
    assert row.status == q.DONE
    assert row.locked_until is None


async def test_relay_delivery_outliving_half_the_lease_failed_as_timed_out(
    db: Database, clock: Clock, publisher: FakePublisher
) -> None:
    [a] = await incidents(db, 1)
    row_id = await add(db, a)
    publisher.hang = True
    relay = Relay(
        db=db, publishers={SLACK: publisher}, clock=clock, dead_after=DEAD_AFTER, lease=0.2
    )

    await relay.run_once()

    row = await stored(db, row_id)
    assert row.status == q.PENDING
    assert row.attempts == 1
    assert row.last_error == "timed out"
    assert row.locked_until is None


async def test_relay_destination_without_publisher_marked_dead(
    db: Database, relay: Relay, publisher: FakePublisher
) -> None:
    [a] = await incidents(db, 1)
    row_id = await add(db, a, K.INCIDENT_SYNC)  # a Statuspage kind; only Slack is configured

    await relay.run_once()

    row = await stored(db, row_id)
    assert row.status == q.DEAD
    assert row.last_error == "no publisher configured"
    assert publisher.attempts == []
    assert publisher.reports == []


async def test_relay_two_relays_each_row_delivered_once_in_order(
    database_url: str, db: Database, clock: Clock, publisher: FakePublisher
) -> None:
    groups = await incidents(db, 6)
    expected = {g: [await add(db, g) for _ in range(4)] for g in groups}
    other_db = Database(database_url)
    try:
        relays = [
            Relay(
                db=each,
                publishers={SLACK: publisher},
                clock=clock,
                dead_after=DEAD_AFTER,
                batch=3,
                lease=LEASE,
            )
            for each in (db, other_db)
        ]
        for _ in range(30):
            claimed = await asyncio.gather(*(r.run_once() for r in relays))
            if not any(claimed):
                break
    finally:
        await other_db.dispose()

    delivered = publisher.delivered_ids()
    assert len(delivered) == len(set(delivered)) == 24
    for group, rows in expected.items():
        assert publisher.delivered_ids(group) == rows


async def test_relay_run_cancelled_just_after_wake_stops(relay: Relay) -> None:
    relay.poll = 3600.0
    task = asyncio.create_task(relay.run())
    try:
        await relay._idle.wait()  # the loop is parked, waiting to be woken
        relay.wake()  # a commit wakes it (service on_commit) ...
        task.cancel()  # ... just as shutdown cancels it (bot/app.py)
        done, _ = await asyncio.wait({task}, timeout=2)

        assert task in done, "the relay swallowed its cancellation and kept running"
        assert task.cancelled()
    finally:
        await stop(task)


async def test_relay_failure_in_a_run_puts_the_rest_back_untried_and_in_order(
    db: Database, relay: Relay, publisher: FakePublisher, clock: Clock
) -> None:
    [a] = await incidents(db, 1)
    rows = [await add(db, a) for _ in range(4)]
    publisher.fail_next(DeliveryError("503 from Slack"))
    await add(db, a)  # one more after the run, so the run is not the whole group

    await relay.run_once()
    after_failure = [await stored(db, row_id) for row_id in rows]
    clock.now = after_failure[0].next_attempt_at
    await run_until_idle(relay)

    assert [r.attempts for r in after_failure] == [1, 0, 0, 0]  # only the head was tried
    assert all(r.locked_until is None for r in after_failure[1:])
    assert publisher.delivered_ids() == [*rows, rows[-1] + 1]  # then all, in order


async def test_relay_summary_refreshes_in_one_run_delivered_once(
    db: Database, relay: Relay, publisher: FakePublisher
) -> None:
    [a] = await incidents(db, 1)
    first = await add(db, a, K.SUMMARY_REFRESH)
    post = await add(db, a, K.ENTRY_POST)
    last = await add(db, a, K.SUMMARY_REFRESH)

    await relay.run_once()

    assert publisher.delivered_ids() == [post, last]  # the first was replaced by the last
    assert (await stored(db, first)).status == q.DONE
    assert (await stored(db, first)).last_error == "superseded"


async def test_relay_one_incidents_long_run_does_not_hold_up_another(
    db: Database, clock: Clock
) -> None:
    a, b = await incidents(db, 2)
    for _ in range(3):
        await add(db, a)
    slow = FakePublisher()
    relay = Relay(db=db, publishers={SLACK: slow}, clock=clock, dead_after=DEAD_AFTER)
    slow.hang = True  # incident a's run is stuck on its first delivery
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.wait_for(slow.attempted.wait(), 5)
        slow.hang = False
        b_row = await add(db, b)
        relay.wake()
        await wait_until(lambda: b_row in slow.delivered_ids(), 5, "b's row delivered")
    finally:
        await relay.stop(task, grace=0.1)

    assert slow.delivered_ids() == [b_row]  # a's run is still stuck; b went around it
