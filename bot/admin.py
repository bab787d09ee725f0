"""Operator commands that work on the database directly: `warroom outbox [retry]`."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bot.service import utc_now
from storage import outbox as q
from storage.db import Database
from storage.models import Incident


async def show_outbox(db: Database) -> int:
    """Print pending and dead deliveries; return how many there are."""
    async with db.read() as session:
        rows = await q.list_rows(session=session, statuses=[q.PENDING, q.DEAD])
        numbers: dict[int, str] = {}
        for row in rows:
            if row.incident_id is not None and row.incident_id not in numbers:
                found = await session.get(Incident, row.incident_id)
                numbers[row.incident_id] = f"INC-{found.number}" if found else "?"
    if not rows:
        sys.stdout.write("The outbox is empty: everything was delivered.\n")
        return 0
    sys.stdout.write(
        f"{'id':>6}  {'status':8} {'incident':9} {'destination':11} "
        f"{'kind':16} {'tries':>5}  next try / last error\n"
    )
    for row in rows:
        incident = numbers.get(row.incident_id, "-") if row.incident_id is not None else "-"
        when = row.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S") if row.status == q.PENDING else ""
        sys.stdout.write(
            f"{row.id:>6}  {row.status:8} {incident:9} {row.destination:11} "
            f"{row.kind:16} {row.attempts:>5}  {when} {row.last_error or ''}\n"
        )
    return len(rows)


async def retry_outbox(db: Database, ids: Sequence[int]) -> int:
    """Put dead deliveries (all, or the given IDs) back in the queue; return how many."""
    async with db.write() as session:
        count = await q.revive(session=session, row_ids=list(ids) or None, now=utc_now())
    sys.stdout.write(f"{count} dead deliveries queued again; a running warroom picks them up.\n")
    return count
