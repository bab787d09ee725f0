"""Home viewers: due when behind, paced per viewer, leased to one replica, backing off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.model import Severity
from storage import home_viewers as q
from storage.db import Database
from storage.incidents import create_incident

T0 = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
EVERY, LEASE, ACTIVE = timedelta(seconds=5), timedelta(seconds=30), timedelta(hours=12)


async def claim(db: Database, now: datetime, version: str = "v1") -> list[str]:
    """Claim the due viewers at `now`; return who."""
    async with db.write() as session:
        viewers = await q.claim_due(
            session=session,
            now=now,
            version=version,
            since=now - ACTIVE,
            every=EVERY,
            lease=LEASE,
            limit=10,
            skip_locked=not db.is_sqlite,
        )
        return [v.user_id for v in viewers]


async def published(db: Database, user: str, now: datetime, version: str = "v1") -> None:
    async with db.write() as session:
        await q.settle(
            session=session, user_id=user, now=now, version=version, view_hash="h", published=True
        )


async def test_opened_home_is_claimed_once_until_its_lease_ends(db: Database) -> None:
    async with db.write() as session:
        await q.record_opened(session=session, user_id="U0BOB", now=T0)
    assert await claim(db, T0) == ["U0BOB"]
    assert await claim(db, T0 + timedelta(seconds=1)) == []  # leased: another replica skips
    assert await claim(db, T0 + LEASE + timedelta(seconds=1)) == ["U0BOB"]  # a crashed one


async def test_published_home_waits_for_a_new_version_and_its_pace(db: Database) -> None:
    async with db.write() as session:
        await q.record_opened(session=session, user_id="U0BOB", now=T0)
    await claim(db, T0)
    await published(db, "U0BOB", T0)
    assert await claim(db, T0 + timedelta(seconds=60)) == []  # nothing new
    assert await claim(db, T0 + timedelta(seconds=1), "v2") == []  # new, but published 1 s ago
    assert await claim(db, T0 + EVERY, "v2") == ["U0BOB"]


async def test_put_off_home_waits_and_an_old_opening_is_left_alone(db: Database) -> None:
    async with db.write() as session:
        await q.record_opened(session=session, user_id="U0BOB", now=T0)
        await q.record_opened(session=session, user_id="U0CAROL", now=T0 - ACTIVE * 2)
    assert await claim(db, T0) == ["U0BOB"]
    async with db.write() as session:
        await q.put_off(session=session, user_id="U0BOB", until=T0 + EVERY * 3, tried=True)
    assert await claim(db, T0 + EVERY) == []  # backing off while Slack refuses
    assert await claim(db, T0 + EVERY * 3) == ["U0BOB"]


async def test_incidents_version_changes_with_declares_channels_and_entries(db: Database) -> None:
    async with db.read() as session:
        empty = await q.incidents_version(session=session)
    async with db.write() as session:
        incident = await create_incident(
            session=session,
            title="Disk full",
            severity=Severity.SEV3,
            declared_by="U0ALICE",
            origin_channel_id=None,
            now=T0,
        )
        declared = await q.incidents_version(session=session)
        incident.channel_id, incident.entry_count = "C0INC1", 1
        session.add(incident)
        await session.flush()
        changed = await q.incidents_version(session=session)
    assert len({empty, declared, changed}) == 3
