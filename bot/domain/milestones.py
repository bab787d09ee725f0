"""Milestones of an incident, the durations between them, and the times people type."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum

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
    """Parse a typed time in the reader's zone: HH:MM, date and time, ISO 8601, or -25m/-2h."""
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
        return at - timedelta(days=1) if at > now else at
    dated = _DATE_CLOCK.match(raw)
    if dated:
        y, mo, d, h, mi = (int(g) for g in dated.groups())
        return _local(y, mo, d, h, mi, zone, raw)
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is not None and parsed.tzinfo is not None:
        return parsed
    raise UsageError(f"I can't read `{raw}` as a time. Use {TIME_FORMS}.")


def _local(y: int, mo: int, d: int, h: int, mi: int, zone: tzinfo, raw: str) -> datetime:
    try:
        return datetime(y, mo, d, h, mi, tzinfo=zone)
    except ValueError:
        raise UsageError(f"`{raw}` is not a real date or time. Use {TIME_FORMS}.") from None


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
