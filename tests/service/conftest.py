"""The use cases against a migrated database: one incident, with its channel."""

from __future__ import annotations

import pytest

from bot.service.context import Context
from storage import incidents
from storage.db import Database
from tests.storage.records import T0, declare, id_of

CHANNEL = "C0INC1"


@pytest.fixture
async def ctx(db: Database) -> Context:
    """The use cases' context, over a database holding INC-1 in CHANNEL."""
    incident = await declare(db)
    async with db.write() as session:
        await incidents.set_channel(
            session=session, incident_id=id_of(incident), channel_id=CHANNEL, name="inc-1"
        )
    return Context(db=db, clock=lambda: T0)
