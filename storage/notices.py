"""The subscribers' side of a public update: the fan-out into one outbox row per subscriber
(idempotent, keyed by update and subscriber), and the update's incident as the public saw it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.deliveries import DeliveryKind, Payload
from bot.domain.entries import MAYBE_PUBLIC, EntryKind
from bot.domain.model import Severity, Status
from bot.domain.public import IncidentRecord
from bot.domain.subscriptions import SubscriberKind
from storage.connection import connection
from storage.models import Incident, OutboxRow, Subscriber, SubscriberNotice, TimelineEntry
from storage.outbox import PENDING
from storage.timeline import to_entry

_KIND_OF = {
    SubscriberKind.EMAIL: DeliveryKind.SUBSCRIBER_MAIL,
    SubscriberKind.WEBHOOK: DeliveryKind.SUBSCRIBER_WEBHOOK,
}
_PUBLIC_KINDS = [kind.value for kind in MAYBE_PUBLIC]


def subscriber_queue(kind: DeliveryKind, subscriber_id: int) -> str:
    """Return the outbox destination column of one subscriber's rows: its own ordered queue."""
    return f"{kind.spec.destination.value}.{subscriber_id}"


def owe_subscriber(
    *,
    session: AsyncSession,
    kind: DeliveryKind,
    subscriber_id: int,
    payload: Payload,
    now: datetime,
) -> None:
    """Queue a delivery to one subscriber, behind that subscriber's earlier ones."""
    session.add(
        OutboxRow(
            incident_id=None,
            destination=subscriber_queue(kind, subscriber_id),
            kind=kind.value,
            payload=json.dumps(payload.to_json()),
            created_at=now,
            next_attempt_at=now,
        )
    )


async def fan_out(
    *,
    session: AsyncSession,
    entry_id: int,
    kinds: Sequence[SubscriberKind],
    now: datetime,
    limit: int = 500,
) -> int:
    """Queue the update for up to `limit` subscribers who have not had it; return how many.

    Only subscribers confirmed by the time of the update get it. A fan-out retried after a
    crash finds the subscribers it already queued (the notice rows, unique per update and
    subscriber) and skips them: never twice.
    """
    entry = await session.get(TimelineEntry, entry_id)
    if entry is None or not kinds:
        return 0
    incident = await session.get(Incident, entry.incident_id)
    if incident is None or incident.private:
        return 0  # a private incident's news goes to no subscriber
    done = select(SubscriberNotice.subscriber_id).where(SubscriberNotice.entry_id == entry_id)
    query = (
        select(Subscriber.id, Subscriber.kind)
        .where(
            col(Subscriber.kind).in_([k.value for k in kinds]),
            col(Subscriber.confirmed_at) <= entry.at,
            col(Subscriber.removed_at).is_(None),
            col(Subscriber.id).not_in(done),
        )
        .order_by(col(Subscriber.id))
        .limit(limit)
    )
    found = [(int(sid or 0), SubscriberKind(kind)) for sid, kind in (await session.exec(query))]
    if not found:
        return 0
    conn = await connection(session)
    notices = [{"entry_id": entry_id, "subscriber_id": sid} for sid, _ in found]
    await conn.execute(insert(SubscriberNotice.__table__), notices)  # type: ignore[attr-defined]
    rows = [_row(_KIND_OF[kind], sid, entry_id, now) for sid, kind in found]
    await conn.execute(insert(OutboxRow.__table__), rows)  # type: ignore[attr-defined]
    return len(found)


def _row(kind: DeliveryKind, subscriber_id: int, entry_id: int, now: datetime) -> dict[str, object]:
    payload = Payload(entry_id=entry_id, subscriber_id=subscriber_id)
    return {
        "incident_id": None,
        "destination": subscriber_queue(kind, subscriber_id),
        "kind": kind.value,
        "payload": json.dumps(payload.to_json()),
        "status": PENDING,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
    }


async def update_record(*, session: AsyncSession, entry_id: int) -> IncidentRecord | None:
    """Return the entry's incident as it stood when the entry was recorded: its public
    entries up to and including this one, resolved only if this is the resolve."""
    entry = await session.get(TimelineEntry, entry_id)
    incident = await session.get(Incident, entry.incident_id) if entry else None
    if entry is None or incident is None or incident.id is None or incident.private:
        return None
    query = (
        select(TimelineEntry)
        .where(
            TimelineEntry.incident_id == incident.id,
            col(TimelineEntry.kind).in_(_PUBLIC_KINDS),
            col(TimelineEntry.seq) <= entry.seq,
        )
        .order_by(col(TimelineEntry.seq))
    )
    entries = [to_entry(row) for row in (await session.exec(query)).all()]
    resolved = (
        incident.resolved_at
        if incident.resolved_at
        and entry.kind in (EntryKind.RESOLVED.value, EntryKind.CANCELED.value)
        else None
    )
    return IncidentRecord(
        id=incident.id,
        uid=incident.uid,
        number=incident.number,
        name=incident.public_name or incident.title,
        severity=Severity(incident.severity),
        status=Status.RESOLVED if resolved else Status(incident.status),
        created_at=incident.created_at,
        resolved_at=resolved,
        entries=entries,
        postmortem=None,
    )
