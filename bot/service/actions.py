"""Follow-up actions: add, change, complete and list them; each change owes its tickets a sync."""

from __future__ import annotations

from bot.domain import entries as e
from bot.domain.actions import ADD_AFTER_RESOLVE, Due, Priority, may_add_after
from bot.domain.deliveries import Payload
from bot.domain.errors import IncidentClosed, UsageError
from bot.domain.replies import ActionsListed, Changed
from bot.service.context import Context
from bot.service.unit import Work, change, incident_in
from storage import incidents as q
from storage import postmortem as pm
from storage.actions import to_action
from storage.models import FollowUp


async def add_action(
    ctx: Context,
    *,
    channel_id: str,
    user_id: str,
    text: str,
    owner_id: str | None,
    priority: Priority | None = None,
    due: Due | None = None,
) -> Changed:
    """Add a follow-up action, during the incident or up to 30 days after it was resolved."""
    async with change(ctx, channel_id, closed_ok=True) as work:
        if not may_add_after(work.incident.resolved_at, work.now):
            raise IncidentClosed(
                f"{work.ref} was resolved more than {ADD_AFTER_RESOLVE.days} days ago.",
                hint="Track new work in your backlog directly, or declare a new incident.",
            )
        row = await pm.add_follow_up(
            session=work.session,
            incident_id=work.incident_id,
            text=text,
            owner_id=owner_id,
            created_by=user_id,
            now=work.now,
            priority=priority.value if priority else None,
            due_on=due.resolve(work.now.date()) if due else None,
        )
        entry = await work.record(user_id, e.ActionAdded(row.number, owner_id), text)
        work.post(entry)
        _sync(work, row.number)
        state = await work.state()
    return Changed(state, entry)


async def edit_action(
    ctx: Context,
    *,
    channel_id: str,
    user_id: str,
    number: int,
    owner_id: str | None = None,
    priority: Priority | None = None,
    due: Due | None = None,
    public: bool = False,
) -> Changed:
    """Change one field of follow-up action <number>."""
    async with change(ctx, channel_id, closed_ok=True) as work:
        row = await _action(work, number)
        if owner_id is not None:
            row.owner_id, fact = owner_id, e.ActionChanged(number, "owner", owner_id)
        elif priority is not None:
            row.priority, fact = priority.value, e.ActionChanged(number, "priority", priority)
        elif due is not None:
            row.due_on, row.due_reminded = due.resolve(work.now.date()), False
            fact = e.ActionChanged(number, "due", row.due_on.isoformat())
        elif public:
            row.public, fact = True, e.ActionChanged(number, "public")
        else:
            raise UsageError("Say what to change: owner, priority, due or public.")
        work.session.add(row)
        entry = await work.record(user_id, fact)
        work.post(entry)
        if not public:  # the ticket shows owner, priority and due date, not this flag
            _sync(work, number)
        state = await work.state()
    return Changed(state, entry)


async def complete_action(ctx: Context, *, channel_id: str, user_id: str, number: int) -> Changed:
    """Mark follow-up action <number> done; its tickets are closed."""
    async with change(ctx, channel_id, closed_ok=True) as work:
        row = await _action(work, number)
        if row.done:
            raise UsageError(f"Action {number} is already done.")
        row.done, row.done_at = True, work.now
        work.session.add(row)
        entry = await work.record(user_id, e.ActionCompleted(number))
        work.post(entry)
        _sync(work, number)
        state = await work.state()
    return Changed(state, entry)


async def list_actions(ctx: Context, *, channel_id: str) -> ActionsListed:
    """Return the incident's follow-up actions."""
    async with ctx.db.read() as session:
        incident = await incident_in(session, channel_id)
        assert incident.id is not None
        rows = await pm.list_follow_ups(session=session, incident_id=incident.id)
        state = await q.incident_state(session, incident, with_roles=False)
    return ActionsListed(state, [to_action(r) for r in rows])


async def _action(work: Work, number: int) -> FollowUp:
    row = await pm.get_follow_up(session=work.session, incident_id=work.incident_id, number=number)
    if row is None:
        raise UsageError(
            f"{work.ref} has no action {number}.",
            hint="See the numbers with `/incident actions`.",
        )
    return row


def _sync(work: Work, number: int) -> None:
    """Owe each configured backlog a sync of the action (rendered whole from its state); not
    a private incident's: a ticket in a shared backlog would tell outsiders of it."""
    if work.incident.private:
        return
    for kind in work.ctx.trackers:
        work.owe(kind, payload=Payload(number=number))
