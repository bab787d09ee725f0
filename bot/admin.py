"""Operator commands that work on the database directly: `warroom outbox [retry]`."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.domain.clock import utc_now
from bot.domain.errors import IncidentNotFound
from bot.domain.postmortem import render_postmortem
from bot.service import retro
from bot.service.context import Context
from storage import outbox as q
from storage.db import Database


async def noop(_: Database) -> None:
    """Do nothing: `warroom migrate` only opens (and so migrates) the database."""


async def show_outbox(db: Database) -> int:
    """Print pending and dead deliveries; return how many there are."""
    async with db.read() as session:
        rows = await q.list_undelivered(session=session)
    if not rows:
        sys.stdout.write("The outbox is empty: everything was delivered.\n")
        return 0
    sys.stdout.write(
        f"{'id':>6}  {'status':8} {'incident':9} {'destination':11} "
        f"{'kind':16} {'tries':>5}  next try / last error\n"
    )
    for row in rows:
        number = row.incident_number
        incident = f"INC-{number}" if number is not None else "-"
        when = row.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S") if row.status == q.PENDING else ""
        sys.stdout.write(
            f"{row.id:>6}  {row.status:8} {incident:9} {row.destination:11} "
            f"{row.kind:16} {row.attempts:>5}  {when} {row.last_error or ''}\n"
        )
    return len(rows)


async def retry_outbox(db: Database, ids: Sequence[int]) -> int:
    """Put dead deliveries (all, or the given IDs) back in the queue; return how many.

    IDs that do not exist, or are not dead, are named: nothing is retried silently or not."""
    async with db.write() as session:
        found = await q.statuses(session=session, row_ids=ids) if ids else {}
        count = await q.revive(session=session, row_ids=list(ids) or None, now=utc_now())
    sys.stdout.write(f"{count} dead deliveries queued again; a running warroom picks them up.\n")
    missing = [i for i in ids if found.get(i) is None]
    alive = [f"{i} ({found[i]})" for i in ids if found.get(i) not in (None, q.DEAD)]
    if missing:
        listed = ", ".join(map(str, missing))
        sys.stderr.write(f"warroom: no such delivery: {listed} (see `warroom outbox`).\n")
    if alive:
        sys.stderr.write(f"warroom: not dead, so not retried: {', '.join(alive)}.\n")
    if missing or alive:
        raise SystemExit(1)
    return count


async def print_postmortem(db: Database, incident: str, output: str | None, zone: str) -> None:
    """Render INC-<n>'s draft to stdout or a file."""
    number = incident.upper().removeprefix("INC-")
    if not number.isdigit():
        raise SystemExit(f"warroom: `{incident}` is not an incident number (like INC-12).")
    try:
        data = await retro.postmortem(Context(db=db), number=int(number))
    except IncidentNotFound:
        raise SystemExit(f"warroom: there is no INC-{number}.") from None
    markdown = render_postmortem(data, zone=ZoneInfo(zone), zone_name=zone)
    if output:
        await asyncio.to_thread(Path(output).write_text, markdown, encoding="utf-8")
        sys.stdout.write(f"Wrote {output}\n")
    else:
        sys.stdout.write(markdown)
