"""The stakeholders' channel: the one headline per incident, and the replies in its thread."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.entries import (
    Declared,
    Entry,
    Resolved,
    SeverityChanged,
    StatusChanged,
)
from bot.domain.model import Severity, Status
from bot.slack import stakeholders as render
from bot.slack.format import when
from tests.slack.states import (
    ALICE,
    AT,
    DUE,
    PUBLIC_URL,
    RISKY_TITLE,
    has_broadcast,
    item,
    sample,
)

LATER = AT + timedelta(hours=1, minutes=38)
STATE = sample(cadence=timedelta(minutes=30), next_update_at=DUE)


def lines(blocks: render.Blocks) -> tuple[str, str]:
    """Return the headline's two lines: its head and its context."""
    [section, context] = blocks
    assert section["type"] == "section"
    assert context["type"] == "context"
    [element] = context["elements"]
    return section["text"]["text"], element["text"]


# --- the headline ------------------------------------------------------------------------------


def test_headline_open_incident_reads_exactly() -> None:
    text, blocks = render.headline(STATE, public_url=PUBLIC_URL)
    assert text == "INC-7 (SEV1, investigating): Checkout API failing"
    assert lines(blocks) == (
        "*INC-7* · SEV1 · :mag: investigating · Checkout API failing",
        f"Incident commander: <@{ALICE}> · Open since {when(AT)} · "
        f"Next update due: {when(DUE)} · <#C0INC7>",
    )


def test_headline_resolved_public_incident_says_how_long_and_links_the_status_page() -> None:
    resolved = replace(
        STATE,
        status=Status.RESOLVED,
        resolved_at=LATER,
        next_update_at=None,
        public=True,
        public_name="Checkout errors for some customers",
    )
    text, blocks = render.headline(resolved, public_url=PUBLIC_URL)
    assert text == "INC-7 (SEV1, resolved): Checkout errors for some customers"
    assert lines(blocks) == (
        "*INC-7* · SEV1 · :white_check_mark: resolved · Checkout errors for some customers",
        f"Incident commander: <@{ALICE}> · Lasted 1h 38m · <#C0INC7> · <{PUBLIC_URL}|status page>",
    )


def test_headline_links_the_status_page_only_once_something_is_public() -> None:
    _, private = render.headline(STATE, public_url=PUBLIC_URL)
    _, public = render.headline(replace(STATE, public=True), public_url=PUBLIC_URL)
    _, no_page = render.headline(replace(STATE, public=True), public_url=None)
    assert "status page" not in lines(private)[1]
    assert lines(public)[1].endswith(f" · <#C0INC7> · <{PUBLIC_URL}|status page>")
    assert "status page" not in lines(no_page)[1]


def test_headline_without_commander_or_reminders_says_so() -> None:
    quiet = replace(STATE, roles={}, cadence=None, next_update_at=None)
    _, blocks = render.headline(quiet, public_url=None)
    assert lines(blocks)[1] == (
        f"Incident commander: unassigned · Open since {when(AT)} · Next update due: reminders off "
        "(`/incident cadence 30m` turns them on) · <#C0INC7>"
    )


def test_headline_before_the_channel_exists_links_no_channel() -> None:
    _, blocks = render.headline(replace(STATE, channel_id=None), public_url=None)
    assert "<#" not in lines(blocks)[1]


def test_headline_title_with_mentions_and_broadcasts_notifies_nobody() -> None:
    text, blocks = render.headline(replace(STATE, title=RISKY_TITLE), public_url=None)
    for said in (text, json.dumps(blocks, ensure_ascii=False)):
        assert not has_broadcast(said)
        assert "<@U9TITLE" not in said
        assert "@mallory" in said


def test_headline_title_hiding_broadcast_in_removed_token_notifies_nobody() -> None:
    # Titles from the declare form arrive unescaped, so `<` can be typed directly.
    text, blocks = render.headline(
        replace(STATE, title="<<!x>!channel> checkout down"), public_url=None
    )
    assert not has_broadcast(text)
    assert not has_broadcast(json.dumps(blocks, ensure_ascii=False))


# --- replies in the headline's thread ----------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            item(Declared(Severity.SEV1), "Checkout API failing", actor=ALICE),
            (f":rotating_light: Declared by <@{ALICE}>: Checkout API failing", False),
        ),
        (
            item(SeverityChanged(Severity.SEV1, previous=Severity.SEV3)),
            (":rotating_light: Severity is now *SEV1* (was SEV3)", False),
        ),
        (
            item(StatusChanged(Status.MONITORING, previous=Status.IDENTIFIED), "Fix out"),
            (":eyes: *Monitoring*: Fix out", False),
        ),
        (
            item(Resolved(previous=Status.MONITORING), "All green"),
            (":white_check_mark: *INC-7 is resolved*: All green", True),
        ),
        (
            item(Resolved(previous=Status.MONITORING), ""),
            (":white_check_mark: *INC-7 is resolved*", True),
        ),
    ],
    ids=["declared", "severity", "status", "resolved", "resolved-silently"],
)
def test_thread_reply_says_what_changed_and_broadcasts_only_the_resolution(
    entry: Entry, expected: tuple[str, bool]
) -> None:
    assert render.thread_reply(STATE, entry) == expected


@pytest.mark.parametrize(
    "entry",
    [
        item(Declared(Severity.SEV1), RISKY_TITLE, actor=ALICE),
        item(
            StatusChanged(Status.IDENTIFIED, previous=Status.INVESTIGATING),
            "ask <@U9TEXT|trent> <!here>",
        ),
        item(Resolved(previous=Status.IDENTIFIED), "thanks <@U9TEXT|trent> <!channel>"),
    ],
    ids=["declared", "status", "resolved"],
)
def test_thread_reply_typed_mentions_and_broadcasts_notify_nobody(entry: Entry) -> None:
    text, _ = render.thread_reply(replace(STATE, title=RISKY_TITLE), entry)
    assert not has_broadcast(text)
    assert "<@U9T" not in text
    assert "@mallory" in text or "@trent" in text


def test_thread_reply_long_message_is_one_line_of_at_most_500() -> None:
    text, _ = render.thread_reply(
        STATE, item(StatusChanged(Status.IDENTIFIED, Status.INVESTIGATING), "x\n" * 400)
    )
    assert "\n" not in text
    assert text.endswith("…")
    assert len(text) <= len(":bulb: *Identified*: ") + 500


def test_headline_links_the_call_while_the_incident_is_open() -> None:
    call = "https://meet.example.com/inc-7"
    _, open_ = render.headline(replace(STATE, call_url=call), public_url=None)
    assert lines(open_)[1].endswith(f" · <#C0INC7> · <{call}|incident call>")
    resolved = replace(STATE, call_url=call, status=Status.RESOLVED, resolved_at=LATER)
    _, closed = render.headline(resolved, public_url=None)
    assert "incident call" not in lines(closed)[1]
