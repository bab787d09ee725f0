"""Milestones of an incident, the durations between them, and the times people type."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.errors import UsageError


class Milestone(StrEnum):
    STARTED = "started"
    DETECTED = "detected"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        """Return the milestone as a reader sees it."""
        return {
            "started": "Impact started",
            "detected": "Detected",
            "mitigated": "Mitigated",
            "resolved": "Resolved",
        }[self.value]


_RELATIVE = re.compile(r"^-(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_DATE_CLOCK = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})$")
TIME_FORMS = "`HH:MM` (your time zone), `YYYY-MM-DD HH:MM`, ISO 8601 with offset, or `-25m`"


def parse_time(text: str, *, now: datetime, zone: tzinfo) -> datetime:
    """Parse a typed time in the reader's zone: HH:MM, date and time, ISO 8601, or -25m/-2h.

    A local time the zone skipped (clocks went forward) is refused; one it repeated (clocks
    went back) is read as its first occurrence, and `repeated_note` says so.
    """
    raw = text.strip()
    relative = _RELATIVE.match(raw)
    if relative and any(relative.groups()):
        days, hours, minutes = (int(g or 0) for g in relative.groups())
        return now - timedelta(days=days, hours=hours, minutes=minutes)
    clock = _CLOCK.match(raw)
    if clock:
        local_now = now.astimezone(zone)
        hour, minute = int(clock.group(1)), int(clock.group(2))
        at = _local(local_now.year, local_now.month, local_now.day, hour, minute, zone, raw)
        # `HH:MM` means the most recent such moment: 23:50 typed at 00:10 is yesterday.
        return _existing(at - timedelta(days=1) if _after(at, local_now) else at)
    dated = _DATE_CLOCK.match(raw)
    if dated:
        y, mo, d, h, mi = (int(g) for g in dated.groups())
        return _existing(_local(y, mo, d, h, mi, zone, raw))
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is not None and parsed.tzinfo is not None:
        return parsed
    raise UsageError(f"I can't read `{raw}` as a time. Use {TIME_FORMS}.")


def repeated_note(at: datetime) -> str | None:
    """Return what to tell the reader when `at` is a local time its zone had twice."""
    if at.tzinfo is None or at.fold or not _exists(at):
        return None
    second = at.replace(fold=1)
    if second.utcoffset() == at.utcoffset():
        return None
    return (
        f"{at:%H:%M} happened twice on {at:%Y-%m-%d} in {_zone_name(at)}; I took the first "
        f"({at:%H:%M %Z}, {at.astimezone(UTC):%H:%M} UTC). For the second, type "
        f"`{second.isoformat(timespec='minutes')}`."
    )


def _local(y: int, mo: int, d: int, h: int, mi: int, zone: tzinfo, raw: str) -> datetime:
    try:
        return datetime(y, mo, d, h, mi, tzinfo=zone)
    except ValueError:
        raise UsageError(f"`{raw}` is not a real date or time. Use {TIME_FORMS}.") from None


def _exists(at: datetime) -> bool:
    # Through UTC and back: a local time the clocks skipped comes back as another one.
    back = at.astimezone(UTC).astimezone(at.tzinfo)
    return back.replace(tzinfo=None) == at.replace(tzinfo=None)


def _after(at: datetime, local_now: datetime) -> bool:
    # A skipped time has no instant; by the wall clock, 02:30 is past once clocks read 03:10.
    if _exists(at):
        return at > local_now
    return at.replace(tzinfo=None) > local_now.replace(tzinfo=None)


def _existing(at: datetime) -> datetime:
    """Return `at`, or refuse it if its zone skipped that local time (clocks went forward)."""
    if _exists(at):
        return at
    before, after = _jump(at)
    utc = at.astimezone(UTC)
    raise UsageError(
        f"{at:%H:%M} did not exist on {at:%Y-%m-%d} in {_zone_name(at)}: "
        f"clocks went from {before} to {after}.",
        hint=(
            f"Write it in UTC or ISO 8601 with an offset, e.g. `{utc:%Y-%m-%dT%H:%MZ}` or "
            f"`{at.isoformat(timespec='minutes')}` ({at:%H:%M %Z}, "
            f"{utc.astimezone(at.tzinfo):%H:%M %Z})."
        ),
    )


def _jump(at: datetime) -> tuple[str, str]:
    """Return the wall clock's reading just before and just after the jump that skipped `at`."""
    zone = at.tzinfo
    # The jump lies between `at` read with the offset after it and with the offset before it.
    lo, hi = int(at.replace(fold=1).timestamp()), int(at.replace(fold=0).timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).utcoffset() == at.utcoffset():
            lo = mid
        else:
            hi = mid
    before = datetime.fromtimestamp(hi, UTC) + (at.utcoffset() or timedelta(0))
    after = datetime.fromtimestamp(hi, zone)
    shape = "%H:%M" if before.date() == after.date() else "%Y-%m-%d %H:%M"
    return before.strftime(shape), after.strftime(shape)


def _zone_name(at: datetime) -> str:
    return at.tzinfo.key if isinstance(at.tzinfo, ZoneInfo) else at.tzname() or "your time zone"


@dataclass(frozen=True)
class Milestones:
    """When impact started, was detected, mitigated and resolved."""

    started: datetime
    detected: datetime
    mitigated: datetime | None = None
    resolved: datetime | None = None

    def get(self, which: Milestone) -> datetime | None:
        """Return one milestone."""
        return {
            Milestone.STARTED: self.started,
            Milestone.DETECTED: self.detected,
            Milestone.MITIGATED: self.mitigated,
            Milestone.RESOLVED: self.resolved,
        }[which]

    def with_(self, which: Milestone, at: datetime, *, now: datetime) -> Milestones:
        """Return these milestones with one changed, or raise UsageError if out of order."""
        if at > now + timedelta(minutes=1):
            raise UsageError(f"{which.label} can't be in the future.")
        changed = replace(self, **{which.value: at})
        order = [(m, changed.get(m)) for m in Milestone]
        known = [(m, t) for m, t in order if t is not None]
        for (first, a), (second, b) in itertools.pairwise(known):
            if a is not None and b is not None and b < a:
                raise UsageError(
                    f"{second.label} ({_short(b)}) can't be before {first.label.lower()} "
                    f"({_short(a)})."
                )
        return changed

    def durations(self) -> dict[str, timedelta | None]:
        """Return time to detect, mitigate and resolve, and the total impact."""
        impact_end = self.mitigated or self.resolved
        return {
            "Time to detect": self.detected - self.started,
            "Time to mitigate": (self.mitigated - self.started) if self.mitigated else None,
            "Time to resolve": (self.resolved - self.started) if self.resolved else None,
            "Total impact": (impact_end - self.started) if impact_end else None,
        }


def _short(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M %Z")


def human(span: timedelta | None) -> str:
    """Return a duration the way people say it: `4h 22m`, `3d 2h`, `45s`."""
    if span is None:
        return "not yet"
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)}s"
    seconds = round(seconds / 60) * 60  # to the nearest minute: 39m59s reads as 40m
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [
        f"{days}d" if days else "",
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes and not days else "",
    ]
    return " ".join(p for p in parts if p) or "0m"
