"""The post-mortem's timeline as a story: from when impact started, day by day, what people
did; then, apart, the record's own bookkeeping (milestone corrections, cadence, names)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import assert_never

from bot.domain import entries as e
from bot.domain.cadence import spoken
from bot.domain.postmortem_text import Doc, Names, clock, when
from bot.domain.review import review_change

# What keeps the record straight rather than tells what happened.
BOOKKEEPING = (
    e.MilestoneSet,
    e.CadenceSet,
    e.PublicNameSet,
    e.ReviewOwnerSet,
    e.ReviewStatusSet,
    e.ReviewDateSet,
)


@dataclass(frozen=True)
class Line:
    """One line of the story: when, and what (already Markdown)."""

    at: datetime
    text: str


def story(
    md: Doc, name: Names, entries: Sequence[e.Entry], started: datetime | None, zone: tzinfo
) -> list[Line]:
    """Return what happened, in order, from the impact start (when it is known)."""
    lines = [Line(started, "**Impact started**")] if started is not None else []
    lines += [
        Line(x.at, f"{name(x.actor_id)} {describe(x, name, md, zone)}")
        for x in entries
        if not isinstance(x.fact, BOOKKEEPING)
    ]
    return sorted(lines, key=lambda line: line.at)  # stable: the start before what it began


def write_story(md: Doc, lines: Sequence[Line], zone: tzinfo) -> None:
    """Write the story grouped by day (UTC), one `HH:MM` line each."""
    if not lines:
        return
    offset = lines[0].at.astimezone(zone).utcoffset()
    for day, group in itertools.groupby(lines, key=lambda line: line.at.astimezone(UTC).date()):
        md.heading(f"{day:%A, %B %d, %Y}", level=3)
        for line in group:
            named = line.at.astimezone(zone).utcoffset() != offset  # after a DST change
            md.line(f"- {clock(line.at, zone, named=named)} {line.text}")


def write_record_changes(md: Doc, name: Names, entries: Sequence[e.Entry], zone: tzinfo) -> None:
    """Write the bookkeeping entries, in the order they were made."""
    kept = [x for x in entries if isinstance(x.fact, BOOKKEEPING)]
    if not kept:
        md.line("None.")
    for x in kept:
        md.line(f"- {when(x.at, zone)}, {name(x.actor_id)} {describe(x, name, md, zone)}")


def describe(entry: e.Entry, name: Names, md: Doc, zone: tzinfo) -> str:
    """Return what an entry records, as the rest of a sentence that starts with who."""
    text = md.text(entry.text, indent=2)
    fact = entry.fact
    match fact:
        case e.Declared(severity=severity):
            return f"declared the incident ({severity.label}): {text}"
        case e.Updated():
            return f"posted an update: {text}"
        case e.RoleAssigned(role=role, user=user, previous=previous):
            replacing = f", replacing {name(previous)}" if previous else ""
            who = "themselves" if user == entry.actor_id else name(user)
            return f"made {who} {role.label.lower()}{replacing}"
        case e.SeverityChanged(severity=severity, previous=was):
            return f"changed severity from {was.label} to {severity.label}"
        case e.StatusChanged(status=status):
            return f"set the status to **{status.value}**, telling customers: {text}"
        case e.Resolved():
            return f"resolved the incident{': ' + text if text else ''}"
        case e.Canceled():
            return f"canceled the incident as a false alarm: {text}"
        case e.Reopened():
            return f"reopened the incident: {text}"
        case e.Pinned():
            return _pinned(entry, fact, name, text)
        case e.ImpactSet(components=components, status=state):
            return f"marked {', '.join(components)} as {state.label.lower()} on the status page"
        case e.PublicNameSet():
            return f"named the incident for the public: {text}"
        case e.MilestoneSet(milestone=milestone, to=moved):
            return f"set {milestone.label.lower()} to {when(moved, zone)}"
        case e.ActionAdded(number=number):
            return f"added follow-up action {number}{': ' + text if text else ''}"
        case e.ActionChanged(number=number, field=field, value=value):
            return e.action_change(number, field, value, name)
        case e.ActionCompleted(number=number):
            return f"completed follow-up action {number}"
        case e.SummaryPublished():
            return "published the public post-incident summary"
        case e.CadenceSet(cadence=cadence):
            return (
                f"set the update cadence to {spoken(cadence)}"
                if cadence
                else "turned update reminders off"
            )
        case e.ReviewOwnerSet() | e.ReviewStatusSet() | e.ReviewDateSet():
            return review_change(fact, name)
        case e.Paged(service=service, automatic=True):
            return f"made it a SEV1, which paged {service} on PagerDuty"
        case e.Paged(service=service):
            return f"paged {service} on PagerDuty{': ' + text if text else ''}"
        case e.AlertNoted(source=source, firing=firing):
            said = "fired" if firing else "resolved"
            return f"(alert from {source}) {said}: {text}"
        case e.RespondersInvited(severity=severity, groups=groups, users=users):
            people = ", ".join(name(u) for u in users) or "nobody new"
            from_ = ", ".join(f"@{g}" for g in groups) or "no group it could read"
            return f"brought in the {severity.label} responders ({from_}): {people}"
        case _:
            assert_never(fact)


def _pinned(entry: e.Entry, fact: e.Pinned, name: Names, text: str) -> str:
    link = f"[message]({fact.permalink}), " if fact.permalink else ""
    if entry.deleted:
        return (
            f"wrote a message ({link}kept by {name(fact.pinned_by)}, since deleted by its author)"
        )
    edited = ", edited since" if entry.edited else ""
    return f"wrote ({link}kept by {name(fact.pinned_by)}{edited}): {text}"
