"""Timeline entries as types: one frozen fact per kind, wrapped in who, when and what was said.

Storage parses rows into these once; every renderer matches on the fact with `assert_never`,
so a new kind that some renderer forgets is a mypy error, not a silent default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import ClassVar

from bot.domain.components import ComponentStatus
from bot.domain.milestones import Milestone
from bot.domain.model import Role, Severity, Status


class EntryKind(StrEnum):
    """What a timeline entry records; the value is what storage keeps."""

    DECLARED = "declared"
    UPDATE = "update"
    ROLE = "role"
    SEVERITY = "severity"
    STATUS = "status"
    RESOLVED = "resolved"
    PINNED = "pinned"
    IMPACT = "impact"
    PUBLIC_NAME = "public_name"
    MILESTONE = "milestone"
    ACTION = "action"
    POSTMORTEM = "postmortem"
    CADENCE = "cadence"
    REVIEW = "review"
    PAGE = "page"
    ALERT = "alert"
    CANCELED = "canceled"
    REOPENED = "reopened"
    RESPONDERS = "responders"


@dataclass(frozen=True)
class Declared:
    """The incident was declared; the entry's text is the title."""

    kind: ClassVar[EntryKind] = EntryKind.DECLARED
    severity: Severity


@dataclass(frozen=True)
class Updated:
    """An internal update; the text is the update."""

    kind: ClassVar[EntryKind] = EntryKind.UPDATE


@dataclass(frozen=True)
class RoleAssigned:
    kind: ClassVar[EntryKind] = EntryKind.ROLE
    role: Role
    user: str
    previous: str | None = None


@dataclass(frozen=True)
class SeverityChanged:
    kind: ClassVar[EntryKind] = EntryKind.SEVERITY
    severity: Severity
    previous: Severity


@dataclass(frozen=True)
class StatusChanged:
    """A public status change; the text is the message for stakeholders."""

    kind: ClassVar[EntryKind] = EntryKind.STATUS
    status: Status
    previous: Status


@dataclass(frozen=True)
class Resolved:
    """The incident closed; `public` says whether it had published anything before."""

    kind: ClassVar[EntryKind] = EntryKind.RESOLVED
    previous: Status
    public: bool = False


@dataclass(frozen=True)
class Canceled:
    """The incident closed as a false alarm; the text is why (internal). `public`: it had a
    public incident, resolved with `closing`, the public closing message."""

    kind: ClassVar[EntryKind] = EntryKind.CANCELED
    previous: Status
    public: bool = False
    closing: str = ""


@dataclass(frozen=True)
class Reopened:
    """A closed incident was reopened (investigating again); the text is why. `public`: it had
    a public incident, which reopens with the text as its message."""

    kind: ClassVar[EntryKind] = EntryKind.REOPENED
    previous: Status
    public: bool = False


@dataclass(frozen=True)
class Pinned:
    """A Slack message added to the timeline (a :pushpin: or the message shortcut).

    The actor is its author, the entry's time when it was written, the text its text (kept
    in step with edits in Slack); `channel` is where it was written, `permalink` its link.
    """

    kind: ClassVar[EntryKind] = EntryKind.PINNED
    pinned_by: str
    channel: str | None = None
    permalink: str | None = None


@dataclass(frozen=True)
class ImpactSet:
    kind: ClassVar[EntryKind] = EntryKind.IMPACT
    components: tuple[str, ...]
    status: ComponentStatus


@dataclass(frozen=True)
class PublicNameSet:
    """The name the public sees; the text is the new name."""

    kind: ClassVar[EntryKind] = EntryKind.PUBLIC_NAME
    previous: str | None = None


@dataclass(frozen=True)
class MilestoneSet:
    kind: ClassVar[EntryKind] = EntryKind.MILESTONE
    milestone: Milestone
    to: datetime


@dataclass(frozen=True)
class ActionAdded:
    """A follow-up action; the text is the action."""

    kind: ClassVar[EntryKind] = EntryKind.ACTION
    number: int
    owner: str | None = None


@dataclass(frozen=True)
class ActionCompleted:
    kind: ClassVar[EntryKind] = EntryKind.ACTION
    number: int


@dataclass(frozen=True)
class ActionChanged:
    """One field of a follow-up action changed: `owner` (a user ID), `priority`, `due` (a
    date), or `public` (its title may go in the public summary)."""

    kind: ClassVar[EntryKind] = EntryKind.ACTION
    number: int
    field: str
    value: str = ""


@dataclass(frozen=True)
class SummaryPublished:
    """The public post-incident summary; the text is the summary."""

    kind: ClassVar[EntryKind] = EntryKind.POSTMORTEM


@dataclass(frozen=True)
class CadenceSet:
    """How often stakeholders expect an update; None: reminders off."""

    kind: ClassVar[EntryKind] = EntryKind.CADENCE
    cadence: timedelta | None


class ReviewStatus(StrEnum):
    """Where the post-mortem document stands."""

    DRAFT = "draft"
    REVIEW = "review"
    FINAL = "final"


@dataclass(frozen=True)
class ReviewOwnerSet:
    """Who owns the post-mortem (until set: the commander)."""

    kind: ClassVar[EntryKind] = EntryKind.REVIEW
    user: str


@dataclass(frozen=True)
class ReviewStatusSet:
    kind: ClassVar[EntryKind] = EntryKind.REVIEW
    status: ReviewStatus


@dataclass(frozen=True)
class ReviewDateSet:
    """When the review meeting is; None: not scheduled."""

    kind: ClassVar[EntryKind] = EntryKind.REVIEW
    on: date | None


@dataclass(frozen=True)
class Paged:
    """A PagerDuty service was paged; the text is the message sent with the page (if any).
    `automatic`: PAGE_ON_SEV1 paged it, when the actor declared or escalated a SEV1."""

    kind: ClassVar[EntryKind] = EntryKind.PAGE
    service: str
    automatic: bool = False


@dataclass(frozen=True)
class AlertNoted:
    """An alert from monitoring reached this incident (firing, or resolved: the incident stays
    open); the text is the alert's title."""

    kind: ClassVar[EntryKind] = EntryKind.ALERT
    source: str
    key: str
    firing: bool
    url: str | None = None


@dataclass(frozen=True)
class RespondersInvited:
    """A severity's responder groups (SEVERITY_RESPONDERS) were invited, when the actor
    declared or escalated the incident to it: who came in, and what could not be done."""

    kind: ClassVar[EntryKind] = EntryKind.RESPONDERS
    severity: Severity
    groups: tuple[str, ...]  # the groups read, as their @handles
    users: tuple[str, ...] = ()  # who came in (people already there are not named)
    refused: tuple[tuple[str, str], ...] = ()  # (user ID, Slack's error)
    unread: tuple[tuple[str, str], ...] = ()  # (group ID, Slack's error)
    already: tuple[str, ...] = ()  # members who were in the channel already


Fact = (
    Declared
    | Updated
    | RoleAssigned
    | SeverityChanged
    | StatusChanged
    | Resolved
    | Canceled
    | Reopened
    | Pinned
    | ImpactSet
    | PublicNameSet
    | MilestoneSet
    | ActionAdded
    | ActionCompleted
    | ActionChanged
    | SummaryPublished
    | CadenceSet
    | ReviewOwnerSet
    | ReviewStatusSet
    | ReviewDateSet
    | Paged
    | AlertNoted
    | RespondersInvited
)


@dataclass(frozen=True)
class Entry:
    """One timeline entry: who, when, what they wrote, and the typed fact it records."""

    id: int
    at: datetime
    actor_id: str
    text: str
    fact: Fact
    seq: int = 0  # its place in the incident's one order
    edited: bool = False  # a captured message its author edited in Slack since
    deleted: bool = False  # a captured message its author deleted: its text is gone

    @property
    def kind(self) -> EntryKind:
        """Return the kind of fact this entry records."""
        return self.fact.kind


def action_change(number: int, field: str, value: str, person: Callable[[str], str]) -> str:
    """Say what changed on an action: `set action 2's owner to Alice`, `made action 2 public`."""
    if field == "public":
        return f"made follow-up action {number} public (it may go in the public summary)"
    shown = person(value) if field == "owner" else value
    return f"set follow-up action {number}'s {field} to {shown}"


# Kinds that are always public, and those that may be (a resolve is public when it carries a
# message or ends a public incident). Storage filters with these; nobody else lists kinds.
ALWAYS_PUBLIC = frozenset({EntryKind.STATUS, EntryKind.IMPACT})
# What counts as "the last update" people read: an update, a status message, a resolve message.
NEWS = frozenset(
    {
        EntryKind.UPDATE,
        EntryKind.STATUS,
        EntryKind.RESOLVED,
        EntryKind.CANCELED,
        EntryKind.REOPENED,
    }
)
# A cancel or reopen is public only when the incident had a public incident already.
MAYBE_PUBLIC = ALWAYS_PUBLIC | {EntryKind.RESOLVED, EntryKind.CANCELED, EntryKind.REOPENED}
# The entries that close or reopen an incident: where its open periods start and end.
CLOSING = (Resolved, Canceled)


def is_public(entry: Entry) -> bool:
    """Return whether an entry is a public message (internal updates never are)."""
    if isinstance(entry.fact, Resolved):
        return bool(entry.text) or entry.fact.public
    if isinstance(entry.fact, Canceled | Reopened):
        return entry.fact.public
    return entry.kind in ALWAYS_PUBLIC


def ends_closed(entries: Iterable[Entry]) -> bool:
    """Return whether these entries leave the incident closed (not reopened since)."""
    closed = False
    for entry in entries:
        if isinstance(entry.fact, CLOSING):
            closed = True
        elif isinstance(entry.fact, Reopened):
            closed = False
    return closed
