"""Benchmark data: a long post-mortem timeline, and a database with a long public history."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.milestones import Milestones
from bot.domain.model import Entry, EntryKind, Role, Severity, Status
from bot.domain.postmortem import Action, PostmortemData, RoleTerm, render_postmortem
from storage import incidents as q
from storage.db import Database
from storage.migrate import migrate

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
_COMPONENT_STATES = ("degraded_performance", "partial_outage", "major_outage")


def _entry(i: int, at: datetime, components: Sequence[str]) -> Entry:
    """Return the i-th entry of a long incident: mostly updates, every other kind mixed in."""
    who, other = PEOPLE[i % 4], PEOPLE[(i + 1) % 4]
    kind = i % 20
    data: dict[str, Any]
    if kind == 1:
        role = list(Role)[i % 4]
        data = {"role": role.value, "user": who, "previous": other}
        return Entry(i, at, other, EntryKind.ROLE, "", data)
    if kind == 3:
        sev, prev = _SEVERITIES[i % 4], _SEVERITIES[(i + 1) % 4]
        data = {"severity": sev.value, "previous": prev.value}
        return Entry(i, at, who, EntryKind.SEVERITY, "", data)
    if kind == 5:
        status, prev_status = _STATUSES[i % 3], _STATUSES[(i + 2) % 3]
        data = {"status": status.value, "previous": prev_status.value}
        text = f"We are rolling back config {i}; checkout errors are <!here> falling"
        return Entry(i, at, who, EntryKind.STATUS, text, data)
    if kind == 7:
        data = {"components": list(components[: 1 + i % 2]), "status": _COMPONENT_STATES[i % 3]}
        return Entry(i, at, who, EntryKind.IMPACT, "", data)
    if kind == 9:
        text = f"Payment gateway p99 went from 200ms to 9s after push {i} <#C0GENERAL|general>"
        return Entry(i, at, other, EntryKind.PINNED, text, {"pinned_by": who})
    if kind == 11:
        data = {"milestone": "detected", "at": at.isoformat()}
        return Entry(i, at, who, EntryKind.MILESTONE, "", data)
    if kind == 13:
        data = {"number": i // 20 + 1, "owner": other, "verb": "added"}
        return Entry(i, at, who, EntryKind.ACTION, f"Alert on gateway p99 <@{other}> ({i})", data)
    if kind == 15:
        data = {"name": f"Checkout errors ({i})", "previous": None}
        return Entry(i, at, who, EntryKind.PUBLIC_NAME, f"Checkout errors ({i})", data)
    return Entry(i, at, who, EntryKind.UPDATE, _UPDATE.format(i=i), {})


def postmortem_data(
    entries: int, components: Sequence[str] = ("API", "Checkout")
) -> PostmortemData:
    """Return a resolved incident with `entries` timeline entries of mixed kinds."""
    start = datetime(2025, 3, 4, 13, 50, tzinfo=UTC)
    step = timedelta(seconds=3)
    timeline = [
        Entry(
            0,
            start,
            PEOPLE[0],
            EntryKind.DECLARED,
            "Checkout <!channel> failing",
            {"severity": "sev2"},
        ),
        *(_entry(i, start + i * step, components) for i in range(1, entries - 1)),
    ]
    end = start + entries * step
    resolved = {"status": "resolved", "previous": "monitoring", "public": True}
    timeline.append(
        Entry(entries, end, PEOPLE[0], EntryKind.RESOLVED, "Healthy for 30 minutes", resolved)
    )
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
        severity=severity.value,
        status=Status.RESOLVED.value if resolved else Status.IDENTIFIED.value,
        declared_by=PEOPLE[k % 4],
        origin_channel_id="C0GENERAL",
        now=created,
    )
    minute = timedelta(minutes=1)
    length = 20 + k % 7 * 15  # 20 min .. 1h50
    incident.public_name = f"Slow checkout for some customers ({k})" if k % 2 else None
    incident.updated_at = created + (length if resolved else 9) * minute
    if resolved:
        incident.mitigated_at = created + length // 2 * minute
        incident.resolved_at = created + length * minute
    session.add(incident)
    component = components[k % len(components)]
    state = _COMPONENT_STATES[k % 3]
    plan: list[tuple[int, EntryKind, str, dict[str, Any]]] = [
        (0, EntryKind.DECLARED, incident.title, {"severity": severity.value}),
        (5, EntryKind.IMPACT, "", {"components": [component], "status": state}),
        (
            8,
            EntryKind.STATUS,
            f"We found why checkout is slow for some customers ({k}) and are fixing it.",
            {"status": "identified", "previous": "investigating"},
        ),
        (9, EntryKind.UPDATE, f"internal: shard pay-{k} failover started by <@U0BOB>", {}),
    ]
    if resolved:
        plan += [
            (
                length // 2,
                EntryKind.STATUS,
                "A fix is in place and we are monitoring the results.",
                {"status": "monitoring", "previous": "identified"},
            ),
            (
                length,
                EntryKind.RESOLVED,
                "Checkout has been healthy for 30 minutes.",
                {"status": "resolved", "previous": "monitoring", "public": True},
            ),
        ]
    for minutes, kind, text, data in plan:
        await q.add_entry(
            session=session,
            incident=incident,
            at=created + minutes * minute,
            actor_id=PEOPLE[(k + minutes) % 4],
            kind=kind.value,
            text=text,
            data=data,
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
            await q.bump_counter(session=session, name=q.PUBLIC_VERSION)
    finally:
        await db.dispose()
