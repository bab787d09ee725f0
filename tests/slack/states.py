"""The sample incident the Slack rendering tests read, and the people, times and entries in it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.domain.entries import Entry, Fact
from bot.domain.model import IncidentState, Role, Severity, Status

AT = datetime(2024, 3, 5, 14, 2, 30, tzinfo=UTC)
EARLIER = datetime(2024, 3, 5, 13, 20, tzinfo=UTC)
DUE = AT + timedelta(minutes=30)
ALICE, BOB, CAROL, DAVE = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"
PUBLIC_URL = "https://status.example.com/status"
BROADCASTS = ("<!channel>", "<!here>", "<!everyone>", "<!subteam^")
RISKY_TITLE = "<@U9TITLE|mallory> broke <!channel> checkout <!here>"

# INC-7, declared by Alice at AT and commanded by her, investigating, with no reminders.
_SAMPLE = IncidentState(
    id=1,
    number=7,
    title="Checkout API failing",
    severity=Severity.SEV1,
    status=Status.INVESTIGATING,
    declared_by=ALICE,
    channel_id="C0INC7",
    channel_name="inc-7-checkout-api-failing",
    created_at=AT,
    updated_at=AT,
    resolved_at=None,
    roles={Role.COMMANDER: ALICE},
)


def sample(**changes: Any) -> IncidentState:
    """Return the sample incident, INC-7, with `changes`."""
    return replace(_SAMPLE, **changes)


def item(fact: Fact, text: str = "", actor: str = BOB) -> Entry:
    """Return a timeline entry written by `actor` at AT."""
    return Entry(id=1, at=AT, actor_id=actor, text=text, fact=fact)


def has_broadcast(text: str) -> bool:
    """Return whether `text` would notify a whole channel or group."""
    return any(token in text for token in BROADCASTS)
