"""Slack messages built from incident state: what people read, and who gets notified."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import slack_blocks as render
from bot.domain.errors import UsageError
from bot.domain.grammar import parse
from bot.domain.model import Entry, EntryKind, IncidentState, Role, Severity, Status

AT = datetime(2024, 3, 5, 14, 2, 30, tzinfo=UTC)
LATER = datetime(2024, 3, 5, 15, 40, tzinfo=UTC)
ALICE, BOB, CAROL, DAVE = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"
DATE_TOKEN = re.compile(r"<!date\^(\d+)\^[^|>]*\|([^>]* UTC)>")
MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
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


def item(kind: EntryKind, text: str = "", actor: str = BOB, **data: Any) -> Entry:
    """Return a timeline entry written by `actor` at AT."""
    return Entry(id=1, at=AT, actor_id=actor, kind=kind, text=text, data=data)


def header(blocks: render.Blocks) -> str:
    """Return the text of the summary's header block."""
    [block] = [b for b in blocks if b["type"] == "header"]
    return str(block["text"]["text"])


def has_broadcast(text: str) -> bool:
    return any(token in text for token in BROADCASTS)


# Example entries with what each must say; kinds without an example get a generic entry, so a
# new EntryKind is rendered (and checked) here from the day it is added.
ENTRIES: dict[EntryKind, tuple[Entry, list[str]]] = {
    EntryKind.DECLARED: (item(EntryKind.DECLARED, "Checkout API failing"), ["INC-7 declared"]),
    EntryKind.UPDATE: (
        item(EntryKind.UPDATE, "Rolled back 4512"),
        ["*Update*", ">Rolled back 4512"],
    ),
    EntryKind.ROLE: (
        item(EntryKind.ROLE, role="comms", user=CAROL, previous=DAVE),
        [f"<@{CAROL}> is now *Communications lead*", f"replacing <@{DAVE}>", "stakeholders"],
    ),
    EntryKind.SEVERITY: (
        item(EntryKind.SEVERITY, previous="sev2", severity="sev1"),
        ["from SEV2 to *SEV1*"],
    ),
    EntryKind.STATUS: (
        item(EntryKind.STATUS, "Bad config push", status="identified", previous="investigating"),
        ["*identified*", "was investigating", ">Bad config push"],
    ),
    EntryKind.RESOLVED: (item(EntryKind.RESOLVED, "All green"), ["*INC-7 resolved*", ">All green"]),
    EntryKind.PINNED: (
        item(EntryKind.PINNED, "p99 went to 9s", pinned_by=DAVE),
        [f"Added to the timeline by <@{DAVE}>", ">p99 went to 9s"],
    ),
    EntryKind.MILESTONE: (
        item(EntryKind.MILESTONE, milestone="started", at=AT.isoformat()),
        [f"set *Impact started* to <!date^{int(AT.timestamp())}^"],
    ),
    EntryKind.ACTION: (
        item(EntryKind.ACTION, "Alert on gateway p99", number=2, owner=DAVE, verb="added"),
        [f"added follow-up action 2 (owner: <@{DAVE}>)", ">Alert on gateway p99"],
    ),
}


def example(kind: EntryKind) -> tuple[Entry, list[str]]:
    """Return the example entry for `kind`, or a generic one that must not pass for a declare."""
    generic = item(
        kind,
        "Elevated error rates for payments",
        status="major_outage",
        previous="operational",
        components=["API", "Checkout"],
        name="Elevated error rates for payments",
    )
    return ENTRIES.get(kind, (generic, []))


@pytest.mark.parametrize("kind", list(EntryKind), ids=str)
def test_entry_any_kind_shows_author_and_date_token(kind: EntryKind) -> None:
    entry, fragments = example(kind)
    text = render.entry(STATE, entry)
    assert f"<@{BOB}>" in text
    token = DATE_TOKEN.search(text)
    assert token is not None, text
    assert token.group(1) == str(int(AT.timestamp()))
    assert token.group(2) == "2024-03-05 14:02 UTC"
    for fragment in fragments:
        assert fragment in text


@pytest.mark.parametrize("kind", [k for k in EntryKind if k is not EntryKind.DECLARED], ids=str)
def test_entry_other_kind_is_not_shown_as_declaration(kind: EntryKind) -> None:
    entry, _ = example(kind)
    assert "declared" not in render.entry(STATE, entry)


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (EntryKind.UPDATE, {}),
        (EntryKind.STATUS, {"status": "monitoring", "previous": "identified"}),
        (EntryKind.RESOLVED, {}),
        (EntryKind.PINNED, {"pinned_by": DAVE}),
    ],
    ids=str,
)
def test_entry_typed_broadcast_is_neutralized(kind: EntryKind, data: dict[str, Any]) -> None:
    text = render.entry(
        STATE, item(kind, "<!here> rollback done\n<!channel> and <!everyone>", **data)
    )
    assert not has_broadcast(text)
    assert "here" in text
    assert text.count("\n>") >= 2  # both typed lines are quoted


def test_entry_update_keeps_user_mentions_and_lines() -> None:
    text = render.entry(STATE, item(EntryKind.UPDATE, f"asked <@{CAROL}>\n\nthen retried"))
    assert text.endswith(f">asked <@{CAROL}>\n>\n>then retried")


def test_entry_role_without_previous_holder_says_no_replacement() -> None:
    text = render.entry(STATE, item(EntryKind.ROLE, role="commander", user=ALICE))
    assert "replacing" not in text
    assert "*Incident commander*" in text


def test_entry_resolved_without_message_has_no_quote() -> None:
    text = render.entry(STATE, item(EntryKind.RESOLVED, ""))
    assert text == f":white_check_mark: *INC-7 resolved* by <@{BOB}> · {render.when(AT)}"


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


def test_summary_open_incident_has_no_resolved_field() -> None:
    _, blocks = render.summary(STATE)
    assert "*Resolved:*" not in json.dumps(blocks)


ANNOUNCED: list[Entry] = [
    item(EntryKind.DECLARED, RISKY_TITLE, actor=ALICE),
    item(EntryKind.SEVERITY, previous="sev2", severity="sev1"),
    item(EntryKind.STATUS, "ask <@U9TEXT|trent> <!here>", status="identified", previous="x"),
    item(EntryKind.RESOLVED, "thanks <@U9TEXT|trent> <!channel>"),
    item(EntryKind.RESOLVED, ""),
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
    text = render.announcement(STATE, item(EntryKind.DECLARED, actor=ALICE))
    assert text.startswith(":rotating_light: New incident *INC-7* (SEV1): Checkout API failing")
    assert f"Declared by <@{ALICE}>" in text
    assert DATE_TOKEN.search(text)


def test_announcement_without_channel_id_names_channel() -> None:
    pending = state(channel_id=None)
    text = render.announcement(pending, item(EntryKind.DECLARED, actor=ALICE))
    assert "#inc-7-checkout-api-failing" in text
    assert "<#" not in text


def test_announcement_status_and_severity_say_what_changed() -> None:
    status = render.announcement(
        STATE, item(EntryKind.STATUS, "Fix out", status="monitoring", previous="identified")
    )
    severity = render.announcement(
        STATE, item(EntryKind.SEVERITY, previous="sev3", severity="sev1")
    )
    resolved = render.announcement(STATE, item(EntryKind.RESOLVED, "All green"))
    assert "Status: *monitoring*: Fix out" in status
    assert "Severity is now *SEV1* (was SEV3)" in severity
    assert "*Resolved*: All green" in resolved


def test_announcement_title_hiding_broadcast_in_removed_token_notifies_nobody() -> None:
    # Titles from the declare form arrive unescaped, so `<` can be typed directly.
    text = render.announcement(
        state(title="<<!x>!channel> checkout down"), item(EntryKind.DECLARED, actor=ALICE)
    )
    assert not has_broadcast(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("a & b", "a &amp; b"),
        ("declare <title>", "declare &lt;title&gt;"),
        ("&lt;", "&amp;lt;"),
        ("<@U1>", "&lt;@U1&gt;"),
    ],
)
def test_escape_special_characters_become_entities(text: str, expected: str) -> None:
    assert render.escape(text) == expected


@pytest.mark.parametrize(
    ("message", "hint", "expected"),
    [
        ("Bad.", None, ":warning: Bad."),
        ("Bad.", "Usage: `/incident x <y>`", ":warning: Bad.\nUsage: `/incident x &lt;y&gt;`"),
        ("`<!channel>` is not a command.", None, ":warning: `@\u2060channel` is not a command."),
    ],
)
def test_error_text_message_neutralized_hint_escaped(
    message: str, hint: str | None, expected: str
) -> None:
    assert render.error_text(message, hint) == expected


def test_error_text_usage_error_from_grammar_reads_cleanly() -> None:
    with pytest.raises(UsageError) as caught:
        parse("declare sev9 Checkout", ALICE)
    text = render.error_text(caught.value.message, caught.value.hint)
    assert text.startswith(":warning: `sev9` is not a severity.")
    assert "Usage: `/incident declare [sev1|sev2|sev3|sev4] &lt;title&gt;`" in text
    assert "<title>" not in text


def test_when_gives_date_token_with_utc_fallback() -> None:
    assert render.when(AT) == (
        f"<!date^{int(AT.timestamp())}^{{date_short_pretty}} {{time}}|2024-03-05 14:02 UTC>"
    )


def test_incident_list_titles_use_quiet_mentions() -> None:
    text = render.incident_list([state(title=RISKY_TITLE)])
    assert "<@U9TITLE" not in text
    assert not has_broadcast(text)
    assert "*INC-7* SEV1 · investigating" in text
    assert render.incident_list([]) == "No open incidents. :tada:"
