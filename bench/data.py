"""Benchmark data: a long post-mortem timeline, and a database with a long public history."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.components import ComponentStatus
from bot.domain.entries import (
    ActionAdded,
    Declared,
    Entry,
    Fact,
    ImpactSet,
    MilestoneSet,
    Pinned,
    PublicNameSet,
    Resolved,
    RoleAssigned,
    SeverityChanged,
    StatusChanged,
    Updated,
)
from bot.domain.milestones import Milestone, Milestones
from bot.domain.model import Role, Severity, Status
from bot.domain.postmortem import Action, PostmortemData, RoleTerm, render_postmortem
from storage import incidents as q
from storage.counters import PUBLIC_VERSION, bump_counter
from storage.db import Database
from storage.migrate import migrate
from storage.timeline import add_entry

PEOPLE = ("U0ALICE", "U0BOB", "U0CAROL", "U0DAVE")
NAMES = {
    "U0ALICE": "Alice Ng",
    "U0BOB": "Bob Okafor",
    "U0CAROL": "Carol Díaz",
    "U0DAVE": "Dave Kim",
}
_UPDATE = (
    "Error rate {i}% on `/checkout` since 14:02; <@U0BOB> is on it, see "
    "<https://grafana.example.com/d/abc?var=eu-west|the dashboard> & *shard pay-{i}*"
)
_SEVERITIES = list(Severity)
_STATUSES = (Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING)
_COMPONENT_STATES = (
    ComponentStatus.DEGRADED_PERFORMANCE,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.MAJOR_OUTAGE,
)


def _at(i: int, at: datetime, actor: str, fact: Fact, text: str = "") -> Entry:
    return Entry(id=i, at=at, actor_id=actor, text=text, fact=fact)


def _entry(i: int, at: datetime, components: Sequence[str]) -> Entry:
    """Return the i-th entry of a long incident: mostly updates, every other kind mixed in."""
    who, other = PEOPLE[i % 4], PEOPLE[(i + 1) % 4]
    kind = i % 20
    if kind == 1:
        role = list(Role)[i % 4]
        return _at(i, at, other, RoleAssigned(role, who, previous=other))
    if kind == 3:
        sev, prev = _SEVERITIES[i % 4], _SEVERITIES[(i + 1) % 4]
        return _at(i, at, who, SeverityChanged(sev, previous=prev))
    if kind == 5:
        status, prev_status = _STATUSES[i % 3], _STATUSES[(i + 2) % 3]
        text = f"We are rolling back config {i}; checkout errors are <!here> falling"
        return _at(i, at, who, StatusChanged(status, previous=prev_status), text)
    if kind == 7:
        fact = ImpactSet(tuple(components[: 1 + i % 2]), _COMPONENT_STATES[i % 3])
        return _at(i, at, who, fact)
    if kind == 9:
        text = f"Payment gateway p99 went from 200ms to 9s after push {i} <#C0GENERAL|general>"
        return _at(i, at, other, Pinned(pinned_by=who), text)
    if kind == 11:
        return _at(i, at, who, MilestoneSet(Milestone.DETECTED, at))
    if kind == 13:
        action = ActionAdded(i // 20 + 1, owner=other)
        return _at(i, at, who, action, f"Alert on gateway p99 <@{other}> ({i})")
    if kind == 15:
        return _at(i, at, who, PublicNameSet(previous=None), f"Checkout errors ({i})")
    return _at(i, at, who, Updated(), _UPDATE.format(i=i))


def postmortem_data(
    entries: int, components: Sequence[str] = ("API", "Checkout")
) -> PostmortemData:
    """Return a resolved incident with `entries` timeline entries of mixed kinds."""
    start = datetime(2025, 3, 4, 13, 50, tzinfo=UTC)
    step = timedelta(seconds=3)
    timeline = [
        _at(0, start, PEOPLE[0], Declared(Severity.SEV2), "Checkout <!channel> failing"),
        *(_entry(i, start + i * step, components) for i in range(1, entries - 1)),
    ]
    end = start + entries * step
    resolved = Resolved(previous=Status.MONITORING, public=True)
    timeline.append(_at(entries, end, PEOPLE[0], resolved, "Healthy for 30 minutes"))
    roles = [
        RoleTerm(role, PEOPLE[n], start + n * step, None if n else start + 600 * step)
        for n, role in enumerate(Role)
    ]
    actions = [
        Action(
            n, f"Follow-up {n}: canary config pushes <@{PEOPLE[n % 4]}>", PEOPLE[n % 4], n % 2 == 0
        )
        for n in range(1, 13)
    ]
    return PostmortemData(
        ref="INC-42",
        title="Checkout API failing: <!channel> 5xx on /pay",
        public_name="Checkout errors for some customers",
        severity=Severity.SEV1,
        status=Status.RESOLVED,
        declared_by=PEOPLE[0],
        created_at=start,
        milestones=Milestones(
            started=start - timedelta(minutes=10),
            detected=start,
            mitigated=end - timedelta(minutes=30),
            resolved=end,
        ),
        roles=roles,
        timeline=timeline,
        actions=actions,
        names=NAMES,
    )


def time_postmortem(entries: int, repeat: int) -> tuple[list[float], int]:
    """Render the draft `repeat` times; return the times in ms and the draft's size."""
    data = postmortem_data(entries)
    zone = ZoneInfo("America/New_York")
    times: list[float] = []
    size = 0
    for _ in range(repeat):
        started = time.perf_counter()
        size = len(render_postmortem(data, zone=zone, zone_name="America/New_York"))
        times.append((time.perf_counter() - started) * 1000)
    return times, size


async def _history_incident(
    session: AsyncSession,
    k: int,
    created: datetime,
    components: Sequence[str],
    *,
    resolved: bool,
) -> None:
    severity = _SEVERITIES[k % 4]
    incident = await q.create_incident(
        session=session,
        title=f"Shard pay-{k} timeouts (internal: db-{k % 13})",
        severity=severity,
        declared_by=PEOPLE[k % 4],
        origin_channel_id="C0GENERAL",
        now=created,
    )
    minute = timedelta(minutes=1)
    length = 20 + k % 7 * 15  # 20 min .. 1h50
    incident.status = (Status.RESOLVED if resolved else Status.IDENTIFIED).value
    incident.public_name = f"Slow checkout for some customers ({k})" if k % 2 else None
    incident.updated_at = created + (length if resolved else 9) * minute
    if resolved:
        incident.mitigated_at = created + length // 2 * minute
        incident.resolved_at = created + length * minute
    session.add(incident)
    component = components[k % len(components)]
    state = _COMPONENT_STATES[k % 3]
    plan: list[tuple[int, Fact, str]] = [
        (0, Declared(severity), incident.title),
        (5, ImpactSet((component,), state), ""),
        (
            8,
            StatusChanged(Status.IDENTIFIED, previous=Status.INVESTIGATING),
            f"We found why checkout is slow for some customers ({k}) and are fixing it.",
        ),
        (9, Updated(), f"internal: shard pay-{k} failover started by <@U0BOB>"),
    ]
    if resolved:
        plan += [
            (
                length // 2,
                StatusChanged(Status.MONITORING, previous=Status.IDENTIFIED),
                "A fix is in place and we are monitoring the results.",
            ),
            (
                length,
                Resolved(previous=Status.MONITORING, public=True),
                "Checkout has been healthy for 30 minutes.",
            ),
        ]
    assert incident.id is not None
    incident.entry_count = len(plan)  # the places its entries take below
    for seq, (minutes, fact, text) in enumerate(plan, start=1):
        await add_entry(
            session=session,
            incident_id=incident.id,
            seq=seq,
            at=created + minutes * minute,
            actor_id=PEOPLE[(k + minutes) % 4],
            fact=fact,
            text=text,
        )


async def build_history(
    url: str, *, resolved: int, open_: int, components: Sequence[str], now: datetime
) -> None:
    """Create a database holding `resolved` public incidents over 88 days, and `open_` open."""
    db = Database(url)
    try:
        await migrate(db)
        span = timedelta(days=88)
        async with db.write() as session:
            for k in range(resolved):
                created = now - span + span * k / resolved
                await _history_incident(session, k, created, components, resolved=True)
            for k in range(resolved, resolved + open_):
                created = now - timedelta(minutes=30 * (k - resolved + 1))
                await _history_incident(session, k, created, components, resolved=False)
            await bump_counter(session=session, name=PUBLIC_VERSION)
    finally:
        await db.dispose()


async def add_status_message(db: Database, *, number: int, text: str, now: datetime) -> None:
    """Add a public status message to the open INC-<number> and mark public data changed, as
    `/incident status` does: the public page must then be rebuilt."""
    async with db.write() as session:
        incident = await q.get_incident_by_number(session=session, number=number)
        if incident is None or incident.id is None:
            raise LookupError(f"no INC-{number} in the history")
        incident.entry_count += 1
        incident.updated_at = now
        session.add(incident)
        await add_entry(
            session=session,
            incident_id=incident.id,
            seq=incident.entry_count,
            at=now,
            actor_id=PEOPLE[number % 4],
            fact=StatusChanged(Status.IDENTIFIED, previous=Status.IDENTIFIED),
            text=text,
        )
        await bump_counter(session=session, name=PUBLIC_VERSION)
