"""visible_to: public incidents for everyone, private ones for their members only."""

from __future__ import annotations

from sqlmodel import col, select

from storage.db import Database
from storage.members import add_members, members_of, remove_member
from storage.models import Incident
from storage.visibility import visible_to
from tests.storage.records import ALICE, BOB, CAROL, T0, declare, id_of, set_fields


async def titles_for(db: Database, user: str) -> list[str]:
    async with db.read() as session:
        query = select(Incident).where(visible_to(user)).order_by(col(Incident.number))
        return [i.title for i in (await session.exec(query)).all()]


async def test_visible_to_private_incident_only_for_its_members(db: Database) -> None:
    await declare(db, "Public")
    secret = id_of(await declare(db, "Secret"))
    await set_fields(db, secret, private=True)
    async with db.write() as session:
        await add_members(session=session, incident_id=secret, user_ids=(ALICE, BOB), now=T0)
        await add_members(session=session, incident_id=secret, user_ids=(BOB,), now=T0)

    assert await titles_for(db, ALICE) == ["Public", "Secret"]
    assert await titles_for(db, CAROL) == ["Public"]
    async with db.write() as session:
        await remove_member(session=session, incident_id=secret, user_id=BOB)
    assert await titles_for(db, BOB) == ["Public"]
    async with db.read() as session:
        assert await members_of(session=session, incident_id=secret) == [ALICE]
