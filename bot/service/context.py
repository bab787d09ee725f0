"""What every use case is given: the database, the clock and the deployment's choices."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.domain.cadence import DEFAULT_CADENCE, Cadences
from bot.domain.clock import Clock, utc_now
from bot.domain.deliveries import DeliveryKind
from bot.domain.model import Severity
from bot.domain.responders import Responders
from storage.db import Database

__all__ = ["Caller", "Clock", "Context", "utc_now"]


def _no_components() -> list[str]:
    return []


@dataclass(frozen=True)
class Context:
    """Dependencies of the use cases, built once by the app."""

    db: Database
    default_severity: Severity = Severity.SEV3
    announce: bool = False
    private_announce: bool = False  # PRIVATE_ANNOUNCE_CHANNEL is set
    statuspage: bool = False
    # The backlogs each follow-up action becomes a ticket in (GitHub, Jira): one sync each.
    trackers: tuple[DeliveryKind, ...] = ()
    components: Callable[[], Sequence[str]] = _no_components
    responders_group: str | None = None
    cadences: Cadences = field(default_factory=lambda: dict(DEFAULT_CADENCE))
    clock: Clock = utc_now
    on_commit: Callable[[], None] = field(default=lambda: None)
    on_public: Callable[[], None] = field(default=lambda: None)  # public data just changed
    services: tuple[str, ...] = ()  # PagerDuty services that can be paged (none: paging off)
    page_on_sev1: str | None = None  # the service paged on its own when a SEV1 is declared
    reopen_window: timedelta = timedelta(days=7)  # how long after closing a reopen is allowed
    # SEVERITY_RESPONDERS: the user groups invited when an incident is declared at or
    # escalated to a severity; INCIDENT_CALL_URL: the call's link template, bookmarked.
    responders: Responders = field(default_factory=dict)
    call_url: str | None = None


@dataclass(frozen=True)
class Caller:
    """Who asks, and whether they are in RESPONDERS_USERGROUP (None: no group configured)."""

    user_id: str
    responder: bool | None = None
