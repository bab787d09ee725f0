"""Incident vocabulary: severities, statuses, roles and the rules between them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.milestones import Milestones


class Severity(StrEnum):
    SEV1 = "sev1"
    SEV2 = "sev2"
    SEV3 = "sev3"
    SEV4 = "sev4"

    @property
    def label(self) -> str:
        """Return the upper-case label shown to people (`SEV1`)."""
        return self.value.upper()


class Status(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    CANCELED = "canceled"  # closed as a false alarm: no duration, no metrics, no post-mortem

    @property
    def is_open(self) -> bool:
        """Return whether an incident in this status still accepts changes."""
        return self not in CLOSED

    @property
    def counts(self) -> bool:
        """Return whether the incident counts in durations, metrics and availability."""
        return self is not Status.CANCELED


# The statuses of a closed incident: it takes no more changes (until reopened).
CLOSED = frozenset({Status.RESOLVED, Status.CANCELED})


# The statuses people may set with `/incident status`; resolving has its own command.
SETTABLE_STATUSES = (Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING)


class Role(StrEnum):
    COMMANDER = "commander"
    COMMS = "comms"
    SCRIBE = "scribe"
    LEAD = "lead"

    @property
    def label(self) -> str:
        """Return the role's human title."""
        return ROLE_TITLES[self]

    @property
    def duty(self) -> str:
        """Return one sentence telling the holder what the role is for."""
        return ROLE_DUTIES[self]


ROLE_TITLES: dict[Role, str] = {
    Role.COMMANDER: "Incident commander",
    Role.COMMS: "Communications lead",
    Role.SCRIBE: "Scribe",
    Role.LEAD: "Technical lead",
}

ROLE_DUTIES: dict[Role, str] = {
    Role.COMMANDER: "You coordinate the response: set priorities, assign roles and decide "
    "when the incident is resolved.",
    Role.COMMS: "You keep stakeholders and customers informed: post status changes and "
    "public messages.",
    Role.SCRIBE: "You keep the timeline complete: record decisions and findings with "
    "`/incident update` and pin key messages with :pushpin:.",
    Role.LEAD: "You lead the technical investigation and mitigation.",
}


@dataclass(frozen=True)
class IncidentState:
    """An incident as people see it, independent of storage."""

    id: int
    number: int
    title: str
    severity: Severity
    status: Status
    declared_by: str
    channel_id: str | None
    channel_name: str | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    # None: not loaded (a reply that shows neither reads neither); {} means nobody holds a role.
    roles: dict[Role, str] | None = None
    last_update: str | None = None
    public_name: str | None = None
    uid: str = ""
    milestones: Milestones | None = None
    cadence: timedelta | None = None  # None: no update reminders
    next_update_at: datetime | None = None
    last_update_at: datetime | None = None
    public: bool = False  # it has published something (known when roles are loaded)
    statuspage_url: str | None = None  # its Atlassian Statuspage page, once created
    channel_archived: bool = False  # a post found its channel archived (not unarchived since)
    call_url: str | None = None  # its call (INCIDENT_CALL_URL), filled in where it is shown
    private: bool = False  # a private channel; never announced nor on a public surface

    @property
    def ref(self) -> str:
        """Return the incident's reference, `INC-7`."""
        return f"INC-{self.number}"

    def held(self, role: Role) -> str | None:
        """Return who holds `role` now; the roles must have been loaded."""
        assert self.roles is not None, "roles were not loaded for this incident"
        return self.roles.get(role)

    @property
    def commander(self) -> str | None:
        """Return the current commander's user ID."""
        return self.held(Role.COMMANDER)
