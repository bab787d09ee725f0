"""Paging and alerts: PagerDuty's severities, routing keys, and what an alert is worth."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.domain.model import Severity

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
LEVEL_WORDS = "one of critical, error, warning, info"
_SERVICE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


class Secretish(Protocol):
    def get_secret_value(self) -> str: ...


class AlertLevel(StrEnum):
    """PagerDuty's event severities, which alert severities are read as (highest first)."""

    CRITICAL = "critical"
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Return 0 for critical up to 3 for info."""
        return list(AlertLevel).index(self)

    def at_least(self, other: AlertLevel) -> bool:
        """Return whether this level is as severe as `other` or more."""
        return self.rank <= other.rank

    @property
    def severity(self) -> Severity:
        """Return the incident severity an alert at this level declares."""
        return (Severity.SEV1, Severity.SEV2, Severity.SEV3, Severity.SEV4)[self.rank]


def page_level(severity: Severity) -> AlertLevel:
    """Return the PagerDuty severity a page for an incident at `severity` carries."""
    order = (Severity.SEV1, Severity.SEV2, Severity.SEV3, Severity.SEV4)
    return list(AlertLevel)[order.index(severity)]


# Alert label words that are not PagerDuty's own, read as the nearest of them.
_ALIASES = {"page": "critical", "high": "error", "major": "error", "minor": "warning"}


def read_level(word: str | None) -> AlertLevel | None:
    """Return an alert's level from its `severity` label (unknown: None)."""
    word = (word or "").strip().lower()
    word = _ALIASES.get(word, word)
    return AlertLevel(word) if word in AlertLevel.__members__.values() else None


def parse_routing_keys(text: str) -> dict[str, str]:
    """Read `payments=<key>,core=<key>`; raise ValueError saying what is wrong."""
    keys: dict[str, str] = {}
    for pair in (p.strip() for p in text.split(",") if p.strip()):
        service, sep, key = (part.strip() for part in pair.partition("="))
        if not sep or not _SERVICE.fullmatch(service):
            raise ValueError(
                "must be pairs like payments=<key>,core=<key> (services in lowercase letters, "
                "digits, - or _)"
            )
        if len(key) != 32 or not key.isalnum():
            raise ValueError(f"has a key for {service} that is not a 32-character routing key")
        if service in keys:
            raise ValueError(f"names {service} twice")
        keys[service] = key
    if not keys:
        raise ValueError("must name at least one service=<key> pair")
    return keys


def routing_keys_ok(keys: Secretish) -> bool:
    """Return whether PAGERDUTY_ROUTING_KEYS reads as service=key pairs."""
    try:
        parse_routing_keys(keys.get_secret_value())
    except ValueError:
        return False
    return True


def keys_of(keys: Secretish | None) -> dict[str, str]:
    """Return each service's routing key from PAGERDUTY_ROUTING_KEYS (unset: none)."""
    return parse_routing_keys(keys.get_secret_value()) if keys is not None else {}


def dedup_key(incident_uid: str, service: str) -> str:
    """Return the PagerDuty dedup key of an incident's page to a service: one alert each."""
    return f"warroom-{incident_uid}-{service}"


@dataclass(frozen=True)
class AlertSeen:
    """One alert from a webhook, read at the edge: who sent it, its key, and what it says."""

    source: str  # "pagerduty" or "alertmanager"
    key: str  # the alert's fingerprint, or PagerDuty's incident ID
    title: str
    level: AlertLevel | None
    firing: bool
    url: str | None = None
