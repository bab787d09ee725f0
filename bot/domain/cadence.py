"""How often stakeholders expect an update, and who is reminded when one is due."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.domain.errors import UsageError
from bot.domain.model import Role, Severity

# None: no reminders for that severity.
Cadences = Mapping[Severity, timedelta | None]
DEFAULT_CADENCE: dict[Severity, timedelta | None] = {
    Severity.SEV1: timedelta(minutes=30),
    Severity.SEV2: timedelta(hours=1),
    Severity.SEV3: timedelta(hours=4),
    Severity.SEV4: None,
}
_DURATION = re.compile(r"(\d{1,6})([smh])")
_UNITS = {"s": 1, "m": 60, "h": 3600}
OFF = "off"


def parse_duration(text: str) -> timedelta | None:
    """Parse `30m`, `1h`, `90s`, `1h30m` or `off` (None); raise UsageError otherwise."""
    word = text.strip().lower()
    if word == OFF:
        return None
    parts = _DURATION.findall(word)
    if not parts or "".join(n + u for n, u in parts) != word:
        raise UsageError(
            f"`{text}` is not a cadence. Write a duration like `30m`, `1h`, `45s`, or `off`."
        )
    seconds = sum(int(n) * _UNITS[u] for n, u in parts)
    if seconds < 1 or seconds > 7 * 86400:
        raise UsageError("A cadence must be between 1s and 7 days (168h).")
    return timedelta(seconds=seconds)


def parse_cadences(text: str) -> dict[Severity, timedelta | None]:
    """Parse `sev1=30m,sev2=1h,sev3=4h,sev4=off` onto the defaults; raise ValueError if bad."""
    cadences = dict(DEFAULT_CADENCE)
    for pair in filter(None, (p.strip() for p in text.split(","))):
        severity, _, duration = pair.partition("=")
        try:
            cadences[Severity(severity.strip().lower())] = parse_duration(duration)
        except UsageError as error:
            raise ValueError(error.message) from None
    return cadences


_WINDOW = re.compile(r"(\d{1,6})([dhms])")
_WINDOW_UNITS = {"d": 86400, **_UNITS}


def parse_window(text: str) -> timedelta:
    """Parse a window like `7d`, `36h`, `1d12h` or `90m` (1 minute to 365 days); else ValueError."""
    word = text.strip().lower()
    parts = _WINDOW.findall(word)
    if not parts or "".join(n + u for n, u in parts) != word:
        raise ValueError("write a duration like 7d, 36h or 90m")
    seconds = sum(int(n) * _WINDOW_UNITS[u] for n, u in parts)
    if not 60 <= seconds <= 365 * 86400:
        raise ValueError("must be between 1m and 365d")
    return timedelta(seconds=seconds)


def spoken(span: timedelta) -> str:
    """Return a cadence as people write it: `30m`, `1h`, `1h30m`, `45s`."""
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return text + (f"{secs}s" if secs else "") or "0s"


def next_due(last: datetime, cadence: timedelta | None) -> datetime | None:
    """Return when the next update is due after one at `last`; None when the cadence is off."""
    return last + cadence if cadence is not None else None


def reminded(roles: Mapping[Role, str], declared_by: str) -> str:
    """Return who a reminder mentions: the communications lead, else the commander, else the
    declarer."""
    return roles.get(Role.COMMS) or roles.get(Role.COMMANDER) or declared_by
