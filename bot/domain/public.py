"""The public face of incidents: component states, impact, availability. Nothing internal."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.domain.components import ComponentStatus, parse_component_status
from bot.domain.entries import Entry, ImpactSet, Resolved, StatusChanged, is_public
from bot.domain.errors import UsageError
from bot.domain.model import Severity, Status
from bot.domain.text import public_text

__all__ = ["ComponentStatus", "is_public", "parse_component_status"]  # their old home


class Impact(StrEnum):
    """Statuspage's incident impact, mildest first."""

    NONE = "none"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"


DEFAULT_IMPACT: dict[Severity, Impact] = {
    Severity.SEV1: Impact.CRITICAL,
    Severity.SEV2: Impact.MAJOR,
    Severity.SEV3: Impact.MINOR,
    Severity.SEV4: Impact.NONE,
}
_COMPONENT_IMPACT = {
    ComponentStatus.OPERATIONAL: Impact.NONE,
    ComponentStatus.UNDER_MAINTENANCE: Impact.NONE,
    ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR,
    ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
    ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL,
}
INDICATOR_TEXT = {
    Impact.NONE: "All Systems Operational",
    Impact.MINOR: "Minor Service Outage",
    Impact.MAJOR: "Partial System Outage",
    Impact.CRITICAL: "Major System Outage",
}
# Share of a window that counts as downtime in the availability figure (as Statuspage does).
_DOWNTIME_WEIGHT = {ComponentStatus.MAJOR_OUTAGE: 1.0, ComponentStatus.PARTIAL_OUTAGE: 0.3}
RESOLVED_BODY = "This incident has been resolved."


def parse_impact_map(text: str) -> dict[Severity, Impact]:
    """Parse `sev1=critical,sev2=major,...` onto the default mapping; raise ValueError if bad."""
    mapping = dict(DEFAULT_IMPACT)
    for pair in filter(None, (p.strip() for p in text.split(","))):
        sev, _, impact = pair.partition("=")
        mapping[Severity(sev.strip().lower())] = Impact(impact.strip().lower())
    return mapping


def match_components(names: Iterable[str], known: Sequence[str]) -> list[str]:
    """Return the known names (their own spelling) for `names`, matched case-insensitively."""
    by_key = {k.lower(): k for k in known}
    found: list[str] = []
    unknown: list[str] = []
    for name in names:
        match = by_key.get(name.strip().lower())
        (found if match else unknown).append(match or name.strip())
    if unknown:
        listed = ", ".join(known) if known else "none are configured (STATUS_COMPONENTS)"
        raise UsageError(f"Unknown component: {', '.join(unknown)}. Known components: {listed}.")
    return list(dict.fromkeys(found))


@dataclass(frozen=True)
class Window:
    """A component held in a state by one incident from `start` to `end` (None: still)."""

    component: str
    status: ComponentStatus
    start: datetime
    end: datetime | None
    incident_id: int


def impact_windows(
    incident_id: int, entries: Iterable[Entry], resolved_at: datetime | None
) -> list[Window]:
    """Return the windows in which the incident held components away from operational."""
    windows: list[Window] = []
    open_: dict[str, tuple[ComponentStatus, datetime]] = {}
    for entry in entries:
        if not isinstance(entry.fact, ImpactSet):
            continue
        status = entry.fact.status
        for component in entry.fact.components:
            if component in open_:
                old, since = open_.pop(component)
                windows.append(Window(component, old, since, entry.at, incident_id))
            if status is not ComponentStatus.OPERATIONAL:
                open_[component] = (status, entry.at)
    for component, (status, since) in open_.items():
        windows.append(Window(component, status, since, resolved_at, incident_id))
    return windows


def component_states(
    components: Sequence[str], windows: Iterable[Window]
) -> dict[str, ComponentStatus]:
    """Return each component's state now: the worst state any open window holds it in."""
    states = dict.fromkeys(components, ComponentStatus.OPERATIONAL)
    for window in windows:
        current = states.get(window.component)
        if window.end is None and current is not None and window.status.rank > current.rank:
            states[window.component] = window.status
    return states


def page_impact(
    states: Mapping[str, ComponentStatus], incident_impacts: Iterable[Impact]
) -> Impact:
    """Return the page's overall indicator from component states and open incidents."""
    worst = max(
        (_COMPONENT_IMPACT[s] for s in states.values()), default=Impact.NONE, key=list(Impact).index
    )
    for impact in incident_impacts:
        worst = max(worst, impact, key=list(Impact).index)
    return worst


@dataclass(frozen=True)
class DayBar:
    day: date
    status: ComponentStatus
    downtime_minutes: float


@dataclass(frozen=True)
class Availability:
    component: str
    days: list[DayBar] = field(default_factory=list)
    uptime: float = 100.0


def availability(
    component: str, windows: Iterable[Window], now: datetime, days: int = 90
) -> Availability:
    """Return the per-day worst state and the uptime percentage over the last `days` days."""
    first = (now - timedelta(days=days - 1)).date()
    mine = [w for w in windows if w.component == component]
    bars: list[DayBar] = []
    total_down = 0.0
    for offset in range(days):
        day = first + timedelta(days=offset)
        start = datetime(day.year, day.month, day.day, tzinfo=now.tzinfo)
        end = min(start + timedelta(days=1), now)
        worst, down = ComponentStatus.OPERATIONAL, 0.0
        for window in mine:
            lo, hi = max(window.start, start), min(window.end or now, end)
            if hi <= lo:
                continue
            if window.status.rank > worst.rank:
                worst = window.status
            down += (hi - lo).total_seconds() / 60 * _DOWNTIME_WEIGHT.get(window.status, 0.0)
        bars.append(DayBar(day, worst, min(down, 1440.0)))
        total_down += min(down, 1440.0)
    span = max(
        (now - datetime(first.year, first.month, first.day, tzinfo=now.tzinfo)).total_seconds()
        / 60,
        1.0,
    )
    return Availability(component, bars, round(100.0 * (1 - total_down / span), 2))


@dataclass(frozen=True)
class PublicUpdate:
    id: int
    at: datetime
    status: Status
    body: str
    components: tuple[str, ...] = ()
    component_status: ComponentStatus | None = None

    @property
    def text(self) -> str:
        """Return what the public reads: the message, or the component change in words."""
        if self.body or not self.components or self.component_status is None:
            return self.body
        return f"{', '.join(self.components)}: {self.component_status.label}."


@dataclass(frozen=True)
class PublicIncident:
    uid: str
    number: int
    name: str
    status: Status
    impact: Impact
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    monitoring_at: datetime | None
    updates: list[PublicUpdate]  # newest first
    components: tuple[str, ...]
    postmortem: str | None = None


def public_updates(entries: Sequence[Entry]) -> list[PublicUpdate]:
    """Return the public updates among an incident's entries, newest first."""
    updates: list[PublicUpdate] = []
    status = Status.INVESTIGATING
    for entry in entries:
        fact = entry.fact
        if isinstance(fact, StatusChanged):
            status = fact.status
        elif isinstance(fact, Resolved):
            status = Status.RESOLVED
        if not is_public(entry):
            continue
        if isinstance(fact, ImpactSet):
            updates.append(
                PublicUpdate(entry.id, entry.at, status, "", fact.components, fact.status)
            )
        else:
            body = public_text(entry.text) if entry.text else ""
            body = body or (RESOLVED_BODY if isinstance(fact, Resolved) else "")
            updates.append(PublicUpdate(entry.id, entry.at, status, body))
    return updates[::-1]


@dataclass(frozen=True)
class IncidentRecord:
    """What the public page needs of one incident: its core fields and its entries."""

    id: int
    uid: str
    number: int
    name: str
    severity: Severity
    status: Status
    created_at: datetime
    resolved_at: datetime | None
    entries: Sequence[Entry]
    postmortem: str | None = None


@dataclass(frozen=True)
class PublicPage:
    """Everything the public status page shows, at one moment."""

    title: str
    url: str
    generated_at: datetime
    components: dict[str, ComponentStatus]
    indicator: Impact
    active: list[PublicIncident]
    history: list[PublicIncident]
    availability: list[Availability]

    @property
    def description(self) -> str:
        """Return the overall status sentence."""
        return INDICATOR_TEXT[self.indicator]


def public_incident(
    record: IncidentRecord, impact_of: Mapping[Severity, Impact]
) -> PublicIncident | None:
    """Return the incident as the public sees it, or None if it never published anything."""
    updates = public_updates(record.entries)
    if not updates:
        return None
    monitoring = next((u.at for u in reversed(updates) if u.status is Status.MONITORING), None)
    touched = tuple(dict.fromkeys(c for u in updates[::-1] for c in u.components))
    last = max(u.at for u in updates)
    return PublicIncident(
        uid=record.uid,
        number=record.number,
        name=public_text(record.name),
        status=Status.RESOLVED if record.resolved_at else updates[0].status,
        impact=impact_of[record.severity],
        created_at=updates[-1].at,
        updated_at=last,
        resolved_at=record.resolved_at,
        monitoring_at=monitoring,
        updates=updates,
        components=touched,
        postmortem=public_text(record.postmortem) if record.postmortem else None,
    )


def assemble_page(
    *,
    title: str,
    url: str,
    components: Sequence[str],
    records: Iterable[IncidentRecord],
    impact_of: Mapping[Severity, Impact],
    now: datetime,
    days: int = 90,
) -> PublicPage:
    """Build the public page from incident records: nothing internal survives this step."""
    active: list[PublicIncident] = []
    history: list[PublicIncident] = []
    windows: list[Window] = []
    horizon = now - timedelta(days=days)
    for record in records:
        public = public_incident(record, impact_of)
        if public is None:
            continue
        windows.extend(impact_windows(record.id, record.entries, record.resolved_at))
        if public.resolved_at is None:
            active.append(public)
        elif public.resolved_at >= horizon:
            history.append(public)
    names = list(dict.fromkeys([*components, *(w.component for w in windows)]))
    states = component_states(names, windows)
    active.sort(key=lambda i: i.created_at, reverse=True)
    history.sort(key=lambda i: i.resolved_at or i.created_at, reverse=True)
    return PublicPage(
        title=title,
        url=url,
        generated_at=now,
        components=states,
        indicator=page_impact(states, (i.impact for i in active)),
        active=active,
        history=history,
        availability=[availability(n, windows, now, days) for n in names],
    )


@dataclass(frozen=True)
class Mirrored:
    """What Atlassian Statuspage mirrors of one incident, and its remote ID once created."""

    id: int
    uid: str
    name: str
    severity: Severity
    remote_id: str | None
    postmortem: str | None
