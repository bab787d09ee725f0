"""The whole public page at one moment: banner, components, incidents and bars. Pure."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.domain.availability import (
    Availability,
    Window,
    availability,
    component_states,
    impact_windows,
)
from bot.domain.components import ComponentStatus
from bot.domain.model import Severity
from bot.domain.public import (
    COMPONENT_IMPACT,
    INDICATOR_TEXT,
    Impact,
    IncidentRecord,
    PublicIncident,
    incident_page_url,
    public_incident,
)


@dataclass(frozen=True)
class PublicPage:
    """Everything the public status page shows, at one moment."""

    title: str
    url: str  # the page's own address, …/status
    generated_at: datetime
    updated_at: datetime  # when public data last changed: the same on every replica
    components: dict[str, ComponentStatus]
    indicator: Impact
    description: str  # the banner, which never contradicts the components
    active: list[PublicIncident]
    history: list[PublicIncident]
    availability: list[Availability]
    support_url: str | None = None

    def incident_url(self, uid: str) -> str:
        """Return the address of one incident's own page."""
        return incident_page_url(self.url, uid)

    def incident(self, uid: str) -> PublicIncident | None:
        """Return the active or past incident with this public ID."""
        return next((i for i in [*self.active, *self.history] if i.uid == uid), None)

    def history_by_day(self) -> list[tuple[date, list[PublicIncident]]]:
        """Return past incidents grouped by the day they started (UTC), newest day first."""
        ordered = sorted(self.history, key=lambda i: i.created_at, reverse=True)
        return [
            (day, list(group))
            for day, group in itertools.groupby(ordered, key=lambda i: i.created_at.date())
        ]


def banner(
    states: Mapping[str, ComponentStatus], active: Iterable[PublicIncident]
) -> tuple[Impact, str]:
    """Return the page's indicator and sentence.

    Components drive them ("Partial outage: Checkout, API"); an open incident's own impact
    counts only when it names no component, so the banner never contradicts the components.
    """
    worst = max(states.values(), default=ComponentStatus.OPERATIONAL, key=lambda s: s.rank)
    indicator = COMPONENT_IMPACT[worst]
    description = INDICATOR_TEXT[Impact.NONE]
    if worst is not ComponentStatus.OPERATIONAL:
        names = ", ".join(name for name, state in states.items() if state is worst)
        description = f"{worst.label}: {names}"
    for incident in active:
        if not incident.components and incident.impact.rank > indicator.rank:
            indicator, description = incident.impact, INDICATOR_TEXT[incident.impact]
    return indicator, description


def assemble_page(
    *,
    title: str,
    url: str,
    components: Sequence[str],
    records: Iterable[IncidentRecord],
    impact_of: Mapping[Severity, Impact],
    now: datetime,
    days: int = 90,
    support_url: str | None = None,
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
        if record.status.counts:  # a false alarm takes nothing off the availability bars
            windows.extend(impact_windows(record.id, record.entries, record.resolved_at))
        if public.resolved_at is None:
            active.append(public)
        elif public.resolved_at >= horizon:
            history.append(public)
    names = list(dict.fromkeys([*components, *(w.component for w in windows)]))
    states = component_states(names, windows)
    active.sort(key=lambda i: i.created_at, reverse=True)
    history.sort(key=lambda i: i.resolved_at or i.created_at, reverse=True)
    indicator, description = banner(states, active)
    changed = [i.resolved_at or i.updated_at for i in [*active, *history]]
    today = datetime(now.year, now.month, now.day, tzinfo=now.tzinfo)
    return PublicPage(
        title=title,
        url=url,
        generated_at=now,
        updated_at=max(changed, default=today),
        components=states,
        indicator=indicator,
        description=description,
        active=active,
        history=history,
        availability=[availability(n, windows, now, days) for n in names],
        support_url=support_url,
    )
