"""Queries on status page subscribers: email opt-in and opt-out, webhooks, the abuse bounds."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.subscriptions import SubscriberKind, same_secret, unsubscribe_secret
from storage.models import SubscribeAttempt, Subscriber

EMAIL, WEBHOOK = SubscriberKind.EMAIL.value, SubscriberKind.WEBHOOK.value
_RESEND_AFTER = timedelta(minutes=1)  # a pending address asked again sooner gets no new link


def is_active(row: Subscriber) -> bool:
    """Return whether the subscriber is told of public updates."""
    return row.confirmed_at is not None and row.removed_at is None


async def find(*, session: AsyncSession, kind: SubscriberKind, address: str) -> Subscriber | None:
    """Return the subscriber with this address, active or not."""
    query = select(Subscriber).where(Subscriber.kind == kind.value, Subscriber.address == address)
    return (await session.exec(query)).first()


async def request_email(
    *, session: AsyncSession, address: str, confirm_hash: str, secret: str, now: datetime
) -> Subscriber | None:
    """Store a pending email subscription with a new confirmation token; return it, or None
    when the address is already confirmed (nothing to send)."""
    row = await find(session=session, kind=SubscriberKind.EMAIL, address=address)
    if row is not None and is_active(row):
        return None
    if row is not None and row.removed_at is None and now - row.created_at < _RESEND_AFTER:
        return None  # a double click: the link just sent stays the valid one
    if row is None:
        row = Subscriber(
            kind=EMAIL, address=address, secret=secret, confirm_hash=confirm_hash, created_at=now
        )
        try:
            async with session.begin_nested():  # the same address asked twice at once
                session.add(row)
        except IntegrityError:
            return None  # the other request sends the confirmation
        return row
    row.confirm_hash, row.confirmed_at, row.removed_at = confirm_hash, None, None
    row.created_at = now  # the confirmation link's age counts from here
    session.add(row)
    return row


async def confirm_email(
    *, session: AsyncSession, confirm_hash: str, now: datetime, max_age: timedelta
) -> Subscriber | None:
    """Confirm the pending subscription holding this token; None if there is none (or stale)."""
    query = select(Subscriber).where(Subscriber.confirm_hash == confirm_hash)
    row = (await session.exec(query.with_for_update())).first()
    if row is None or row.removed_at is not None or now - row.created_at > max_age:
        return None
    row.confirmed_at, row.confirm_hash = now, None
    session.add(row)
    return row


async def unsubscribe(
    *, session: AsyncSession, subscriber_id: int, secret: str, now: datetime
) -> bool:
    """Stop updates to the subscriber whose unsubscribe secret this is; return whether it was."""
    row = await session.get(Subscriber, subscriber_id, with_for_update=True)
    if row is None:
        return False
    if not same_secret(unsubscribe_secret(SubscriberKind(row.kind), row.secret), secret):
        return False
    if row.removed_at is None:
        row.removed_at, row.confirm_hash = now, None
        session.add(row)
    return True


async def active_subscriber(*, session: AsyncSession, subscriber_id: int) -> Subscriber | None:
    """Return the subscriber if it is still told of updates."""
    row = await session.get(Subscriber, subscriber_id)
    return row if row is not None and is_active(row) else None


async def add_webhook(*, session: AsyncSession, url: str, secret: str, now: datetime) -> Subscriber:
    """Add (or bring back) a webhook subscriber, active at once, with a new signing secret."""
    row = await find(session=session, kind=SubscriberKind.WEBHOOK, address=url)
    if row is None:
        row = Subscriber(kind=WEBHOOK, address=url, secret=secret, created_at=now)
    row.secret, row.confirmed_at, row.removed_at = secret, now, None
    session.add(row)
    await session.flush()
    return row


async def list_active(*, session: AsyncSession, kind: SubscriberKind | None) -> list[Subscriber]:
    """Return the active subscribers (of one kind, or all), oldest first."""
    query = select(Subscriber).where(
        col(Subscriber.confirmed_at).is_not(None), col(Subscriber.removed_at).is_(None)
    )
    if kind is not None:
        query = query.where(Subscriber.kind == kind.value)
    return list((await session.exec(query.order_by(col(Subscriber.id)))).all())


async def remove_webhook(
    *, session: AsyncSession, id_or_url: str, now: datetime
) -> Subscriber | None:
    """Stop a webhook, named by ID or URL; return it, or None if no active one matches."""
    for row in await list_active(session=session, kind=SubscriberKind.WEBHOOK):
        if str(row.id) == id_or_url or row.address == id_or_url:
            row.removed_at = now
            session.add(row)
            return row
    return None


async def count_attempts(
    *, session: AsyncSession, address: str, client: str, since: datetime
) -> tuple[int, int]:
    """Return how many confirmations were asked since `since` for the address, and the client."""
    recent = select(func.count()).select_from(SubscribeAttempt).where(SubscribeAttempt.at >= since)
    by_address = (await session.exec(recent.where(SubscribeAttempt.address == address))).one()
    by_client = (await session.exec(recent.where(SubscribeAttempt.client == client))).one()
    return int(by_address), int(by_client)


async def record_attempt(
    *, session: AsyncSession, address: str, client: str, now: datetime
) -> None:
    """Count one confirmation asked for; forget those older than a day."""
    await session.exec(
        delete(SubscribeAttempt).where(col(SubscribeAttempt.at) < now - timedelta(days=1))
    )
    session.add(SubscribeAttempt(address=address, client=client[:64], at=now))
