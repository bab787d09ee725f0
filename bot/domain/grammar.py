"""The `/incident` command grammar: one registry that both parses and generates help."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.action_args import parse_action
from bot.domain.arguments import (
    _no_args,
    _parse_cadence,
    _parse_cancel,
    _parse_declare,
    _parse_impact,
    _parse_milestone,
    _parse_page,
    _parse_postmortem,
    _parse_public_name,
    _parse_reopen,
    _parse_role,
    _parse_severity_cmd,
    _parse_status,
    _parse_update,
    _split,
    parse_severity,
    parse_user,
)
from bot.domain.commands import (
    COMMAND,
    Command,
    ListActions,
    ListIncidents,
    OpenDeclareModal,
    Resolve,
    ShowHelp,
    ShowSummary,
    ShowTimeline,
)
from bot.domain.errors import UsageError


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


SUBCOMMANDS: tuple[Subcommand, ...] = (
    Subcommand(
        "declare",
        "declare [private] [sev1|sev2|sev3|sev4] <title>",
        "Declare an incident and open its channel (no title: open a form; `private`: only "
        "the people you add see it).",
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
        "cancel",
        "cancel <reason>",
        "Close the incident as a false alarm (left out of durations and metrics); a public "
        "incident first asks for its closing message.",
        "cancel Synthetic check misfired, no customer impact",
        _parse_cancel,
        True,
    ),
    Subcommand(
        "reopen",
        "reopen <reason>",
        "Reopen a resolved or canceled incident (within REOPEN_WINDOW): investigating again.",
        "reopen Errors are back after the rollback",
        _parse_reopen,
        True,
    ),
    Subcommand(
        "page",
        "page [<service> [message]]",
        "Page a service's on-call through PagerDuty (no service: list the services).",
        "page payments Checkout is failing, please join",
        _parse_page,
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
        "cadence",
        "cadence <30m|1h|off>",
        "Change how often updates are due (reminders follow); `off` stops them.",
        "cadence 15m",
        _parse_cadence,
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
        "action <text> [@owner] [p1|p2|p3] [due <YYYY-MM-DD|+7d>]"
        " | action <n> owner <@user|me>|priority <p1-3>|due <date>|public | action done <n>",
        "Add a follow-up action (it becomes a ticket), change one, or mark one done.",
        "action Add an alert on gateway p99 @alice p2 due +7d",
        parse_action,
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
        "postmortem [publish | owner <@user|me> | status draft|review|final | review <date>]",
        "Post the post-mortem draft again, publish a public summary on the status pages, or "
        "set the post-mortem's owner, status or review date (YYYY-MM-DD, or off).",
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


_REF = re.compile(r"(?i)inc-?(\d{1,9})")


def addressed(text: str) -> tuple[int | None, str]:
    """Split off a leading incident reference: `INC-12 resolve fixed` -> (12, "resolve fixed").

    Any command can name its incident and run from anywhere (even when its channel was
    archived); `/incident INC-12` alone shows that incident's summary.
    """
    first, rest = _split(text)
    found = _REF.fullmatch(first)
    if found is None:
        return None, text
    return int(found.group(1)), rest or "summary"


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


# The moments of an incident, in the order help lists them, and the subcommands of each.
MOMENTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Declare", ("declare", "list")),
    (
        "During",
        (
            "update",
            "status",
            "role",
            "severity",
            "page",
            "cadence",
            "summary",
            "timeline",
            "resolve",
            "cancel",
            "reopen",
        ),
    ),
    ("Public", ("impact", "public-name")),
    ("After", ("milestone", "action", "actions", "postmortem")),
)


def help_text() -> str:
    """Return the command reference on one screen, grouped by moment, from the registry."""
    lines = [f"*`{COMMAND}` commands* (‡ in an incident channel)"]
    for moment, names in MOMENTS:
        lines.append(f"*{moment}*")
        for name in names:
            sub = _BY_NAME[name]
            where = " ‡" if sub.in_incident_channel else ""
            lines.append(f"• `{COMMAND} {sub.usage}`{where}: {sub.summary}")
    lines.append(
        f"`{COMMAND} help` shows this. Users are @mentions or `me`. React with :pushpin: to "
        "add a message to the timeline; the pinned summary has buttons for the next step."
    )
    return "\n".join(lines)


__all__ = [  # the command values and argument parsers are read through this module too
    "COMMAND",
    "SUBCOMMANDS",
    "Command",
    "ListActions",
    "ListIncidents",
    "OpenDeclareModal",
    "Resolve",
    "ShowHelp",
    "ShowSummary",
    "ShowTimeline",
    "Subcommand",
    "find_subcommand",
    "help_text",
    "parse",
    "parse_severity",
    "parse_user",
]
