"""Messages the bot posts in Slack, built from incident state: what people read, who is notified."""

from __future__ import annotations

import json
import re
import typing
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.components import ComponentStatus
from bot.domain.entries import (
    ActionAdded,
    ActionCompleted,
    Declared,
    Entry,
    Fact,
    ImpactSet,
    MilestoneSet,
    Pinned,
    PublicNameSet,
    Resolved,
    RoleAssigned,
    SeverityChanged,
    StatusChanged,
    SummaryPublished,
    Updated,
)
from bot.domain.milestones import Milestone
from bot.domain.model import IncidentState, Role, Severity, Status
from bot.slack import channel as render
from bot.slack.format import when

AT = datetime(2024, 3, 5, 14, 2, 30, tzinfo=UTC)
LATER = datetime(2024, 3, 5, 15, 40, tzinfo=UTC)
ALICE, BOB, CAROL, DAVE = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"
DATE_TOKEN = re.compile(r"<!date\^(\d+)\^[^|>]*\|([^>]* UTC)>")
BROADCASTS = ("<!channel>", "<!here>", "<!everyone>", "<!subteam^")
RISKY_TITLE = "<@U9TITLE|mallory> broke <!channel> checkout <!here>"
STATE = IncidentState(
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


def state(**changes: Any) -> IncidentState:
    """Return the sample incident with `changes`."""
    return replace(STATE, **changes)


def item(fact: Fact, text: str = "", actor: str = BOB) -> Entry:
    """Return a timeline entry written by `actor` at AT."""
    return Entry(id=1, at=AT, actor_id=actor, text=text, fact=fact)


def header(blocks: render.Blocks) -> str:
    """Return the text of the summary's header block."""
    [block] = [b for b in blocks if b["type"] == "header"]
    return str(block["text"]["text"])


def has_broadcast(text: str) -> bool:
    return any(token in text for token in BROADCASTS)


# One example entry per fact class, with what each must say; a test below checks every fact
# class has one, so a new kind of entry is rendered (and checked) here from the day it is added.
EXAMPLES: list[tuple[Entry, list[str]]] = [
    (item(Declared(Severity.SEV1), "Checkout API failing"), ["INC-7 declared"]),
    (item(Updated(), "Rolled back 4512"), ["*Update*", ">Rolled back 4512"]),
    (
        item(RoleAssigned(Role.COMMS, CAROL, previous=DAVE)),
        [f"<@{CAROL}> is now *Communications lead*", f"replacing <@{DAVE}>", "stakeholders"],
    ),
    (
        item(SeverityChanged(Severity.SEV1, previous=Severity.SEV2)),
        ["from SEV2 to *SEV1*"],
    ),
    (
        item(StatusChanged(Status.IDENTIFIED, previous=Status.INVESTIGATING), "Bad config push"),
        ["*identified*", "was investigating", ">Bad config push"],
    ),
    (
        item(Resolved(previous=Status.MONITORING), "All green"),
        ["*INC-7 resolved*", ">All green"],
    ),
    (
        item(Pinned(pinned_by=DAVE), "p99 went to 9s"),
        [f"Added to the timeline by <@{DAVE}>", ">p99 went to 9s"],
    ),
    (
        item(ImpactSet(("API", "Checkout"), ComponentStatus.MAJOR_OUTAGE)),
        ["set API, Checkout to *Major outage* on the public status"],
    ),
    (
        item(PublicNameSet(previous=None), "Elevated error rates for payments"),
        ["set the public name to “Elevated error rates for payments”"],
    ),
    (
        item(MilestoneSet(Milestone.STARTED, AT)),
        [f"set *Impact started* to <!date^{int(AT.timestamp())}^"],
    ),
    (
        item(ActionAdded(2, owner=DAVE), "Alert on gateway p99"),
        [f"added follow-up action 2 (owner: <@{DAVE}>)", ">Alert on gateway p99"],
    ),
    (item(ActionCompleted(2)), ["marked follow-up action 2 done"]),
    (item(SummaryPublished()), ["published the public post-incident summary"]),
]


def example_id(example: tuple[Entry, list[str]]) -> str:
    return type(example[0].fact).__name__


def test_examples_cover_every_fact_class() -> None:
    assert {type(e.fact) for e, _ in EXAMPLES} == set(typing.get_args(Fact))
    assert len(EXAMPLES) == len(typing.get_args(Fact))


@pytest.mark.parametrize("example", EXAMPLES, ids=example_id)
def test_entry_any_kind_shows_author_and_date_token(example: tuple[Entry, list[str]]) -> None:
    entry, fragments = example
    text = render.entry(STATE, entry)
    assert f"<@{BOB}>" in text
    token = DATE_TOKEN.search(text)
    assert token is not None, text
    assert token.group(1) == str(int(AT.timestamp()))
    assert token.group(2) == "2024-03-05 14:02 UTC"
    for fragment in fragments:
        assert fragment in text


@pytest.mark.parametrize(
    "example", [x for x in EXAMPLES if not isinstance(x[0].fact, Declared)], ids=example_id
)
def test_entry_other_kind_is_not_shown_as_declaration(example: tuple[Entry, list[str]]) -> None:
    entry, _ = example
    assert "declared" not in render.entry(STATE, entry)


@pytest.mark.parametrize(
    "fact",
    [
        Updated(),
        StatusChanged(Status.MONITORING, previous=Status.IDENTIFIED),
        Resolved(previous=Status.MONITORING),
        Pinned(pinned_by=DAVE),
    ],
    ids=lambda fact: type(fact).__name__,
)
def test_entry_typed_broadcast_is_neutralized(fact: Fact) -> None:
    text = render.entry(STATE, item(fact, "<!here> rollback done\n<!channel> and <!everyone>"))
    assert not has_broadcast(text)
    assert "here" in text
    assert text.count("\n>") >= 2  # both typed lines are quoted


def test_entry_update_keeps_user_mentions_and_lines() -> None:
    text = render.entry(STATE, item(Updated(), f"asked <@{CAROL}>\n\nthen retried"))
    assert text.endswith(f">asked <@{CAROL}>\n>\n>then retried")


def test_entry_role_without_previous_holder_says_no_replacement() -> None:
    text = render.entry(STATE, item(RoleAssigned(Role.COMMANDER, ALICE)))
    assert "replacing" not in text
    assert "*Incident commander*" in text


def test_entry_resolved_without_message_has_no_quote() -> None:
    text = render.entry(STATE, item(Resolved(previous=Status.MONITORING), ""))
    assert text == f":white_check_mark: *INC-7 resolved* by <@{BOB}> · {when(AT)}"


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    title=st.text(),
    commander=st.one_of(st.none(), st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")),
)
def test_topic_any_title_and_commander_fits_250(title: str, commander: str | None) -> None:
    roles = {Role.COMMANDER: commander} if commander else {}
    assert len(render.topic(state(title=title, roles=roles))) <= 250


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ({Role.COMMANDER: ALICE}, f"SEV1 | investigating | commander: <@{ALICE}>"),
        ({}, "SEV1 | investigating | commander: unassigned"),
    ],
)
def test_topic_shows_severity_status_commander(roles: dict[Role, str], expected: str) -> None:
    assert render.topic(state(roles=roles)) == expected


@settings(max_examples=200, deadline=None, derandomize=True)
@given(title=st.text(min_size=1), number=st.integers(min_value=1, max_value=10**9))
def test_summary_any_title_header_fits_150(title: str, number: int) -> None:
    _, blocks = render.summary(state(title=title, number=number))
    assert len(header(blocks)) <= 150


def test_summary_long_title_header_starts_with_reference() -> None:
    _, blocks = render.summary(state(title="Checkout " * 100))
    assert header(blocks).startswith("INC-7: Checkout Checkout")
    assert len(header(blocks)) <= 150


def test_summary_title_with_broadcast_fallback_text_notifies_nobody() -> None:
    text, _ = render.summary(state(title=RISKY_TITLE, last_update="<!channel> rolled back"))
    assert not has_broadcast(text)
    assert "<@U9TITLE" not in text
    assert "@mallory" in text


def test_summary_title_with_broadcast_no_block_carries_broadcast() -> None:
    _, blocks = render.summary(state(title=RISKY_TITLE, last_update="<!channel> rolled back"))
    assert not has_broadcast(header(blocks)), header(blocks)
    assert not has_broadcast(json.dumps(blocks, ensure_ascii=False))


def test_summary_shows_roles_dates_and_resolution() -> None:
    resolved = state(status=Status.RESOLVED, resolved_at=LATER, roles={Role.COMMANDER: ALICE})
    text, blocks = render.summary(resolved)
    dumped = json.dumps(blocks)
    assert text == "INC-7: Checkout API failing (SEV1, resolved)"
    assert f"*Incident commander:* <@{ALICE}>" in dumped
    assert "*Scribe:* unassigned" in dumped
    assert "*Resolved:* <!date^" in dumped
    assert "2024-03-05 15:40 UTC" in dumped
    assert "*Last update:* none yet" in dumped


def test_summary_resolved_incident_blocks_read_exactly() -> None:
    resolved = state(
        status=Status.RESOLVED, resolved_at=LATER, updated_at=LATER, last_update="Rolled back"
    )
    text, blocks = render.summary(resolved)
    assert text == "INC-7: Checkout API failing (SEV1, resolved)"
    assert blocks == [
        {"type": "header", "text": {"type": "plain_text", "text": "INC-7: Checkout API failing"}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Severity:* SEV1"},
                {"type": "mrkdwn", "text": "*Status:* :white_check_mark: resolved"},
                {"type": "mrkdwn", "text": f"*Started:* {when(AT)}"},
                {"type": "mrkdwn", "text": f"*Declared by:* <@{ALICE}>"},
                {"type": "mrkdwn", "text": f"*Resolved:* {when(LATER)}"},
            ],
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*Incident commander:* <@{ALICE}>\n*Communications lead:* unassigned\n"
                "*Scribe:* unassigned\n*Technical lead:* unassigned",
            },
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Last update:* Rolled back"}},
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Updated {when(LATER)} · `/incident help` for commands",
                }
            ],
        },
    ]


def test_summary_open_incident_has_no_resolved_field() -> None:
    _, blocks = render.summary(STATE)
    assert "*Resolved:*" not in json.dumps(blocks)


ANNOUNCED: list[Entry] = [
    item(Declared(Severity.SEV1), RISKY_TITLE, actor=ALICE),
    item(SeverityChanged(Severity.SEV1, previous=Severity.SEV2)),
    item(
        StatusChanged(Status.IDENTIFIED, previous=Status.INVESTIGATING),
        "ask <@U9TEXT|trent> <!here>",
    ),
    item(Resolved(previous=Status.IDENTIFIED), "thanks <@U9TEXT|trent> <!channel>"),
    item(Resolved(previous=Status.IDENTIFIED), ""),
]


@pytest.mark.parametrize("entry", ANNOUNCED, ids=lambda e: f"{e.kind}-{bool(e.text)}")
def test_announcement_title_and_text_use_quiet_mentions(entry: Entry) -> None:
    text = render.announcement(state(title=RISKY_TITLE), entry)
    assert "<@U9TITLE" not in text
    assert "<@U9TEXT" not in text
    assert not has_broadcast(text)
    assert "@mallory" in text
    assert "*INC-7* (SEV1)" in text
    assert "<#C0INC7>" in text


def test_announcement_declared_names_declarer_and_time() -> None:
    text = render.announcement(STATE, item(Declared(Severity.SEV1), actor=ALICE))
    assert text.startswith(":rotating_light: New incident *INC-7* (SEV1): Checkout API failing")
    assert f"Declared by <@{ALICE}>" in text
    assert DATE_TOKEN.search(text)


def test_announcement_declared_and_resolved_read_exactly() -> None:
    declared = render.announcement(STATE, item(Declared(Severity.SEV1), actor=ALICE))
    resolved = render.announcement(STATE, item(Resolved(previous=Status.MONITORING), "All green"))
    head = "*INC-7* (SEV1): Checkout API failing · <#C0INC7>"
    assert declared == f":rotating_light: New incident {head}\nDeclared by <@{ALICE}> · {when(AT)}"
    assert resolved == f":white_check_mark: {head}\n*Resolved*: All green"


def test_announcement_without_channel_id_names_channel() -> None:
    pending = state(channel_id=None)
    text = render.announcement(pending, item(Declared(Severity.SEV1), actor=ALICE))
    assert "#inc-7-checkout-api-failing" in text
    assert "<#" not in text


def test_announcement_status_and_severity_say_what_changed() -> None:
    status = render.announcement(
        STATE,
        item(StatusChanged(Status.MONITORING, previous=Status.IDENTIFIED), "Fix out"),
    )
    severity = render.announcement(
        STATE, item(SeverityChanged(Severity.SEV1, previous=Severity.SEV3))
    )
    resolved = render.announcement(STATE, item(Resolved(previous=Status.MONITORING), "All green"))
    assert "Status: *monitoring*: Fix out" in status
    assert "Severity is now *SEV1* (was SEV3)" in severity
    assert "*Resolved*: All green" in resolved


def test_announcement_title_hiding_broadcast_in_removed_token_notifies_nobody() -> None:
    # Titles from the declare form arrive unescaped, so `<` can be typed directly.
    text = render.announcement(
        state(title="<<!x>!channel> checkout down"), item(Declared(Severity.SEV1), actor=ALICE)
    )
    assert not has_broadcast(text)
