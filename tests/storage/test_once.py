"""Once-keys: an event or a form submission takes effect once; old keys are forgotten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.db import Database
from storage.once import claim_once, forget_processed


async def test_forget_processed_drops_only_old_once_keys(db: Database) -> None:
    now = datetime.now(UTC)
    async with db.write() as session:
        assert await claim_once(session=session, key="event:old", now=now - timedelta(days=2))
        assert await claim_once(session=session, key="event:new", now=now)
    async with db.write() as session:
        assert await forget_processed(session=session, before=now - timedelta(days=1)) == 1
    async with db.write() as session:
        assert await claim_once(session=session, key="event:old", now=now)  # forgotten
        assert not await claim_once(session=session, key="event:new", now=now)  # still known
