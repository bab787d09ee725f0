"""The channel topic and the pinned live summary: what people read, and its one-tap buttons."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.milestones import Milestones
from bot.domain.model import Role, Status
from bot.slack import ids
from bot.slack import summary as render
from bot.slack.format import when
from tests.slack.states import (
    ALICE,
    AT,
    BOB,
    DUE,
    EARLIER,
    RISKY_TITLE,
    has_broadcast,
    sample,
)

LATER = datetime(2024, 3, 5, 15, 40, tzinfo=UTC)
ROLES_TEXT = (
    f"*Incident commander:* <@{ALICE}>\n*Communications lead:* unassigned\n"
    "*Scribe:* unassigned\n*Technical lead:* unassigned"
)
STATE = sample(
    cadence=timedelta(minutes=30),
    next_update_at=DUE,
    milestones=Milestones(started=AT, detected=AT),
)


def header(blocks: render.Blocks) -> str:
    """Return the text of the summary's header block."""
    [block] = [b for b in blocks if b["type"] == "header"]
    return str(block["text"]["text"])


def fields(blocks: render.Blocks) -> list[str]:
    """Return the summary's fields, in order."""
    [block] = [b for b in blocks if "fields" in b]
    return [f["text"] for f in block["fields"]]


def buttons(blocks: render.Blocks) -> list[tuple[str, str]]:
    """Return the summary's buttons as (action_id, label)."""
    actions = [b for b in blocks if b["type"] == "actions"]
    if not actions:
        return []
    [block] = actions
    assert block["block_id"] == ids.SUMMARY_ACTIONS
    return [(e["action_id"], e["text"]["text"]) for e in block["elements"]]


# --- topic -------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    title=st.text(),
    commander=st.one_of(st.none(), st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")),
)
def test_topic_any_title_and_commander_fits_250(title: str, commander: str | None) -> None:
    roles = {Role.COMMANDER: commander} if commander else {}
    assert len(render.topic(replace(STATE, title=title, roles=roles))) <= 250


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        ({Role.COMMANDER: ALICE}, f"SEV1 | investigating | Incident commander: <@{ALICE}>"),
        ({}, "SEV1 | investigating | Incident commander: unassigned"),
        ({Role.COMMS: BOB}, "SEV1 | investigating | Incident commander: unassigned"),
    ],
)
def test_topic_shows_severity_status_and_commander_by_role_label(
    roles: dict[Role, str], expected: str
) -> None:
    assert render.topic(replace(STATE, roles=roles)) == expected


# --- the pinned summary ------------------------------------------------------------------------


@settings(max_examples=200, deadline=None, derandomize=True)
@given(title=st.text(min_size=1), number=st.integers(min_value=1, max_value=10**9))
def test_summary_any_title_header_fits_150(title: str, number: int) -> None:
    _, blocks = render.summary(replace(STATE, title=title, number=number))
    assert len(header(blocks)) <= 150


def test_summary_long_title_header_starts_with_reference() -> None:
    _, blocks = render.summary(replace(STATE, title="Checkout " * 100))
    assert header(blocks).startswith("INC-7: Checkout Checkout")
    assert len(header(blocks)) <= 150


def test_summary_title_with_broadcast_fallback_text_notifies_nobody() -> None:
    text, _ = render.summary(
        replace(STATE, title=RISKY_TITLE, last_update="<!channel> rolled back")
    )
    assert not has_broadcast(text)
    assert "<@U9TITLE" not in text
    assert "@mallory" in text


def test_summary_title_with_broadcast_no_block_carries_broadcast() -> None:
    _, blocks = render.summary(
        replace(STATE, title=RISKY_TITLE, last_update="<!channel> rolled back")
    )
    assert not has_broadcast(header(blocks)), header(blocks)
    assert not has_broadcast(json.dumps(blocks, ensure_ascii=False))


def test_summary_open_incident_blocks_read_exactly() -> None:
    text, blocks = render.summary(replace(STATE, last_update="Rolled back"))
    assert text == "INC-7: Checkout API failing (SEV1, investigating)"
    button = {"type": "button", "value": "1"}
    assert blocks == [
        {"type": "header", "text": {"type": "plain_text", "text": "INC-7: Checkout API failing"}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Severity:* SEV1"},
                {"type": "mrkdwn", "text": "*Status:* :mag: investigating"},
                {"type": "mrkdwn", "text": f"*Declared:* {when(AT)} by <@{ALICE}>"},
                {"type": "mrkdwn", "text": f"*Next update due:* {when(DUE)}"},
            ],
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": ROLES_TEXT}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Last update:* Rolled back"}},
        {
            "type": "actions",
            "block_id": ids.SUMMARY_ACTIONS,
            "elements": [
                {
                    **button,
                    "action_id": ids.POST_UPDATE_BUTTON,
                    "text": {"type": "plain_text", "text": "Post update"},
                },
                {
                    **button,
                    "action_id": ids.CHANGE_STATUS_BUTTON,
                    "text": {"type": "plain_text", "text": "Change status"},
                },
                {
                    **button,
                    "action_id": ids.RESOLVE_BUTTON,
                    "text": {"type": "plain_text", "text": "Resolve"},
                    "style": "danger",
                },
            ],
        },
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"Updated {when(AT)} · `/incident help` for commands"}
            ],
        },
    ]


def test_summary_resolved_incident_blocks_read_exactly() -> None:
    resolved = replace(
        STATE,
        status=Status.RESOLVED,
        resolved_at=LATER,
        updated_at=LATER,
        next_update_at=None,
        last_update="All green",
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
                {"type": "mrkdwn", "text": f"*Declared:* {when(AT)} by <@{ALICE}>"},
                {"type": "mrkdwn", "text": f"*Resolved:* {when(LATER)}"},
            ],
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": ROLES_TEXT}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Last update:* All green"}},
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


def test_summary_without_update_says_none_yet() -> None:
    _, blocks = render.summary(STATE)
    assert "*Last update:* none yet" in json.dumps(blocks)


def test_summary_impact_since_only_when_the_start_was_moved() -> None:
    moved = replace(STATE, milestones=Milestones(started=EARLIER, detected=AT))
    assert fields(render.summary(moved)[1]) == [
        "*Severity:* SEV1",
        "*Status:* :mag: investigating",
        f"*Declared:* {when(AT)} by <@{ALICE}>",
        f"*Impact since:* {when(EARLIER)}",
        f"*Next update due:* {when(DUE)}",
    ]
    assert not any("Impact since" in f for f in fields(render.summary(STATE)[1]))


def test_summary_reminders_off_says_how_to_turn_them_on() -> None:
    quiet = replace(STATE, cadence=None, next_update_at=None)
    assert fields(render.summary(quiet)[1])[-1] == (
        "*Next update due:* reminders off (`/incident cadence 30m` turns them on)"
    )


def test_summary_without_commander_offers_take_command_first() -> None:
    _, blocks = render.summary(replace(STATE, roles={Role.COMMS: BOB}))
    assert buttons(blocks) == [
        (ids.TAKE_COMMAND_BUTTON, "Take command"),
        (ids.POST_UPDATE_BUTTON, "Post update"),
        (ids.CHANGE_STATUS_BUTTON, "Change status"),
        (ids.RESOLVE_BUTTON, "Resolve"),
    ]
    actions = next(b for b in blocks if b["type"] == "actions")
    take = actions["elements"][0]
    assert take["style"] == "primary"
    assert take["value"] == "1"


def test_summary_with_commander_offers_no_take_command() -> None:
    _, blocks = render.summary(STATE)
    assert ids.TAKE_COMMAND_BUTTON not in [action for action, _ in buttons(blocks)]


def test_summary_resolved_incident_has_no_buttons() -> None:
    _, blocks = render.summary(replace(STATE, status=Status.RESOLVED, resolved_at=LATER, roles={}))
    assert buttons(blocks) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, when(DUE)),
        (
            {"cadence": None, "next_update_at": None},
            "reminders off (`/incident cadence 30m` turns them on)",
        ),
        ({"status": Status.RESOLVED, "resolved_at": LATER}, "none (resolved)"),
    ],
    ids=["due", "off", "resolved"],
)
def test_next_update_says_when_or_why_not(changes: dict[str, Any], expected: str) -> None:
    assert render.next_update(replace(STATE, **changes)) == expected


def test_summary_shows_the_call_link_while_open() -> None:
    call = "https://meet.example.com/inc-7"
    assert fields(render.summary(replace(STATE, call_url=call))[1])[-1] == (
        f"*Call:* <{call}|Join the incident call>"
    )
    assert not any("Call" in f for f in fields(render.summary(STATE)[1]))
    resolved = replace(STATE, call_url=call, status=Status.RESOLVED, resolved_at=LATER)
    assert not any("Call" in f for f in fields(render.summary(resolved)[1]))
