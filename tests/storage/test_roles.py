"""Role queries: one holder per role, with the history of who held it when."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.model import Role
from storage import roles as q
from storage.db import Database
from tests.storage.records import ALICE, BOB, CAROL, T0, assign, declare, id_of


async def test_assign_role_new_holder_replaces_previous_and_keeps_history(db: Database) -> None:
    incident = await declare(db)
    t1, t2 = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
    async with db.write() as session:
        first = await assign(session, incident, Role.COMMANDER, ALICE, at=t1)
        await assign(session, incident, Role.COMMS, CAROL, at=t1)
    async with db.write() as session:
        second = await assign(session, incident, Role.COMMANDER, BOB, at=t2)

    async with db.read() as session:
        roles = await q.current_roles(session=session, incident_id=id_of(incident))
        history = await q.role_history(session=session, incident_id=id_of(incident))

    assert first is None
    assert second == ALICE
    assert roles == {Role.COMMANDER: BOB, Role.COMMS: CAROL}
    assert [(h.role, h.user_id, h.started_at, h.ended_at) for h in history] == [
        ("commander", ALICE, t1, t2),
        ("comms", CAROL, t1, None),
        ("commander", BOB, t2, None),
    ]


async def test_current_roles_other_incident_not_included(db: Database) -> None:
    incident = await declare(db)
    other = await declare(db, "Other")
    async with db.write() as session:
        await assign(session, other, Role.COMMANDER, BOB, by=BOB)

    async with db.read() as session:
        roles = await q.current_roles(session=session, incident_id=id_of(incident))

    assert roles == {}
