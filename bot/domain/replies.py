"""What a use case answers, as types; `bot.slack.answers` turns them into words."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.entries import Entry
from bot.domain.milestones import Milestone
from bot.domain.model import IncidentState
from bot.domain.postmortem import Action


@dataclass(frozen=True)
class Opened:
    """An incident was opened; `duplicate`: the same person's double submit got the first."""

    incident: IncidentState
    duplicate: bool = False


@dataclass(frozen=True)
class Changed:
    """A change took effect and was recorded as `entry`."""

    incident: IncidentState
    entry: Entry


@dataclass(frozen=True)
class ClosingAsked:
    """Canceling a public incident needs its public closing message first: nothing changed."""

    incident: IncidentState
    reason: str


@dataclass(frozen=True)
class MilestoneMoved:
    incident: IncidentState
    milestone: Milestone
    at: datetime
    zone_known: bool


@dataclass(frozen=True)
class ActionsListed:
    incident: IncidentState
    actions: Sequence[Action]


@dataclass(frozen=True)
class PostmortemRequested:
    incident: IncidentState


@dataclass(frozen=True)
class SummaryShown:
    incident: IncidentState


@dataclass(frozen=True)
class TimelineShown:
    incident: IncidentState
    entries: Sequence[Entry]


@dataclass(frozen=True)
class IncidentsListed:
    incidents: Sequence[IncidentState]


@dataclass(frozen=True)
class ServicesListed:
    """The PagerDuty services that can be paged (none: paging is not set up)."""

    services: Sequence[str]


Reply = (
    Opened
    | Changed
    | ClosingAsked
    | MilestoneMoved
    | ActionsListed
    | PostmortemRequested
    | SummaryShown
    | TimelineShown
    | IncidentsListed
    | ServicesListed
)
