"""Messages the bot posts: the pinned summary, the topic, timeline posts, announcements."""

from __future__ import annotations

from datetime import datetime
from typing import Any, assert_never

from bot.domain import entries as e
from bot.domain.cadence import reminded, spoken
from bot.domain.grammar import COMMAND
from bot.domain.milestones import Milestones, human
from bot.domain.model import IncidentState
from bot.domain.review import review_change
from bot.domain.text import neutralize
from bot.domain.tickets import ticket_label
from bot.slack.entry_lines import closing_line, pinned_line
from bot.slack.format import STATUS_EMOJI, cadence_text, quote, when, who
from bot.slack.ids import POST_UPDATE_BUTTON
from bot.slack.responders import responders_note

Blocks = list[dict[str, Any]]


def entry(
    state: IncidentState,
    item: e.Entry,
    public_url: str | None = None,
    *,
    mirrored: bool = False,
    ticket: str | None = None,
) -> str:
    """Return the incident-channel message for one entry, with where it was published.

    `mirrored`: Atlassian Statuspage confirmed it (the message is edited to say so).
    `ticket`: the link to the issue an added action became (edited in the same way).
    """
    text = _entry(state, item)
    if ticket:
        text += f"\n:ticket: <{ticket}|{ticket_label(ticket)}>"
    places = []
    if public_url and e.is_public(item) and not state.private:
        places.append(f"<{public_url}|the status page>")
    if mirrored:
        link = state.statuspage_url
        places.append(f"<{link}|Atlassian Statuspage>" if link else "Atlassian Statuspage")
    if places:
        text += f"\n:globe_with_meridians: Published on {' and '.join(places)}."
    return text


def _entry(state: IncidentState, item: e.Entry) -> str:
    # Slack shows when each message was posted: only a moment that differs says its own time.
    by = who(item.actor_id)
    match item.fact:
        case e.Declared():
            return f"{state.ref} declared by {by}"
        case e.Updated():
            return f":memo: *Update* from {by}\n{quote(item.text)}"
        case e.RoleAssigned(role=role, user=user, previous=previous):
            replacing = f", replacing {who(previous)}" if previous else ""
            return (
                f":bust_in_silhouette: {who(user)} is now *{role.label}*, "
                f"assigned by {by}{replacing}"
            )
        case e.SeverityChanged(severity=severity, previous=was):
            return (
                f":rotating_light: Severity changed from {was.label} to *{severity.label}* by {by}"
            )
        case e.StatusChanged(status=status, previous=was):
            return (
                f"{STATUS_EMOJI[status]} Status is now *{status.value}* (was {was.value}),"
                f" set by {by}\n{quote(item.text)}"
            )
        case e.Resolved():
            message = f"\n{quote(item.text)}" if item.text else ""
            return f":white_check_mark: *{state.ref} resolved* by {by}{message}"
        case e.Canceled() | e.Reopened():
            return closing_line(state, item, item.fact)
        case e.ImpactSet(components=components, status=shown):
            names = ", ".join(components)
            return f":bar_chart: {by} set {names} to *{shown.label}* on the public status"
        case e.PublicNameSet():
            return f":label: {by} set the public name to “{neutralize(item.text)}”"
        case e.MilestoneSet(milestone=milestone, to=moved):
            return f":round_pushpin: {by} set *{milestone.label}* to {when(moved)}"
        case e.ActionAdded(number=number, owner=owner):
            owned = f" (owner: {who(owner)})" if owner else ""
            return f":clipboard: {by} added follow-up action {number}{owned}\n{quote(item.text)}"
        case e.ActionCompleted(number=number):
            return f":ballot_box_with_check: {by} marked follow-up action {number} done"
        case e.ActionChanged(number=number, field=field, value=value):
            return f":pencil2: {by} {e.action_change(number, field, value, who)}"
        case e.SummaryPublished():
            return f":newspaper: {by} published the public post-incident summary"
        case e.CadenceSet(cadence=cadence):
            return f":stopwatch: {by} {cadence_text(cadence)}"
        case e.ReviewOwnerSet() | e.ReviewStatusSet() | e.ReviewDateSet():
            return f":memo: {by} {review_change(item.fact, who)}"
        case e.Paged() | e.AlertNoted() | e.RespondersInvited():
            return _automatic(state, item)
        case e.Pinned():
            return pinned_line(item, item.fact)
        case _:
            assert_never(item.fact)


def _automatic(state: IncidentState, item: e.Entry) -> str:
    """Return the line for a page, an alert, or the responders a severity brought in."""
    fact = item.fact
    if isinstance(fact, e.RespondersInvited):
        return responders_note(fact)
    return alert_line(item) if isinstance(fact, e.AlertNoted) else page_line(state, item)


def page_line(state: IncidentState, item: e.Entry) -> str:
    """Return the channel's line for a page (PAGE_ON_SEV1's says why it paged)."""
    assert isinstance(item.fact, e.Paged)
    service = item.fact.service
    if item.fact.automatic:
        return f":pager: Paged *{service}* on PagerDuty: {state.ref} is a SEV1 (PAGE_ON_SEV1)"
    message = f"\n{quote(item.text)}" if item.text else ""
    return f":pager: {who(item.actor_id)} paged *{service}* on PagerDuty{message}"


def alert_line(item: e.Entry) -> str:
    """Return the channel's line for an alert that fired again or resolved."""
    assert isinstance(item.fact, e.AlertNoted)
    fact = item.fact
    source = "PagerDuty" if fact.source == "pagerduty" else "Alertmanager"
    title = neutralize(item.text)
    shown = f"<{fact.url}|{title}>" if fact.url else title
    if fact.firing:
        return f":bell: Alert from {source} firing: {shown}"
    return f":bell: Alert from {source} *resolved* (the incident stays open): {shown}"


def declared_notice(state: IncidentState) -> str:
    """Return the private note telling the declarer where the incident lives."""
    text = (
        f"{state.ref} is open in <#{state.channel_id}>. You're in the channel; press "
        f"*Take command* on its pinned summary, or assign a commander with "
        f"`{COMMAND} role commander @someone`."
    )
    if state.private:
        text += (
            " :lock: It is a private channel: add people with Slack's `/invite`, or by giving "
            "them a role."
        )
    return text


def postmortem_message(state: IncidentState, milestones: Milestones, worst: str) -> str:
    """Return the message that goes with the post-mortem file."""
    spans = milestones.durations()
    return (
        f":memo: *Post-mortem draft for {state.ref}* ({state.severity.label}): impact "
        f"{human(spans['Total impact'])}, resolved after {human(spans['Time to resolve'])}"
        f"{'; affected: ' + worst if worst else ''}. Fill in the review sections; "
        f"`{COMMAND} postmortem` posts a fresh draft, `{COMMAND} postmortem publish` "
        "publishes a public summary."
    )


def reminder(state: IncidentState, *, due_at: datetime) -> tuple[str, Blocks]:
    """Return the nudge posted when an update is due, with a Post update button."""
    assert state.cadence is not None
    last = state.last_update_at or state.created_at
    target = reminded(state.roles or {}, state.declared_by)
    text = (
        f":alarm_clock: <@{target}> it has been {human(due_at - last)} since the last update "
        f"on {state.ref}; stakeholders expect one every {spoken(state.cadence)}."
    )
    button = {
        "type": "button",
        "action_id": POST_UPDATE_BUTTON,
        "text": {"type": "plain_text", "text": "Post update"},
        "value": str(state.id),
        "style": "primary",
    }
    blocks: Blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "elements": [button]},
    ]
    return text, blocks
