"""Direct messages: what a new role holder reads, and a new commander's catch-up."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.domain.entries import Entry, Resolved, StatusChanged, Updated
from bot.domain.model import Role, Status
from bot.domain.postmortem import Action
from bot.slack import direct
from bot.slack.format import when
from tests.slack.states import ALICE, AT, BOB, DUE, sample

STATE = sample(
    status=Status.IDENTIFIED,
    roles={Role.COMMANDER: BOB},
    cadence=timedelta(minutes=30),
    next_update_at=DUE,
)


def news(text: str, n: int = 1) -> Entry:
    """Return an internal update with `text`."""
    return Entry(id=n, at=AT, actor_id=ALICE, text=text, fact=Updated())


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_role_message_names_role_incident_channel_and_duty(role: Role) -> None:
    text = direct.role_message(STATE, role, ALICE, None)
    assert text == (
        f":bust_in_silhouette: <@{ALICE}> made you *{role.label}* of INC-7 in <#C0INC7>.\n"
        f"_{role.duty}_"
    )


def test_role_message_before_the_channel_exists_names_the_incident() -> None:
    text = direct.role_message(replace(STATE, channel_id=None), Role.SCRIBE, ALICE, None)
    assert text.startswith(f":bust_in_silhouette: <@{ALICE}> made you *Scribe* of INC-7 in INC-7.")


def test_role_message_commander_handoff_reads_exactly() -> None:
    updates = [
        news("Error rate 38%", 1),
        Entry(
            2, AT, BOB, "Bad config push", StatusChanged(Status.IDENTIFIED, Status.INVESTIGATING)
        ),
        news("Rolled back <!channel>", 3),
    ]
    actions = [Action(2, "Alert on gateway p99", None, done=False)]
    text = direct.role_message(STATE, Role.COMMANDER, ALICE, direct.CatchUp(updates, actions))
    assert text == "\n".join(
        [
            f":bust_in_silhouette: <@{ALICE}> made you *Incident commander* of INC-7 in <#C0INC7>.",
            f"_{Role.COMMANDER.duty}_",
            "",
            f"*Catch-up:* SEV1 · :bulb: identified · next update due: {when(DUE)}",
            "*Last updates:*",
            "• Error rate 38%",
            "• Bad config push",
            "• Rolled back @\u2060channel",
            "*Open actions:*",
            "• 2. Alert on gateway p99",
        ]
    )


def test_role_message_handoff_before_any_update_says_none_yet_and_lists_no_actions() -> None:
    quiet = replace(STATE, status=Status.INVESTIGATING, cadence=None, next_update_at=None)
    text = direct.role_message(quiet, Role.COMMANDER, ALICE, direct.CatchUp([], []))
    assert text.endswith(
        "\n\n*Catch-up:* SEV1 · :mag: investigating · next update due: reminders off "
        "(`/incident cadence 30m` turns them on)\n*Last updates:* none yet"
    )
    assert "Open actions" not in text


def test_role_message_handoff_after_resolution_says_no_update_is_due() -> None:
    resolved = Entry(4, AT, BOB, "All green", Resolved(Status.MONITORING))
    done = replace(STATE, status=Status.RESOLVED, resolved_at=AT, next_update_at=None)
    text = direct.role_message(done, Role.COMMANDER, ALICE, direct.CatchUp([resolved], []))
    assert "*Catch-up:* SEV1 · :white_check_mark: resolved · next update due: none (resolved)" in (
        text
    )
    assert text.endswith("*Last updates:*\n• All green")
