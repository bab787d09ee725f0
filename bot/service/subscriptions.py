"""Status page subscriptions by email: ask (double opt-in), confirm, unsubscribe."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain.deliveries import DeliveryKind, Payload
from bot.domain.subscriptions import new_token, parse_email, token_hash
from bot.service.context import Context
from storage import subscribers as q
from storage.notices import owe_subscriber

CONFIRM_WITHIN = timedelta(days=7)


@dataclass(frozen=True)
class Limits:
    """Confirmation mails allowed per hour, per address and per client."""

    per_address: int = 3
    per_client: int = 10


async def subscribe_email(ctx: Context, *, address: str, client: str, limits: Limits) -> bool:
    """Owe a confirmation mail unless the address is already subscribed or over a limit.

    The caller answers the same either way (nobody learns who is subscribed); the result
    says whether a mail was queued. Raises InvalidAddress for a malformed address.
    """
    address = parse_email(address)
    now = ctx.clock()
    async with ctx.db.write() as session:
        by_address, by_client = await q.count_attempts(
            session=session, address=address, client=client, since=now - timedelta(hours=1)
        )
        if by_address >= limits.per_address or by_client >= limits.per_client:
            return False
        token = new_token()
        row = await q.request_email(
            session=session,
            address=address,
            confirm_hash=token_hash(token),
            secret=new_token(),
            now=now,
        )
        if row is None or row.id is None:
            return False
        await q.record_attempt(session=session, address=address, client=client, now=now)
        owe_subscriber(
            session=session,
            kind=DeliveryKind.SUBSCRIPTION_CONFIRM,
            subscriber_id=row.id,
            payload=Payload(subscriber_id=row.id, text=token),
            now=now,
        )
    ctx.on_commit()
    return True


async def confirm_subscription(ctx: Context, *, token: str) -> bool:
    """Confirm the subscription the token was mailed for; return whether there was one."""
    if not token or len(token) > 200:
        return False
    async with ctx.db.write() as session:
        row = await q.confirm_email(
            session=session,
            confirm_hash=token_hash(token),
            now=ctx.clock(),
            max_age=CONFIRM_WITHIN,
        )
    return row is not None


async def unsubscribe(ctx: Context, *, token: str) -> bool:
    """Stop updates to the subscriber this unsubscribe token is for; return whether it did."""
    sid, _, secret = token.partition(".")
    if not (sid.isascii() and sid.isdigit()) or len(sid) > 18 or not secret or len(secret) > 200:
        return False
    async with ctx.db.write() as session:
        return await q.unsubscribe(
            session=session, subscriber_id=int(sid), secret=secret, now=ctx.clock()
        )
