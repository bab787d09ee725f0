"""Private answers to `/incident summary`, `timeline`, `actions` and `list`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

from bot.domain import entries as e
from bot.domain.grammar import COMMAND
from bot.domain.milestones import Milestones, human
from bot.domain.model import IncidentState, Role
from bot.domain.postmortem import Action
from bot.domain.review import review_change
from bot.domain.text import neutralize, one_line, quiet_mentions
from bot.domain.tickets import ticket_label
from bot.slack.format import cadence_text, when, who
from bot.slack.summary import next_update, summary


def summary_reply(state: IncidentState) -> str:
    """Return the `summary` answer."""
    text, _ = summary(state)
    roles = ", ".join(f"{r.label}: {who(state.held(r))}" for r in Role)
    last = quiet_mentions(one_line(state.last_update, 300)) if state.last_update else "none yet"
    counted = state.status.counts  # a false alarm has no durations
    spans = f"\n{durations_text(state.milestones)}" if state.milestones and counted else ""
    return (
        f"*{text}*\nDeclared {when(state.created_at)} · updated {when(state.updated_at)}"
        f" · next update due: {next_update(state)}\n{roles}\nLast update: {last}{spans}"
    )


def timeline_reply(state: IncidentState, entries: Sequence[e.Entry], limit: int = 60) -> str:
    """Return the `timeline` answer, newest entries kept when it is long."""
    shown = list(entries)[-limit:]
    count = f"{len(entries)} {'entry' if len(entries) == 1 else 'entries'}"
    lines = [f"*Timeline of {state.ref}* ({count})"]
    if len(entries) > len(shown):
        lines.append(f"_…{len(entries) - len(shown)} earlier entries not shown_")
    for item in shown:
        lines.append(f"• {when(item.at)} {who(item.actor_id)} {short_line(state, item)}")
    return "\n".join(lines)


def short_line(state: IncidentState, item: e.Entry) -> str:
    """Return what an entry recorded, in one line after the person's name."""
    text = neutralize(one_line(item.text, 300))
    match item.fact:
        case e.Declared():
            return f"declared {state.ref}: {text}"
        case e.Updated():
            return f"update: {text}"
        case e.RoleAssigned(role=role, user=user):
            return f"made {who(user)} {role.label}"
        case e.SeverityChanged(severity=severity, previous=was):
            return f"changed severity {was.value} → {severity.value}"
        case e.StatusChanged(status=status):
            return f"set status {status.value}: {text}"
        case e.Resolved():
            return f"resolved the incident{': ' + text if text else ''}"
        case e.Canceled():
            return f"canceled the incident (false alarm): {text}"
        case e.Reopened():
            return f"reopened the incident: {text}"
        case e.Pinned():
            if item.deleted:
                return "(pinned message, deleted by its author)"
            return f"(pinned{', edited' if item.edited else ''}): {text}"
        case e.ImpactSet(components=components, status=status):
            return f"set {', '.join(components)} to {status.label}"
        case e.PublicNameSet():
            return f"set the public name: {text}"
        case e.MilestoneSet(milestone=milestone, to=moved):
            return f"set {milestone.label.lower()} to {moved.isoformat()[:16]}"
        case e.ActionAdded(number=number):
            return f"added action {number}{': ' + text if text else ''}"
        case e.ActionCompleted(number=number):
            return f"completed action {number}"
        case e.ActionChanged(number=number, field=field, value=value):
            return e.action_change(number, field, value, who)
        case e.SummaryPublished():
            return "published the public post-incident summary"
        case e.CadenceSet(cadence=cadence):
            return cadence_text(cadence).replace("*", "")
        case e.Paged(service=service):
            return f"paged {service}" + (f": {text}" if text else "")
        case e.AlertNoted(firing=firing):
            return f"alert {'firing' if firing else 'resolved'}: {text}"
        case e.RespondersInvited(severity=severity, users=users):
            people = ", ".join(who(u) for u in users) or "nobody new"
            return f"invited the {severity.label} responders: {people}"
        case e.ReviewOwnerSet() | e.ReviewStatusSet() | e.ReviewDateSet():
            return review_change(item.fact, who)
        case _:
            assert_never(item.fact)


def durations_text(milestones: Milestones) -> str:
    """Return the milestones' durations on one line."""
    return " · ".join(f"{label}: {human(span)}" for label, span in milestones.durations().items())


def actions_reply(state: IncidentState, actions: Sequence[Action]) -> str:
    """Return the `actions` answer."""
    if not actions:
        return (
            f"{state.ref} has no follow-up actions yet. Add one with "
            f"`{COMMAND} action <text> [@owner]`."
        )
    lines = [f"*Follow-up actions of {state.ref}*"]
    for action in actions:
        mark = ":white_check_mark:" if action.done else ":white_square:"
        owner = f" ({who(action.owner_id)})" if action.owner_id else " (no owner)"
        facts = [
            action.priority or "",
            f"due {action.due_on.isoformat()}" if action.due_on else "",
            "done" if action.done else "open",
            "public" if action.public else "",
            f"<{action.ticket_url}|{ticket_label(action.ticket_url)}>" if action.ticket_url else "",
        ]
        details = " · ".join(f for f in facts if f)
        lines.append(f"{mark} {action.number}. {neutralize(action.text)}{owner} · {details}")
    return "\n".join(lines)


def incident_list(incidents: Sequence[IncidentState]) -> str:
    """Return the `list` answer."""
    if not incidents:
        return "No open incidents. :tada:"
    lines = [f"*Open incidents ({len(incidents)})*"]
    for state in incidents:
        place = f"<#{state.channel_id}>" if state.channel_id else "(channel being created)"
        lines.append(
            f"• *{state.ref}* {state.severity.label} · {state.status.value} · "
            f"{quiet_mentions(one_line(state.title, 120))} · {place}"
        )
    return "\n".join(lines)
