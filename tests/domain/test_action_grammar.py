"""`/incident action ...`: adding with owner, priority and due date; editing one field; done;
and what people hear when the line is wrong."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.actions import Due, Priority, may_add_after, parse_owners
from bot.domain.commands import AddAction, Command, CompleteAction, EditAction
from bot.domain.errors import UsageError
from bot.domain.grammar import parse
from bot.domain.tickets import ticket_label

ME = "U0ME"
P1, P3 = Priority.P1, Priority.P3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("action Fix the thing", AddAction("Fix the thing", None)),
        ("action Fix it <@U0BOB|bob>", AddAction("Fix it", "U0BOB")),
        ("action Fix it p1", AddAction("Fix it", None, P1)),
        ("action Fix it P3", AddAction("Fix it", None, P3)),
        ("action Fix it due 2026-12-24", AddAction("Fix it", None, None, Due(date(2026, 12, 24)))),
        ("action Fix it due +7d", AddAction("Fix it", None, None, Due(days=7))),
        (
            "action Alert on gateway p99 <@U0BOB|bob> p1 due +7d",
            AddAction("Alert on gateway p99", "U0BOB", P1, Due(days=7)),
        ),
        (  # the options in any order at the end
            "action Alert on p99 due +3d p3 <@U0BOB>",
            AddAction("Alert on p99", "U0BOB", P3, Due(days=3)),
        ),
        # A text that ends like an option keeps it when the option was already given.
        ("action Alert on p99 p1", AddAction("Alert on p99", None, P1)),
        ("action p1", AddAction("p1", None)),
        ("action 2 things to check", AddAction("2 things to check", None)),
        ("action 2 owner me", EditAction(2, owner_id=ME)),
        ("action 2 owner <@U0BOB|bob>", EditAction(2, owner_id="U0BOB")),
        ("action 2 priority p3", EditAction(2, priority=P3)),
        ("action 2 due 2026-12-24", EditAction(2, due=Due(date(2026, 12, 24)))),
        ("action 2 due +14d", EditAction(2, due=Due(days=14))),
        ("action 2 public", EditAction(2, public=True)),
        ("action done 3", CompleteAction(3)),
    ],
)
def test_action_line_parses_to_command(text: str, expected: Command) -> None:
    assert parse(text, ME) == expected


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("action", "Describe the follow-up action."),
        ("action done x", "Say which action is done by its number"),
        ("action Fix it due tomorrow", "`tomorrow` is not a due date. Use `YYYY-MM-DD` or `+Nd`"),
        ("action Fix it due 2026-13-01", "`2026-13-01` is not a due date."),
        ("action 2 priority p9", "`p9` is not a priority. Use p1, p2 or p3."),
        ("action 2 priority", "Give `priority` one value: p1, p2 or p3."),
        ("action 2 owner bob", "I can't tell who `bob` is."),
        ("action 2 due +7d +8d", "Give `due` one value"),
        ("action 2 public now", "`public` takes nothing after it."),
    ],
)
def test_bad_action_line_says_what_and_the_right_form(text: str, said: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse(text, ME)
    assert said in str(raised.value)
    assert raised.value.hint is not None
    assert "/incident action <text> [@owner] [p1|p2|p3]" in raised.value.hint


def test_relative_due_counts_from_the_day_given() -> None:
    assert Due(days=7).resolve(date(2026, 12, 28)) == date(2027, 1, 4)
    assert Due(date(2026, 1, 2)).resolve(date(2026, 12, 28)) == date(2026, 1, 2)


def test_actions_may_be_added_for_30_days_after_resolve() -> None:
    resolved = datetime(2026, 11, 1, tzinfo=UTC)
    assert may_add_after(None, resolved)
    assert may_add_after(resolved, resolved + timedelta(days=30))
    assert not may_add_after(resolved, resolved + timedelta(days=30, seconds=1))


def test_owner_map_reads_pairs_and_refuses_the_rest() -> None:
    assert parse_owners("U0ALICE=alice-gh, U0BOB=bob") == {"U0ALICE": "alice-gh", "U0BOB": "bob"}
    for bad in ("U0ALICE", "U0ALICE=", "=alice"):
        with pytest.raises(ValueError, match="pairs"):
            parse_owners(bad)


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("https://github.com/acme/backlog/issues/12", "GitHub #12"),
        ("https://ghe.example.com/acme/backlog/issues/3/", "GitHub #3"),
        ("https://acme.atlassian.net/browse/OPS-3", "OPS-3"),
        ("https://example.com/elsewhere", "ticket"),
    ],
)
def test_ticket_link_reads_as_its_number_or_key(url: str, label: str) -> None:
    assert ticket_label(url) == label
