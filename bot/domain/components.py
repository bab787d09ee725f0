"""Component states as Statuspage names them, and how people may write them."""

from __future__ import annotations

from enum import StrEnum

from bot.domain.errors import UsageError


class ComponentStatus(StrEnum):
    """Statuspage's component statuses, mildest first."""

    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance"
    PARTIAL_OUTAGE = "partial_outage"
    MAJOR_OUTAGE = "major_outage"

    @property
    def rank(self) -> int:
        """Return how bad this is, 0 for operational."""
        return list(ComponentStatus).index(self)

    @property
    def label(self) -> str:
        """Return the text a reader sees."""
        return self.value.replace("_", " ").capitalize()


_ALIASES = {
    "operational": ComponentStatus.OPERATIONAL,
    "ok": ComponentStatus.OPERATIONAL,
    "degraded": ComponentStatus.DEGRADED_PERFORMANCE,
    "partial": ComponentStatus.PARTIAL_OUTAGE,
    "major": ComponentStatus.MAJOR_OUTAGE,
    "outage": ComponentStatus.MAJOR_OUTAGE,
    "maintenance": ComponentStatus.UNDER_MAINTENANCE,
}


def parse_component_status(word: str) -> ComponentStatus:
    """Parse `degraded`, `partial_outage`, `major` ... or raise a UsageError with the choices."""
    key = word.lower()
    found = _ALIASES.get(key)
    if found is None and key in {s.value for s in ComponentStatus}:
        found = ComponentStatus(key)
    if found is None:
        raise UsageError(
            f"`{word}` is not a component state. Use one of: operational, "
            "degraded, partial, major, maintenance."
        )
    return found
