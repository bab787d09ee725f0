"""Direct reads of what the bot recorded, for checks that do not trust the bot's own answers."""

from __future__ import annotations

from sqlmodel import col, select

from storage.db import Database
from storage.models import Incident, OutboxRow, TimelineEntry


class Store:
    """Direct reads of what the bot recorded."""

    def __init__(self, url: str) -> None:
        self.db = Database(url)

    async def incidents(self) -> list[Incident]:
        """Return every incident, by number."""
        async with self.db.read() as session:
            return list((await session.exec(select(Incident).order_by(col(Incident.number)))).all())

    async def incident(self, number: int) -> Incident:
        """Return INC-<number>."""
        async with self.db.read() as session:
            found = (await session.exec(select(Incident).where(Incident.number == number))).first()
        assert found is not None, f"INC-{number} is not in the database"
        return found

    async def timeline(self, incident_id: int | None = None) -> list[TimelineEntry]:
        """Return timeline entries (of one incident), oldest first."""
        query = select(TimelineEntry).order_by(col(TimelineEntry.id))
        if incident_id is not None:
            query = query.where(TimelineEntry.incident_id == incident_id)
        async with self.db.read() as session:
            return list((await session.exec(query)).all())

    async def outbox(self) -> list[OutboxRow]:
        """Return every outbox row, oldest first."""
        async with self.db.read() as session:
            return list((await session.exec(select(OutboxRow).order_by(col(OutboxRow.id)))).all())

    async def unsettled(self) -> list[OutboxRow]:
        """Return the rows still pending or dead."""
        return [row for row in await self.outbox() if row.status != "done"]

    async def settled(self) -> bool:
        """Return whether every outbox row is delivered (none pending, none dead)."""
        try:
            return not await self.unsettled()
        except Exception:  # the server may not have created the tables yet
            return False

    async def nothing_pending(self) -> bool:
        """Return whether no outbox row is still to deliver (dead ones may be left)."""
        try:
            return all(row.status != "pending" for row in await self.outbox())
        except Exception:  # the server may not have created the tables yet
            return False
