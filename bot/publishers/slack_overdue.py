"""An open follow-up action past its due date: said once in the incident channel, and to its
owner in a direct message."""

from __future__ import annotations

from datetime import date

from bot.domain.deliveries import Delivery
from bot.domain.model import IncidentState
from bot.domain.text import neutralize, one_line
from bot.publishers.slack_calls import SlackCalls
from bot.slack.format import who
from storage import actions as store
from storage.db import Database


def overdue_text(state: IncidentState, number: int, text: str, due: date, owner: str | None) -> str:
    """Return the reminder: which action, since when, and whose it is."""
    whose = f"{who(owner)}, " if owner else ""
    return (
        f":hourglass: {whose}follow-up action {number} of {state.ref} was due on "
        f"{due.isoformat()} and is still open: {neutralize(one_line(text, 200))}\n"
        f"Mark it done with `/incident action done {number}`, or move it with "
        f"`/incident action {number} due <YYYY-MM-DD|+Nd>`."
    )


class Overdue:
    """Delivers the overdue reminder of one action (channel first, then the owner's DM)."""

    def __init__(self, *, db: Database, calls: SlackCalls) -> None:
        self.db, self.calls = db, calls

    async def remind(self, state: IncidentState, delivery: Delivery) -> None:
        """Post the reminder, unless the action was done or moved since it fell due."""
        number = delivery.payload.number or 0
        async with self.db.read() as session:
            found = await store.load_ticketed(session=session, incident_id=state.id, number=number)
        row = found.row if found is not None else None
        due = row.due_on if row is not None and not row.done else None
        if row is None or due is None or due >= delivery.created_at.date():
            return  # done, or moved to a later day, since it fell due
        text = overdue_text(state, number, row.text, due, row.owner_id)
        await self.calls.post_once(state.channel_id or "", delivery, text=text)
        if row.owner_id:
            await self.calls.post_once(row.owner_id, delivery, part="owner", text=text)
