"""The public face of incidents: what customers read of each one. Nothing internal."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.components import ComponentStatus, parse_component_status
from bot.domain.entries import (
    CLOSING,
    Canceled,
    Entry,
    ImpactSet,
    Reopened,
    StatusChanged,
    is_public,
)
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

    @property
    def rank(self) -> int:
        """Return how bad this is, 0 for none."""
        return list(Impact).index(self)

    @property
    def label(self) -> str:
        """Return the impact in plain words, as a customer reads it."""
        return _IMPACT_LABEL[self]


DEFAULT_IMPACT: dict[Severity, Impact] = {
    Severity.SEV1: Impact.CRITICAL,
    Severity.SEV2: Impact.MAJOR,
    Severity.SEV3: Impact.MINOR,
    Severity.SEV4: Impact.NONE,
}
COMPONENT_IMPACT = {
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
_IMPACT_LABEL = {
    Impact.NONE: "No customer impact",
    Impact.MINOR: "Minor disruption",
    Impact.MAJOR: "Partial outage",
    Impact.CRITICAL: "Major outage",
}
RESOLVED_BODY = "This incident has been resolved."


def parse_impact_map(text: str) -> dict[Severity, Impact]:
    """Parse `sev1=critical,sev2=major,...` onto the default mapping; raise ValueError if bad."""
    mapping = dict(DEFAULT_IMPACT)
    for pair in filter(None, (p.strip() for p in text.split(","))):
        sev, _, impact = pair.partition("=")
        mapping[Severity(sev.strip().lower())] = Impact(impact.strip().lower())
    return mapping


def incident_page_url(page_url: str, uid: str) -> str:
    """Return the address of one incident's own page, next to the page at `page_url`."""
    return f"{page_url.removesuffix('/status')}/incidents/{uid}"


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
class PublicUpdate:
    """A message customers read, with the component changes made since the one before."""

    id: int
    at: datetime
    status: Status
    body: str
    changes: tuple[tuple[str, ComponentStatus], ...] = ()

    @property
    def text(self) -> str:
        """Return what the public reads."""
        return self.body


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
    components: tuple[str, ...]  # every component it affected, in the order it did
    states: Mapping[str, ComponentStatus]  # each one's state as the incident last set it
    postmortem: str | None = None
    counts: bool = True  # False: a false alarm (canceled), shown without a duration

    @property
    def duration(self) -> timedelta | None:
        """Return how long it lasted, once resolved (a false alarm has no duration)."""
        if not self.counts or self.resolved_at is None:
            return None
        return self.resolved_at - self.created_at


def public_updates(entries: Sequence[Entry]) -> list[PublicUpdate]:
    """Return the messages customers read among an incident's entries, newest first.

    A component change is no message: it rides with the next one, as on Statuspage.
    """
    updates: list[PublicUpdate] = []
    status = Status.INVESTIGATING
    pending: dict[str, ComponentStatus] = {}
    for entry in entries:
        fact = entry.fact
        if isinstance(fact, StatusChanged):
            status = fact.status
        elif isinstance(fact, CLOSING):  # a false alarm is, to the public, resolved
            status = Status.RESOLVED
        elif isinstance(fact, Reopened):
            status = Status.INVESTIGATING
        if isinstance(fact, ImpactSet):
            pending.update(dict.fromkeys(fact.components, fact.status))
            continue
        if not is_public(entry):
            continue
        # A false alarm's text is its internal reason: the public reads its closing message.
        said = fact.closing if isinstance(fact, Canceled) else entry.text
        body = public_text(said) if said else ""
        body = body or (RESOLVED_BODY if isinstance(fact, CLOSING) else "")
        updates.append(PublicUpdate(entry.id, entry.at, status, body, tuple(pending.items())))
        pending = {}
    return updates[::-1]


def _component_history(entries: Sequence[Entry]) -> tuple[dict[str, ComponentStatus], Impact]:
    """Return each affected component's last state, and the worst impact any state meant."""
    states: dict[str, ComponentStatus] = {}
    worst = Impact.NONE
    for entry in entries:
        if isinstance(entry.fact, ImpactSet):
            for component in entry.fact.components:
                states[component] = entry.fact.status
            worst = max(worst, COMPONENT_IMPACT[entry.fact.status], key=lambda i: i.rank)
    return states, worst


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


def public_incident(
    record: IncidentRecord, impact_of: Mapping[Severity, Impact]
) -> PublicIncident | None:
    """Return the incident as the public sees it, or None if it never published anything.

    Its impact follows the components it affected when it affected any; its severity's impact
    only when it names none.
    """
    published = [e for e in record.entries if is_public(e)]
    if not published:
        return None
    updates = public_updates(record.entries)
    states, worst = _component_history(record.entries)
    status = updates[0].status if updates else Status.INVESTIGATING
    monitoring = next((u.at for u in reversed(updates) if u.status is Status.MONITORING), None)
    return PublicIncident(
        uid=record.uid,
        number=record.number,
        name=public_text(record.name),
        status=Status.RESOLVED if record.resolved_at else status,
        impact=(worst if states else impact_of[record.severity])
        if record.status.counts
        else Impact.NONE,
        created_at=published[0].at,
        updated_at=published[-1].at,
        resolved_at=record.resolved_at,
        monitoring_at=monitoring,
        updates=updates,
        components=tuple(states),
        states=states,
        postmortem=public_text(record.postmortem) if record.postmortem else None,
        counts=record.status.counts,
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
