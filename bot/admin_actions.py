"""`warroom actions [--open] [--owner <@U…|name>]`: follow-up actions across incidents."""

from __future__ import annotations

import re
import sys

from storage import actions as store
from storage.db import Database
from storage.postmortem import names_of

_MENTION = re.compile(r"^<?@?([UW][A-Z0-9]{2,})(?:\|[^>]*)?>?$")


async def list_actions(db: Database, *, open_only: bool, owner: str | None) -> int:
    """Print the actions (open ones, or one person's); return how many."""
    async with db.read() as session:
        owners = None
        if owner is not None:
            found = _MENTION.match(owner.strip())
            owners = [found.group(1)] if found else []
            owners += await store.people_called(session=session, name=owner.strip().lstrip("@"))
        rows = await store.list_all(session=session, open_only=open_only, owners=owners)
        ids = {r.action.owner_id for r in rows if r.action.owner_id}
        names = await names_of(session=session, user_ids=ids)
    if not rows:
        which = "open " if open_only else ""
        whose = f" owned by {owner}" if owner else ""
        sys.stdout.write(f"No {which}follow-up actions{whose}.\n")
        return 0
    sys.stdout.write(
        f"{'incident':9} {'#':>3}  {'state':5} {'prio':4} {'due':10}  {'owner':16} action\n"
    )
    for row in rows:
        action = row.action
        who = names.get(action.owner_id or "", action.owner_id or "-")
        due = action.due_on.isoformat() if action.due_on else "-"
        ticket = f"  {action.ticket_url}" if action.ticket_url else ""
        sys.stdout.write(
            f"{'INC-' + str(row.incident_number):9} {action.number:>3}  "
            f"{'done' if action.done else 'open':5} {action.priority or '-':4} {due:10}  "
            f"{who[:16]:16} {action.text}{ticket}\n"
        )
    return len(rows)
