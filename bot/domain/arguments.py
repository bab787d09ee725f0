"""Reading the arguments of each `/incident` subcommand into a command value."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from bot.domain.cadence import parse_duration
from bot.domain.commands import (
    COMMAND,
    AssignRole,
    Cancel,
    ChangeSeverity,
    ChangeStatus,
    Command,
    Declare,
    OpenDeclareModal,
    OpenPublishModal,
    Page,
    PostUpdate,
    Reopen,
    RequestPostmortem,
    SetCadence,
    SetImpact,
    SetMilestone,
    SetPublicName,
    SetReview,
)
from bot.domain.components import parse_component_status
from bot.domain.entries import ReviewDateSet, ReviewOwnerSet, ReviewStatus, ReviewStatusSet
from bot.domain.errors import UsageError
from bot.domain.milestones import TIME_FORMS, Milestone
from bot.domain.model import SETTABLE_STATUSES, Role, Severity, Status

# Slack sends users as <@U123|name> or <@U123> when the command escapes its text.
_USER_RE = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_ROLE_ALIASES: dict[str, Role] = {
    "commander": Role.COMMANDER,
    "ic": Role.COMMANDER,
    "comms": Role.COMMS,
    "communications": Role.COMMS,
    "scribe": Role.SCRIBE,
    "lead": Role.LEAD,
    "tech-lead": Role.LEAD,
}


def _split(text: str) -> tuple[str, str]:
    """Split off the first word; the rest keeps its inner spacing and newlines."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


def _parse_page(args: str, _caller: str) -> Command:
    service, message = _split(args)
    return Page(service.lower() or None, message or None)


def parse_severity(word: str) -> Severity:
    """Parse `sev1`..`sev4` (any case) or raise a UsageError naming the choices."""
    try:
        return Severity(word.lower())
    except ValueError:
        choices = ", ".join(s.value for s in Severity)
        raise UsageError(f"`{word}` is not a severity. Use one of: {choices}.") from None


def parse_user(word: str, caller_id: str) -> str:
    """Resolve `me` or a Slack mention to a user ID."""
    if word.lower() == "me":
        return caller_id
    match = _USER_RE.match(word)
    if match is None:
        raise UsageError(
            f"I can't tell who `{word}` is. Mention the person with @ (pick them from "
            "Slack's list) or write `me`."
        )
    return match.group(1)


def _parse_declare(args: str, _caller: str) -> Command:
    if not args:
        return OpenDeclareModal()
    first, rest = _split(args)
    private = first.lower() == "private"
    if private:  # `declare private sev1 <title>`: the keyword comes first
        args = rest
        first, rest = _split(args)
    severity: Severity | None = None
    if re.fullmatch(r"(?i)sev\d+", first):
        severity = parse_severity(first)
        args = rest
    if not args:
        raise UsageError("The incident needs a title.")
    return Declare(title=args, severity=severity, private=private)


def _parse_update(args: str, _caller: str) -> Command:
    if not args:
        raise UsageError("The update has no text.")
    return PostUpdate(text=args)


def _parse_role(args: str, caller: str) -> Command:
    role_word, rest = _split(args)
    if not role_word:
        raise UsageError("Say which role to assign and to whom.")
    role = _ROLE_ALIASES.get(role_word.lower())
    if role is None:
        choices = ", ".join(r.value for r in Role)
        raise UsageError(f"`{role_word}` is not a role. Use one of: {choices}.")
    user_word, extra = _split(rest)
    if not user_word:
        raise UsageError(f"Say who takes the {role.value} role: a @mention or `me`.")
    if extra:
        raise UsageError("A role goes to one person at a time.")
    return AssignRole(role=role, user_id=parse_user(user_word, caller))


def _parse_severity_cmd(args: str, _caller: str) -> Command:
    word, extra = _split(args)
    if not word:
        raise UsageError("Say which severity.")
    if extra:
        raise UsageError("Give just the severity, nothing after it.")
    return ChangeSeverity(severity=parse_severity(word))


def _parse_status(args: str, _caller: str) -> Command:
    word, message = _split(args)
    choices = ", ".join(s.value for s in SETTABLE_STATUSES)
    if not word:
        raise UsageError(f"Say which status ({choices}) and a message for stakeholders.")
    try:
        status = Status(word.lower())
    except ValueError:
        raise UsageError(f"`{word}` is not a status. Use one of: {choices}.") from None
    if status is Status.RESOLVED:
        raise UsageError(f"To resolve the incident, use `{COMMAND} resolve [message]`.")
    if status is Status.CANCELED:
        raise UsageError(f"To close a false alarm, use `{COMMAND} cancel <reason>`.")
    if not message:
        raise UsageError(f"The `{status.value}` status needs a message for stakeholders.")
    return ChangeStatus(status=status, message=message)


def _parse_impact(args: str, _caller: str) -> Command:
    parts = args.rsplit(maxsplit=1)
    head, state = (parts[0], parts[1]) if len(parts) == 2 else ("", "")
    components = tuple(c.strip() for c in head.split(",") if c.strip())
    if not components or not state:
        raise UsageError("Say which components and their state.")
    return SetImpact(components=components, status=parse_component_status(state))


def _parse_cadence(args: str, _caller: str) -> Command:
    if not args:
        raise UsageError("Give a cadence like `30m` or `1h`, or `off`.")
    return SetCadence(cadence=parse_duration(args))


def _parse_public_name(args: str, _caller: str) -> Command:
    if not args:
        raise UsageError("Give the name the public should see.")
    return SetPublicName(name=args)


def _parse_milestone(args: str, _caller: str) -> Command:
    word, when = _split(args)
    choices = ", ".join(m.value for m in Milestone)
    if not word:
        raise UsageError(f"Say which milestone ({choices}) and when.")
    try:
        milestone = Milestone(word.lower())
    except ValueError:
        raise UsageError(f"`{word}` is not a milestone. Use one of: {choices}.") from None
    if not when:
        raise UsageError(f"Say when {milestone.label.lower()} happened: {TIME_FORMS}.")
    return SetMilestone(milestone=milestone, when=when)


def _parse_postmortem(args: str, caller: str) -> Command:
    if not args:
        return RequestPostmortem()
    word, _, rest = args.partition(" ")
    word, rest = word.lower(), rest.strip()
    if word == "publish" and not rest:
        return OpenPublishModal()
    if word == "owner" and rest:
        return SetReview(ReviewOwnerSet(parse_user(rest, caller)))
    if word == "status" and rest.lower() in {s.value for s in ReviewStatus}:
        return SetReview(ReviewStatusSet(ReviewStatus(rest.lower())))
    if word == "review" and rest:
        return SetReview(ReviewDateSet(None if rest.lower() == "off" else _day(rest)))
    raise UsageError(f"`{args}` is not a post-mortem command.")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"`{text}` is not a date.", hint="Write it as YYYY-MM-DD, like 2026-12-03."
        ) from None


def _no_args(command: Command, name: str) -> Callable[[str, str], Command]:
    def parse(args: str, _caller: str) -> Command:
        if args:
            raise UsageError(f"`{name}` takes no arguments.")
        return command

    return parse


def _parse_cancel(args: str, _caller: str) -> Command:
    if not args.strip():
        raise UsageError("Say why this is a false alarm (it stays on the internal timeline).")
    return Cancel(reason=args.strip())


def _parse_reopen(args: str, _caller: str) -> Command:
    if not args.strip():
        raise UsageError(
            "Say why the incident is reopened (a public incident shows it as its message)."
        )
    return Reopen(reason=args.strip())
