"""What a person's Home tab shows: the incidents, in lists capped to fit Slack's limits."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.domain.model import Role, Severity, Status
from bot.domain.responders import call_link


@dataclass(frozen=True)
class Limits:
    """How many incidents each list shows before "and N more" (a Home has 100 blocks)."""

    open: int = 25
    mine: int = 10
    resolved: int = 10


@dataclass(frozen=True)
class HomeIncident:
    """One incident's line on the Home tab."""

    number: int
    title: str
    severity: Severity
    status: Status
    commander: str | None
    channel_id: str | None
    created_at: datetime
    resolved_at: datetime | None = None
    roles: tuple[Role, ...] = ()  # the viewer's roles in it (the "your incidents" list)
    call_url: str | None = None  # the incident's call link (INCIDENT_CALL_URL), while open

    @property
    def ref(self) -> str:
        """Return `INC-7`."""
        return f"INC-{self.number}"


@dataclass(frozen=True)
class HomeData:
    """A person's Home: the lists as capped, and how many each would have in full."""

    viewer: str
    now: datetime
    open: list[HomeIncident]
    open_total: int
    mine: list[HomeIncident]
    mine_total: int
    resolved: list[HomeIncident]


def with_calls(data: HomeData, template: str | None) -> HomeData:
    """Return the Home with each open incident's call link (INCIDENT_CALL_URL; unset: as is)."""
    if not template:
        return data

    def called(incident: HomeIncident) -> HomeIncident:
        if not incident.status.is_open:
            return incident
        return replace(incident, call_url=call_link(template, incident.number))

    return replace(data, open=[called(i) for i in data.open], mine=[called(i) for i in data.mine])


def open_for(since: datetime, now: datetime) -> str:
    """Return how long an incident has been open, as coarse as a Home refresh keeps it true:
    minutes under an hour, then hours, then days and hours."""
    elapsed = max(now - since, timedelta(0))
    minutes = int(elapsed.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d {hours % 24}h"
