"""When components were away from operational, and the availability bars that show it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from bot.domain.components import ComponentStatus
from bot.domain.entries import CLOSING, Entry, ImpactSet, MilestoneSet, Reopened
from bot.domain.milestones import Milestone

# Share of a window that counts as downtime in the availability figure (as Statuspage does).
_DOWNTIME_WEIGHT = {ComponentStatus.MAJOR_OUTAGE: 1.0, ComponentStatus.PARTIAL_OUTAGE: 0.3}
# The best a period with any downtime can show: rounding never turns an outage into 100.00%.
_BEST_WITH_DOWNTIME = 99.99


@dataclass(frozen=True)
class Window:
    """A component held in a state by one incident from `start` to `end` (None: still)."""

    component: str
    status: ComponentStatus
    start: datetime
    end: datetime | None
    incident_id: int


def impact_started(entries: Iterable[Entry]) -> datetime | None:
    """Return when impact started as last corrected (the `started` milestone), if it was."""
    started = None
    for entry in entries:
        if isinstance(entry.fact, MilestoneSet) and entry.fact.milestone is Milestone.STARTED:
            started = entry.fact.to
    return started


def impact_windows(
    incident_id: int, entries: Sequence[Entry], resolved_at: datetime | None
) -> list[Window]:
    """Return the windows in which the incident held components away from operational.

    The first windows start at the corrected impact start when it is earlier than the moment
    someone typed the component change: the bars count the outage, not the typing.
    """
    windows: list[Window] = []
    open_: dict[str, tuple[ComponentStatus, datetime]] = {}
    closed: datetime | None = None
    for entry in entries:
        if isinstance(entry.fact, CLOSING):
            closed = entry.at
        if isinstance(entry.fact, Reopened) and closed is not None:
            # Closed, then reopened: the close ended its impact; a reopen sets impact anew.
            windows += [Window(c, s, t, closed, incident_id) for c, (s, t) in open_.items()]
            open_, closed = {}, None
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
    started = impact_started(entries)
    if started is None or not windows:
        return windows
    first = min(w.start for w in windows)
    return [
        replace(w, start=started) if w.start == first and started < first else w for w in windows
    ]


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


def _day(
    day: date, windows: Sequence[Window], now: datetime
) -> tuple[ComponentStatus, float, bool]:
    """Return the day's worst state, its weighted downtime in minutes, and whether it had any."""
    start = datetime(day.year, day.month, day.day, tzinfo=now.tzinfo)
    end = min(start + timedelta(days=1), now)
    worst, down, hit = ComponentStatus.OPERATIONAL, 0.0, False
    for window in windows:
        lo, hi = max(window.start, start), min(window.end or now, end)
        if hi <= lo:
            continue
        worst = window.status if window.status.rank > worst.rank else worst
        weight = _DOWNTIME_WEIGHT.get(window.status, 0.0)
        down += (hi - lo).total_seconds() / 60 * weight
        hit = hit or weight > 0
    return worst, min(down, 1440.0), hit


def availability(
    component: str, windows: Iterable[Window], now: datetime, days: int = 90
) -> Availability:
    """Return the per-day worst state and the uptime percentage over the last `days` days."""
    first = (now - timedelta(days=days - 1)).date()
    mine = [w for w in windows if w.component == component]
    bars: list[DayBar] = []
    total_down, any_down = 0.0, False
    for offset in range(days):
        day = first + timedelta(days=offset)
        worst, down, hit = _day(day, mine, now)
        bars.append(DayBar(day, worst, down))
        total_down, any_down = total_down + down, any_down or hit
    origin = datetime(first.year, first.month, first.day, tzinfo=now.tzinfo)
    span = max((now - origin).total_seconds() / 60, 1.0)
    uptime = round(100.0 * (1 - total_down / span), 2)
    return Availability(component, bars, min(uptime, _BEST_WITH_DOWNTIME) if any_down else uptime)
