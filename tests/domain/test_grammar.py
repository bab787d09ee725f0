"""The `/incident` grammar: what each typed line becomes, and what people hear when it is wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.commands import (
    COMMAND,
    AddAction,
    AssignRole,
    Cancel,
    ChangeSeverity,
    ChangeStatus,
    Command,
    CompleteAction,
    Declare,
    ListActions,
    ListIncidents,
    OpenDeclareModal,
    OpenPublishModal,
    Page,
    PostUpdate,
    Reopen,
    RequestPostmortem,
    Resolve,
    SetCadence,
    SetImpact,
    SetMilestone,
    SetPublicName,
    ShowHelp,
    ShowSummary,
    ShowTimeline,
)
from bot.domain.components import ComponentStatus
from bot.domain.errors import UsageError
from bot.domain.grammar import (
    MOMENTS,
    SUBCOMMANDS,
    Subcommand,
    find_subcommand,
    help_text,
    parse,
)
from bot.domain.milestones import Milestone
from bot.domain.model import Role, Severity, Status

CALLER = "U0CALLER"

VALID: list[tuple[str, Command]] = [
    # declare: no title opens the form
    ("", OpenDeclareModal()),
    ("   \n\t ", OpenDeclareModal()),
    ("declare", OpenDeclareModal()),
    ("DECLARE   ", OpenDeclareModal()),
    # declare: with and without a severity, in any case
    ("declare Checkout API failing", Declare("Checkout API failing", None)),
    ("declare sev1 Checkout API failing", Declare("Checkout API failing", Severity.SEV1)),
    ("declare SEV1 Checkout API failing", Declare("Checkout API failing", Severity.SEV1)),
    ("Declare Sev4 slow dashboards", Declare("slow dashboards", Severity.SEV4)),
    ("declare sev2\nCheckout down", Declare("Checkout down", Severity.SEV2)),
    # declare: titles are kept as typed
    ("declare Payments: 50% errors (EU)!?", Declare("Payments: 50% errors (EU)!?", None)),
    ('declare "Checkout" isn\'t loading', Declare('"Checkout" isn\'t loading', None)),
    ("declare sev3 🔥 checkout 🔥", Declare("🔥 checkout 🔥", Severity.SEV3)),
    ("declare 支付服务宕机", Declare("支付服务宕机", None)),
    ("declare انقطاع خدمة الدفع", Declare("انقطاع خدمة الدفع", None)),
    ("declare first line\nsecond line", Declare("first line\nsecond line", None)),
    ("declare sev1 windows\r\nline", Declare("windows\r\nline", Severity.SEV1)),
    ("declare <!channel> checkout down", Declare("<!channel> checkout down", None)),
    ("declare <@U1|bob> broke prod", Declare("<@U1|bob> broke prod", None)),
    ("declare help", Declare("help", None)),
    ("declare list", Declare("list", None)),
    ("declare GET / returns 500", Declare("GET / returns 500", None)),
    ("declare A &amp; B &lt;down&gt;", Declare("A &amp; B &lt;down&gt;", None)),
    ("declare path%20with%20spaces", Declare("path%20with%20spaces", None)),
    ("declare sev1x is not a severity", Declare("sev1x is not a severity", None)),
    # private incidents: the keyword comes first, before the severity
    ("declare private sev1 Payroll leak", Declare("Payroll leak", Severity.SEV1, private=True)),
    ("declare PRIVATE Payroll  leak", Declare("Payroll  leak", None, private=True)),
    ("declare private\nsev2 HR matter", Declare("HR matter", Severity.SEV2, private=True)),
    ("declare sev1 private network down", Declare("private network down", Severity.SEV1)),
    ("declare privately down", Declare("privately down", None)),
    # update: text preserved exactly, inner newlines and spacing included
    ("update Rolled back deploy 4512", PostUpdate("Rolled back deploy 4512")),
    ("update   line one\n\n   line two  \n", PostUpdate("line one\n\n   line two")),
    ("update a\r\nb", PostUpdate("a\r\nb")),
    ("UPDATE <!here> all   good", PostUpdate("<!here> all   good")),
    ("update help", PostUpdate("help")),
    # role: me, mentions, aliases
    ("role commander me", AssignRole(Role.COMMANDER, CALLER)),
    ("role ic ME", AssignRole(Role.COMMANDER, CALLER)),
    ("role Commander <@U123>", AssignRole(Role.COMMANDER, "U123")),
    ("role comms <@U123|bob>", AssignRole(Role.COMMS, "U123")),
    ("role communications <@U123>", AssignRole(Role.COMMS, "U123")),
    ("role scribe <@W42ENT|erin>", AssignRole(Role.SCRIBE, "W42ENT")),
    ("role lead me", AssignRole(Role.LEAD, CALLER)),
    ("role tech-lead <@U123|bob>", AssignRole(Role.LEAD, "U123")),
    ("role  commander \n me ", AssignRole(Role.COMMANDER, CALLER)),
    # severity
    ("severity sev2", ChangeSeverity(Severity.SEV2)),
    # cancel, reopen
    ("cancel probe misfired, no impact", Cancel("probe misfired, no impact")),
    ("reopen  errors are back ", Reopen("errors are back")),
    ("severity SEV1", ChangeSeverity(Severity.SEV1)),
    # status
    (
        "status investigating Looking at the gateway",
        ChangeStatus(Status.INVESTIGATING, "Looking at the gateway"),
    ),
    (
        "status Identified Bad config push\nrolled back",
        ChangeStatus(Status.IDENTIFIED, "Bad config push\nrolled back"),
    ),
    ("status monitoring Fix out <!here>", ChangeStatus(Status.MONITORING, "Fix out <!here>")),
    # resolve
    ("resolve", Resolve(None)),
    ("resolve   \n", Resolve(None)),
    ("resolve Error rates normal\nfor 30 min", Resolve("Error rates normal\nfor 30 min")),
    # impact: comma-separated components (spaces allowed inside names), then the state
    (
        "impact API,Checkout major",
        SetImpact(("API", "Checkout"), ComponentStatus.MAJOR_OUTAGE),
    ),
    (
        "impact Payment API, Checkout degraded",
        SetImpact(("Payment API", "Checkout"), ComponentStatus.DEGRADED_PERFORMANCE),
    ),
    ("impact API ok", SetImpact(("API",), ComponentStatus.OPERATIONAL)),
    ("impact API partial_outage", SetImpact(("API",), ComponentStatus.PARTIAL_OUTAGE)),
    (
        "impact API,Checkout\nmajor",
        SetImpact(("API", "Checkout"), ComponentStatus.MAJOR_OUTAGE),
    ),
    # cadence: a duration, or off
    ("cadence 15m", SetCadence(timedelta(minutes=15))),
    ("cadence 1h30m", SetCadence(timedelta(hours=1, minutes=30))),
    ("cadence  45s ", SetCadence(timedelta(seconds=45))),
    ("cadence off", SetCadence(None)),
    # page: a service (any case) and a message, or nothing to list the services
    ("page", Page(None)),
    ("page Payments", Page("payments")),
    ("page payments Checkout down,\nplease join", Page("payments", "Checkout down,\nplease join")),
    ("CADENCE OFF", SetCadence(None)),
    # public-name: kept as typed
    ("public-name Elevated errors\nfor payments", SetPublicName("Elevated errors\nfor payments")),
    ("PUBLIC-NAME Payments slow", SetPublicName("Payments slow")),
    # milestones: the time is parsed later, in the caller's time zone
    ("milestone started 14:02", SetMilestone(Milestone.STARTED, "14:02")),
    ("milestone MITIGATED 2026-11-25 14:02", SetMilestone(Milestone.MITIGATED, "2026-11-25 14:02")),
    ("milestone detected -25m", SetMilestone(Milestone.DETECTED, "-25m")),
    # follow-up actions
    ("action Add an alert on p99", AddAction("Add an alert on p99", None)),
    ("action Add an alert <@U0BOB|bob>", AddAction("Add an alert", "U0BOB")),
    ("action <@U0BOB|bob>", AddAction("<@U0BOB|bob>", None)),
    ("action done 3", CompleteAction(3)),
    ("actions", ListActions()),
    ("postmortem", RequestPostmortem()),
    ("postmortem publish", OpenPublishModal()),
    # no-argument commands
    ("summary", ShowSummary()),
    ("timeline", ShowTimeline()),
    ("list", ListIncidents()),
    ("LIST", ListIncidents()),
    ("help", ShowHelp()),
    ("  help  ", ShowHelp()),
]


@pytest.mark.parametrize(("text", "expected"), VALID, ids=[repr(t) for t, _ in VALID])
def test_parse_valid_form_returns_command(text: str, expected: Command) -> None:
    assert parse(text, CALLER) == expected


def test_parse_valid_table_covers_every_registered_subcommand() -> None:
    covered = {text.split()[0].lower() for text, _ in VALID if text.strip()}
    assert {sub.name for sub in SUBCOMMANDS} <= covered


@pytest.mark.parametrize("sub", SUBCOMMANDS, ids=lambda s: s.name)
def test_parse_registered_example_parses_without_error(sub: Subcommand) -> None:
    command = parse(sub.example, CALLER)
    assert not isinstance(command, OpenDeclareModal)


INVALID: list[tuple[str, str, str]] = [
    # (typed text, what the message must say, subcommand whose usage the hint shows)
    ("declare sev1", "needs a title", "declare"),
    ("declare private", "needs a title", "declare"),
    ("declare private sev2", "needs a title", "declare"),
    ("declare SEV1   \n", "needs a title", "declare"),
    ("declare sev9 x", "`sev9` is not a severity. Use one of: sev1, sev2, sev3, sev4.", "declare"),
    ("declare sev0 Checkout", "`sev0` is not a severity", "declare"),
    ("update", "The update has no text.", "update"),
    ("update   \n  ", "The update has no text.", "update"),
    ("role", "Say which role to assign and to whom.", "role"),
    ("role boss me", "`boss` is not a role. Use one of: commander, comms, scribe, lead.", "role"),
    ("role commander", "Say who takes the commander role", "role"),
    ("role ic", "Say who takes the commander role", "role"),
    ("role commander bob", "I can't tell who `bob` is", "role"),
    ("role commander @bob", "I can't tell who `@bob` is", "role"),
    ("role commander <#C123|ops>", "I can't tell who `<#C123|ops>` is", "role"),
    ("role commander me extra", "A role goes to one person at a time.", "role"),
    ("role commander <@U1> <@U2>", "A role goes to one person at a time.", "role"),
    ("severity", "Say which severity.", "severity"),
    ("severity sev0", "`sev0` is not a severity. Use one of: sev1, sev2, sev3, sev4.", "severity"),
    ("severity high", "`high` is not a severity", "severity"),
    ("severity sev1 now", "Give just the severity, nothing after it.", "severity"),
    ("status", "Say which status (investigating, identified, monitoring)", "status"),
    (
        "status fixed msg",
        "`fixed` is not a status. Use one of: investigating, identified, monitoring.",
        "status",
    ),
    ("status identified", "The `identified` status needs a message", "status"),
    ("status MONITORING   ", "The `monitoring` status needs a message", "status"),
    ("status resolved x", f"use `{COMMAND} resolve [message]`", "status"),
    ("status resolved", f"use `{COMMAND} resolve [message]`", "status"),
    ("impact", "Say which components and their state.", "impact"),
    ("impact major", "Say which components and their state.", "impact"),
    ("impact API", "Say which components and their state.", "impact"),
    ("impact API bogus", "`bogus` is not a component state", "impact"),
    ("cadence", "Give a cadence like `30m` or `1h`, or `off`.", "cadence"),
    ("cadence soon", "`soon` is not a cadence.", "cadence"),
    ("cadence 15m now", "`15m now` is not a cadence.", "cadence"),
    ("cadence 0m", "A cadence must be between 1s and 7 days (168h).", "cadence"),
    ("cadence 200h", "A cadence must be between 1s and 7 days (168h).", "cadence"),
    ("public-name", "Give the name the public should see.", "public-name"),
    ("milestone", "Say which milestone", "milestone"),
    ("milestone begun 14:02", "`begun` is not a milestone.", "milestone"),
    ("milestone started", "Say when impact started happened", "milestone"),
    ("action", "Describe the follow-up action.", "action"),
    ("action done", "Say which action is done by its number", "action"),
    ("action done three", "Say which action is done by its number", "action"),
    ("actions 2", "`actions` takes no arguments.", "actions"),
    ("postmortem now", "`now` is not a post-mortem command.", "postmortem"),
    ("summary extra", "`summary` takes no arguments.", "summary"),
    ("timeline now", "`timeline` takes no arguments.", "timeline"),
    ("list extra", "`list` takes no arguments.", "list"),
]


@pytest.mark.parametrize(("text", "says", "name"), INVALID, ids=[repr(t) for t, _, _ in INVALID])
def test_parse_invalid_form_raises_usage_error_with_usage_hint(
    text: str, says: str, name: str
) -> None:
    with pytest.raises(UsageError) as caught:
        parse(text, CALLER)
    error = caught.value
    sub = find_subcommand(name)
    assert sub is not None
    assert says in error.message
    assert str(error) == error.message
    assert error.hint is not None
    assert error.hint.startswith(f"Usage: `{COMMAND} {name}")
    assert f"Usage: `{COMMAND} {sub.usage}`" in error.hint
    assert f"Example: `{COMMAND} {sub.example}`" in error.hint


def test_parse_status_error_does_not_offer_resolved() -> None:
    with pytest.raises(UsageError) as caught:
        parse("status fixed it", CALLER)
    assert "resolved" not in caught.value.message


@pytest.mark.parametrize("text", ["deploy now", "escalate", "🔥 fire", "incident declare x"])
def test_parse_unknown_subcommand_raises_usage_error_pointing_to_help(text: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse(text, CALLER)
    error = caught.value
    word = text.split()[0]
    assert error.message == f"`{word}` is not an `{COMMAND}` command."
    assert error.hint is not None
    assert f"`{COMMAND} help`" in error.hint
    assert f"`{COMMAND} declare sev2 <title>`" in error.hint


def test_parse_repeated_error_keeps_its_own_hint() -> None:
    # The registry fills in the hint on the raised error; a second parse must not inherit it.
    for _ in range(2):
        with pytest.raises(UsageError) as caught:
            parse("severity", CALLER)
        assert caught.value.hint is not None
        assert caught.value.hint.count("Usage:") == 1


# What `/incident help` shows under each moment of an incident, in order.
HELP_MOMENTS = [
    ("Declare", ["declare", "list"]),
    (
        "During",
        [
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
        ],
    ),
    ("Public", ["impact", "public-name"]),
    ("After", ["milestone", "action", "actions", "postmortem"]),
]
LISTED = [sub for sub in SUBCOMMANDS if sub.name != "help"]  # help is named in the last line


def help_groups(text: str) -> list[tuple[str, list[str]]]:
    """Return the moments help shows, each with the subcommands listed under it."""
    groups: list[tuple[str, list[str]]] = []
    for line in text.splitlines()[1:-1]:
        if line.startswith("• "):
            groups[-1][1].append(line.split()[2].rstrip("`:"))
        else:
            assert line.startswith("*"), line
            assert line.endswith("*"), line
            groups.append((line.strip("*"), []))
    return groups


def test_help_text_fits_25_lines_with_its_heading_and_closing_line() -> None:
    lines = help_text().splitlines()
    assert len(lines) == 25
    assert lines[0] == f"*`{COMMAND}` commands* (‡ in an incident channel)"
    assert lines[-1] == (
        f"`{COMMAND} help` shows this. Users are @mentions or `me`. React with :pushpin: to "
        "add a message to the timeline; the pinned summary has buttons for the next step."
    )


def test_help_text_groups_subcommands_by_moment() -> None:
    assert help_groups(help_text()) == HELP_MOMENTS


def test_help_text_every_subcommand_is_in_exactly_one_moment() -> None:
    grouped = [name for _, names in MOMENTS for name in names]
    assert sorted(grouped) == sorted(sub.name for sub in LISTED)
    assert find_subcommand("help") is not None
    assert "help" not in grouped


@pytest.mark.parametrize("sub", LISTED, ids=lambda s: s.name)
def test_help_text_registered_subcommand_is_one_line_with_usage_and_summary(
    sub: Subcommand,
) -> None:
    where = " ‡" if sub.in_incident_channel else ""
    [line] = [x for x in help_text().splitlines() if x.startswith(f"• `{COMMAND} {sub.usage}`")]
    assert line == f"• `{COMMAND} {sub.usage}`{where}: {sub.summary}"


def test_help_text_shows_no_examples() -> None:
    text = help_text()
    assert "e.g." not in text
    assert "Example" not in text
    for sub in LISTED:
        if sub.example != sub.usage:
            assert f"`{COMMAND} {sub.example}`" not in text, sub.name
