"""What people can ask warroom to do: one frozen value per command, parsed by `grammar`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain.actions import Due, Priority
from bot.domain.components import ComponentStatus
from bot.domain.milestones import Milestone
from bot.domain.model import Role, Severity, Status
from bot.domain.review import ReviewFact

COMMAND = "/incident"


@dataclass(frozen=True)
class OpenDeclareModal:
    """Open the declare form (no title was given)."""


@dataclass(frozen=True)
class Declare:
    title: str
    severity: Severity | None
    private: bool = False


@dataclass(frozen=True)
class PostUpdate:
    text: str


@dataclass(frozen=True)
class AssignRole:
    role: Role
    user_id: str


@dataclass(frozen=True)
class ChangeSeverity:
    severity: Severity


@dataclass(frozen=True)
class ChangeStatus:
    status: Status
    message: str


@dataclass(frozen=True)
class SetCadence:
    cadence: timedelta | None  # None: reminders off


@dataclass(frozen=True)
class Resolve:
    message: str | None


@dataclass(frozen=True)
class Cancel:  # close as a false alarm; the reason is internal
    reason: str


@dataclass(frozen=True)
class Reopen:  # a resolved or canceled incident: investigating again
    reason: str


@dataclass(frozen=True)
class Page:
    """Page a PagerDuty service (None: list the services that can be paged)."""

    service: str | None
    message: str | None = None


@dataclass(frozen=True)
class SetImpact:
    components: tuple[str, ...]
    status: ComponentStatus


@dataclass(frozen=True)
class SetPublicName:
    name: str


@dataclass(frozen=True)
class SetMilestone:
    milestone: Milestone
    when: str


@dataclass(frozen=True)
class AddAction:
    text: str
    owner_id: str | None
    priority: Priority | None = None
    due: Due | None = None


@dataclass(frozen=True)
class EditAction:
    """Change one field of action <number>: its owner, priority or due date, or make it public."""

    number: int
    owner_id: str | None = None
    priority: Priority | None = None
    due: Due | None = None
    public: bool = False


@dataclass(frozen=True)
class CompleteAction:
    number: int


@dataclass(frozen=True)
class ListActions:
    """List the incident's follow-up actions."""


@dataclass(frozen=True)
class RequestPostmortem:
    """Render the post-mortem draft again and post it."""


@dataclass(frozen=True)
class SetReview:
    """Set the post-mortem's owner, status or review date."""

    fact: ReviewFact


@dataclass(frozen=True)
class OpenPublishModal:
    """Open the form that publishes the public post-incident summary."""


@dataclass(frozen=True)
class ShowSummary:
    """Show the incident's current state to the caller."""


@dataclass(frozen=True)
class ShowTimeline:
    """Show the incident's timeline to the caller."""


@dataclass(frozen=True)
class ListIncidents:
    """List open incidents."""


@dataclass(frozen=True)
class ShowHelp:
    """Show the command reference."""


Command = (
    OpenDeclareModal
    | Declare
    | PostUpdate
    | AssignRole
    | ChangeSeverity
    | ChangeStatus
    | Resolve
    | Cancel
    | Reopen
    | SetCadence
    | Page
    | SetImpact
    | SetPublicName
    | SetMilestone
    | AddAction
    | EditAction
    | CompleteAction
    | ListActions
    | RequestPostmortem
    | SetReview
    | OpenPublishModal
    | ShowSummary
    | ShowTimeline
    | ListIncidents
    | ShowHelp
)


def needs_responder(command: Command, default: Severity) -> bool:
    """Return whether only responders (or the commander) may run this command."""
    match command:
        case Declare(severity=severity):
            return (severity or default) in (Severity.SEV1, Severity.SEV2)
        case AssignRole(role=role):
            return role is Role.COMMANDER
        case Resolve() | Cancel() | Reopen() | ChangeSeverity():
            return True
    return False
