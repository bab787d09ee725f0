"""Operator commands for webhook subscribers: `warroom subscribers add | list | remove`."""

from __future__ import annotations

import secrets
import sys

from bot.domain.clock import utc_now
from bot.domain.subscriptions import InvalidAddress, SubscriberKind, parse_webhook_url
from storage import subscribers as q
from storage.db import Database


async def add_webhook(db: Database, url: str) -> tuple[int, str]:
    """Add a webhook subscriber; print its ID and signing secret (shown this once)."""
    try:
        url = parse_webhook_url(url)
    except InvalidAddress as error:
        raise SystemExit(f"warroom: {error}") from None
    secret = secrets.token_hex(32)
    async with db.write() as session:
        row = await q.add_webhook(session=session, url=url, secret=secret, now=utc_now())
    assert row.id is not None
    sys.stdout.write(
        f"Added webhook {row.id}: {url}\n"
        f"Signing secret (shown only now; keep it where the receiver can read it):\n{secret}\n"
    )
    return row.id, secret


async def list_subscribers(db: Database) -> int:
    """Print the webhooks, and how many email addresses are confirmed; return the webhooks."""
    async with db.read() as session:
        hooks = await q.list_active(session=session, kind=SubscriberKind.WEBHOOK)
        emails = await q.list_active(session=session, kind=SubscriberKind.EMAIL)
    if not hooks:
        sys.stdout.write("No webhook subscribers.\n")
    for row in hooks:
        sys.stdout.write(f"{row.id:>6}  webhook  {row.address}  since {row.created_at:%Y-%m-%d}\n")
    sys.stdout.write(f"{len(emails)} confirmed email subscribers.\n")
    return len(hooks)


async def remove_webhook(db: Database, id_or_url: str) -> None:
    """Remove a webhook subscriber by ID or URL; no more updates are posted to it."""
    async with db.write() as session:
        row = await q.remove_webhook(session=session, id_or_url=id_or_url, now=utc_now())
    if row is None:
        raise SystemExit(f"warroom: no webhook subscriber {id_or_url!r} (see `subscribers list`).")
    sys.stdout.write(f"Removed webhook {row.id}: {row.address}\n")
