"""Follow-up actions: priorities, due dates, and how long after resolve they may be added."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.domain.errors import UsageError

# Actions may still be added this long after the incident was resolved (the review happens
# days later); every other change to a resolved incident stays refused.
ADD_AFTER_RESOLVE = timedelta(days=30)
DUE_FORMS = "`YYYY-MM-DD` or `+Nd` (days from today)"
_RELATIVE = re.compile(r"^\+(\d{1,3})d$", re.IGNORECASE)


class Priority(StrEnum):
    P1 = "p1"
    P2 = "p2"
    P3 = "p3"


@dataclass(frozen=True)
class Due:
    """A due date as typed: a day, or a number of days from the day it is given."""

    on: date | None = None
    days: int | None = None

    def resolve(self, today: date) -> date:
        """Return the day this means, counted from `today`."""
        if self.on is not None:
            return self.on
        return today + timedelta(days=self.days or 0)


def parse_priority(word: str) -> Priority:
    """Parse `p1`..`p3` (any case) or raise a UsageError naming the choices."""
    try:
        return Priority(word.lower())
    except ValueError:
        raise UsageError(f"`{word}` is not a priority. Use p1, p2 or p3.") from None


def parse_due(word: str) -> Due:
    """Parse `2026-12-01` or `+7d`, or raise a UsageError with the right forms."""
    relative = _RELATIVE.match(word)
    if relative is not None:
        return Due(days=int(relative.group(1)))
    try:
        return Due(on=date.fromisoformat(word))
    except ValueError:
        raise UsageError(f"`{word}` is not a due date. Use {DUE_FORMS}.") from None


def parse_owners(text: str) -> dict[str, str]:
    """Parse `U0ALICE=alice-gh,U0BOB=bob` (Slack user ID = tracker login)."""
    pairs = [p.strip() for p in text.split(",") if p.strip()]
    split = [p.partition("=") for p in pairs]
    owners = {k.strip(): v.strip() for k, eq, v in split if eq}
    if len(owners) != len(pairs) or not all(owners) or not all(owners.values()):
        raise ValueError("expected pairs like U0ALICE=alice-gh")
    return owners


def may_add_after(resolved_at: datetime | None, now: datetime) -> bool:
    """Return whether an action may still be added to an incident resolved at `resolved_at`."""
    return resolved_at is None or now - resolved_at <= ADD_AFTER_RESOLVE
