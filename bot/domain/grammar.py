"""The `/incident` command grammar: one registry that both parses and generates help."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.commands import (
    AddAction,
    AssignRole,
    ChangeSeverity,
    ChangeStatus,
    Command,
    CompleteAction,
    Declare,
    ListActions,
    ListIncidents,
    OpenDeclareModal,
    OpenPublishModal,
    PostUpdate,
    RequestPostmortem,
    Resolve,
    SetImpact,
    SetMilestone,
    SetPublicName,
    ShowHelp,
    ShowSummary,
    ShowTimeline,
)
from bot.domain.components import parse_component_status
from bot.domain.errors import UsageError
from bot.domain.milestones import TIME_FORMS, Milestone
from bot.domain.model import SETTABLE_STATUSES, Role, Severity, Status

COMMAND = "/incident"

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


@dataclass(frozen=True)
class Subcommand:
    name: str
    usage: str
    summary: str
    example: str
    parse: Callable[[str, str], Command]
    in_incident_channel: bool = False

    def usage_hint(self) -> str:
        """Return the right form and an example, for error replies."""
        return f"Usage: `{COMMAND} {self.usage}`\nExample: `{COMMAND} {self.example}`"


def _split(text: str) -> tuple[str, str]:
    """Split off the first word; the rest keeps its inner spacing and newlines."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


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
    severity: Severity | None = None
    if re.fullmatch(r"(?i)sev\d+", first):
        severity = parse_severity(first)
        args = rest
    if not args:
        raise UsageError("The incident needs a title.")
    return Declare(title=args, severity=severity)


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


def _parse_action(args: str, caller: str) -> Command:
    if not args:
        raise UsageError("Describe the follow-up action.")
    first, rest = _split(args)
    if first.lower() == "done":
        if not rest.isdigit():
            raise UsageError("Say which action is done by its number (see `/incident actions`).")
        return CompleteAction(number=int(rest))
    head, _, last = args.rpartition(" ")
    if _USER_RE.match(last) and head.strip():
        return AddAction(text=head.strip(), owner_id=parse_user(last, caller))
    return AddAction(text=args, owner_id=None)


def _parse_postmortem(args: str, _caller: str) -> Command:
    if not args:
        return RequestPostmortem()
    if args.lower() == "publish":
        return OpenPublishModal()
    raise UsageError(f"`{args}` is not a post-mortem command.")


def _no_args(command: Command, name: str) -> Callable[[str, str], Command]:
    def parse(args: str, _caller: str) -> Command:
        if args:
            raise UsageError(f"`{name}` takes no arguments.")
        return command

    return parse


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand(
        "declare",
        "declare [sev1|sev2|sev3|sev4] <title>",
        "Declare an incident and open its channel (no title: open a form).",
        "declare sev1 Checkout API failing",
        _parse_declare,
    ),
    Subcommand(
        "update",
        "update <text>",
        "Record an internal update on the timeline.",
        "update Rolled back deploy 4512, error rate falling",
        _parse_update,
        True,
    ),
    Subcommand(
        "role",
        "role <commander|comms|scribe|lead> <@user|me>",
        "Assign a role; the new holder replaces the old one.",
        "role commander me",
        _parse_role,
        True,
    ),
    Subcommand(
        "severity",
        "severity <sev1|sev2|sev3|sev4>",
        "Change the severity.",
        "severity sev2",
        _parse_severity_cmd,
        True,
    ),
    Subcommand(
        "status",
        "status <investigating|identified|monitoring> <message>",
        "Change the status with a message for stakeholders.",
        "status identified Bad config push to the payment gateway",
        _parse_status,
        True,
    ),
    Subcommand(
        "resolve",
        "resolve [message]",
        "Resolve the incident.",
        "resolve Error rates back to normal for 30 minutes",
        lambda args, _c: Resolve(message=args or None),
        True,
    ),
    Subcommand(
        "impact",
        "impact <component>[,<component>...] <operational|degraded|partial|major|maintenance>",
        "Set what the public sees as affected, on the status pages.",
        "impact API,Checkout major",
        _parse_impact,
        True,
    ),
    Subcommand(
        "public-name",
        "public-name <text>",
        "Set the incident's name on the status pages (the title stays internal).",
        "public-name Elevated error rates for payments",
        _parse_public_name,
        True,
    ),
    Subcommand(
        "milestone",
        "milestone <started|detected|mitigated|resolved> <time>",
        "Correct a milestone: HH:MM (your time zone), YYYY-MM-DD HH:MM, ISO 8601 or -25m.",
        "milestone started 14:02",
        _parse_milestone,
        True,
    ),
    Subcommand(
        "action",
        "action <text> [@owner] | action done <n>",
        "Add a follow-up action, or mark one done.",
        "action Add an alert on gateway p99",
        _parse_action,
        True,
    ),
    Subcommand(
        "actions",
        "actions",
        "List the follow-up actions with their numbers (only to you).",
        "actions",
        _no_args(ListActions(), "actions"),
        True,
    ),
    Subcommand(
        "postmortem",
        "postmortem [publish]",
        "Post the post-mortem draft again, or publish a public summary on the status pages.",
        "postmortem publish",
        _parse_postmortem,
        True,
    ),
    Subcommand(
        "summary",
        "summary",
        "Show the current state (only to you).",
        "summary",
        _no_args(ShowSummary(), "summary"),
        True,
    ),
    Subcommand(
        "timeline",
        "timeline",
        "Show the timeline so far (only to you).",
        "timeline",
        _no_args(ShowTimeline(), "timeline"),
        True,
    ),
    Subcommand("list", "list", "List open incidents.", "list", _no_args(ListIncidents(), "list")),
    Subcommand("help", "help", "Show this help.", "help", lambda _a, _c: ShowHelp()),
)
_BY_NAME = {sub.name: sub for sub in SUBCOMMANDS}


def find_subcommand(name: str) -> Subcommand | None:
    """Return the subcommand registered under `name`, if any."""
    return _BY_NAME.get(name.lower())


def parse(text: str, caller_id: str) -> Command:
    """Parse the text after `/incident` into a command, or raise a UsageError with the fix."""
    name, args = _split(text)
    if not name:
        return OpenDeclareModal()
    sub = find_subcommand(name)
    if sub is None:
        raise UsageError(
            f"`{name}` is not an `{COMMAND}` command.",
            hint=f"Try `{COMMAND} help` for the list, or "
            f"`{COMMAND} declare sev2 <title>` to declare an incident.",
        )
    try:
        return sub.parse(args, caller_id)
    except UsageError as error:
        if error.hint is None:
            error.hint = sub.usage_hint()
        raise


def help_text() -> str:
    """Return the command reference, generated from the registry."""
    lines = [f"*`{COMMAND}` commands*"]
    for sub in SUBCOMMANDS:
        where = " _(in an incident channel)_" if sub.in_incident_channel else ""
        lines.append(
            f"• `{COMMAND} {sub.usage}`: {sub.summary}{where}\n      e.g. `{COMMAND} {sub.example}`"
        )
    lines.append(
        "Users are given as @mentions or `me`. Add a message to the timeline by "
        "reacting to it with :pushpin:."
    )
    return "\n".join(lines)
