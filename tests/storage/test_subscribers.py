"""Subscriber storage: opt-in and opt-out, and the fan-out that never queues an update twice."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta

from sqlmodel import col, select

from bot.domain import entries as e
from bot.domain.model import Status
from bot.domain.subscriptions import SubscriberKind
from storage import subscribers as q
from storage.db import Database
from storage.models import OutboxRow
from storage.notices import fan_out, update_record
from storage.timeline import add_entry
from tests.storage.records import ALICE, T0, declare, id_of

EMAILS = [SubscriberKind.EMAIL, SubscriberKind.WEBHOOK]


async def subscribe(db: Database, address: str, *, at: datetime = T0, confirm: bool = True) -> int:
    async with db.write() as session:
        row = await q.request_email(
            session=session, address=address, confirm_hash=f"h-{address}", secret="s", now=T0
        )
        assert row is not None
        assert row.id is not None
    if confirm:
        async with db.write() as session:
            done = await q.confirm_email(
                session=session, confirm_hash=f"h-{address}", now=at, max_age=timedelta(days=7)
            )
            assert done is not None
    return row.id


async def public_entry(db: Database, *, minutes: int = 10, seq: int = 1) -> int:
    incident = await declare(db)
    async with db.write() as session:
        entry = await add_entry(
            session=session,
            incident_id=id_of(incident),
            seq=seq,
            at=T0 + timedelta(minutes=minutes),
            actor_id=ALICE,
            fact=e.StatusChanged(Status.IDENTIFIED, Status.INVESTIGATING),
            text="We found it",
        )
    return entry.id


async def queued(db: Database) -> list[tuple[str, str, dict[str, object]]]:
    async with db.read() as session:
        rows = (await session.exec(select(OutboxRow).order_by(col(OutboxRow.id)))).all()
    return [(r.destination, r.kind, json.loads(r.payload)) for r in rows]


async def test_fan_out_twice_queues_each_subscriber_once(db: Database) -> None:
    first = await subscribe(db, "a@example.com")
    second = await subscribe(db, "b@example.com")
    entry = await public_entry(db)
    async with db.write() as session:
        assert await fan_out(session=session, entry_id=entry, kinds=EMAILS, now=T0) == 2
    async with db.write() as session:  # a retried fan-out (its first answer lost)
        assert await fan_out(session=session, entry_id=entry, kinds=EMAILS, now=T0) == 0
    assert await queued(db) == [
        (f"mail.{first}", "subscriber.mail", {"entry_id": entry, "subscriber_id": first}),
        (f"mail.{second}", "subscriber.mail", {"entry_id": entry, "subscriber_id": second}),
    ]


async def test_fan_out_in_batches_reaches_everyone_once(db: Database) -> None:
    ids = [await subscribe(db, f"p{n}@example.com") for n in range(5)]
    entry = await public_entry(db)
    counts = []
    for _ in range(4):
        async with db.write() as session:
            counts.append(
                await fan_out(session=session, entry_id=entry, kinds=EMAILS, now=T0, limit=2)
            )
    assert counts == [2, 2, 1, 0]
    assert sorted(p["subscriber_id"] for _, _, p in await queued(db)) == ids  # type: ignore[type-var]


async def test_fan_out_subscriber_confirmed_after_update_gets_nothing(db: Database) -> None:
    await subscribe(db, "late@example.com", at=T0 + timedelta(hours=1))
    await subscribe(db, "pending@example.com", confirm=False)
    entry = await public_entry(db, minutes=10)
    async with db.write() as session:
        assert await fan_out(session=session, entry_id=entry, kinds=EMAILS, now=T0) == 0


async def test_fan_out_unsubscribed_or_other_kind_gets_nothing(db: Database) -> None:
    gone = await subscribe(db, "gone@example.com")
    async with db.write() as session:
        assert await q.unsubscribe(session=session, subscriber_id=gone, secret="s", now=T0)
        hook = await q.add_webhook(session=session, url="https://h.example/x", secret="k", now=T0)
    entry = await public_entry(db)
    async with db.write() as session:
        only_email = [SubscriberKind.EMAIL]
        assert await fan_out(session=session, entry_id=entry, kinds=only_email, now=T0) == 0
        assert await fan_out(session=session, entry_id=entry, kinds=EMAILS, now=T0) == 1
    assert [d for d, _, _ in await queued(db)] == [f"webhook.{hook.id}"]


async def test_unsubscribe_wrong_secret_keeps_subscription(db: Database) -> None:
    sid = await subscribe(db, "keep@example.com")
    async with db.write() as session:
        assert not await q.unsubscribe(session=session, subscriber_id=sid, secret="x", now=T0)
        assert not await q.unsubscribe(session=session, subscriber_id=sid + 99, secret="s", now=T0)
    async with db.read() as session:
        assert await q.active_subscriber(session=session, subscriber_id=sid) is not None


async def test_request_email_already_confirmed_sends_nothing(db: Database) -> None:
    await subscribe(db, "done@example.com")
    async with db.write() as session:
        again = await q.request_email(
            session=session, address="done@example.com", confirm_hash="h2", secret="s2", now=T0
        )
    assert again is None


async def test_confirm_email_stale_or_unknown_link_confirms_nothing(db: Database) -> None:
    await subscribe(db, "slow@example.com", confirm=False)
    async with db.write() as session:
        late = T0 + timedelta(days=8)
        week = timedelta(days=7)
        stale = await q.confirm_email(
            session=session, confirm_hash="h-slow@example.com", now=late, max_age=week
        )
        unknown = await q.confirm_email(session=session, confirm_hash="nope", now=T0, max_age=week)
    assert stale is None
    assert unknown is None


async def test_count_attempts_counts_last_hour_per_address_and_client(db: Database) -> None:
    async with db.write() as session:
        for n, (address, client) in enumerate(
            [("a@x.io", "1.1.1.1"), ("a@x.io", "2.2.2.2"), ("b@x.io", "1.1.1.1")]
        ):
            await q.record_attempt(
                session=session, address=address, client=client, now=T0 + timedelta(minutes=n)
            )
    async with db.read() as session:
        counts = await q.count_attempts(
            session=session, address="a@x.io", client="1.1.1.1", since=T0
        )
        later = await q.count_attempts(
            session=session, address="a@x.io", client="1.1.1.1", since=T0 + timedelta(minutes=2)
        )
    assert counts == (2, 2)
    assert later == (0, 1)


async def test_update_record_shows_incident_as_of_the_update(db: Database) -> None:
    entry = await public_entry(db)
    async with db.read() as session:
        record = await update_record(session=session, entry_id=entry)
        missing = await update_record(session=session, entry_id=entry + 1000)
    assert record is not None
    assert missing is None
    assert [x.id for x in record.entries] == [entry]
    assert record.resolved_at is None


async def test_request_email_twice_at_once_one_confirmation(db: Database) -> None:
    async def ask(n: int) -> bool:
        async with db.write() as session:
            row = await q.request_email(
                session=session, address="x@example.com", confirm_hash=f"h{n}", secret="s", now=T0
            )
            return row is not None

    assert sorted(await asyncio.gather(ask(1), ask(2))) == [False, True]


async def test_request_email_after_unsubscribe_subscribes_again(db: Database) -> None:
    sid = await subscribe(db, "back@example.com")
    async with db.write() as session:
        assert await q.unsubscribe(session=session, subscriber_id=sid, secret="s", now=T0)
    later = T0 + timedelta(seconds=5)
    async with db.write() as session:
        again = await q.request_email(
            session=session, address="back@example.com", confirm_hash="h2", secret="s2", now=later
        )
    assert again is not None
    assert again.id == sid
    async with db.write() as session:
        week = timedelta(days=7)
        done = await q.confirm_email(session=session, confirm_hash="h2", now=later, max_age=week)
    assert done is not None
    async with db.read() as session:
        assert await q.active_subscriber(session=session, subscriber_id=sid) is not None
