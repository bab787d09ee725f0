"""The Home view stays within Slack's limits whatever the number and size of incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.home import HomeData, HomeIncident, Limits, open_for
from bot.domain.model import Role, Severity, Status
from bot.slack.home import home_view
from sandbox.slack.blocks import check_view
from sandbox.slack.render import block_lines

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
HUGE = "<!channel> *" + "very long title " * 400  # 6,400 characters of someone's typing


def incident(number: int, **fields: object) -> HomeIncident:
    base: dict[str, object] = {
        "number": number,
        "title": HUGE,
        "severity": Severity.SEV1,
        "status": Status.INVESTIGATING,
        "commander": "U0ALICE",
        "channel_id": f"C{number:05d}",
        "created_at": NOW - timedelta(hours=3),
    }
    return HomeIncident(**(base | fields))  # type: ignore[arg-type]


def crowded() -> HomeData:
    limits = Limits()
    return HomeData(
        viewer="U0BOB",
        now=NOW,
        open=[incident(n) for n in range(limits.open)],
        open_total=300,
        mine=[incident(n, roles=(Role.COMMANDER, Role.SCRIBE)) for n in range(limits.mine)],
        mine_total=40,
        resolved=[
            incident(n, status=Status.RESOLVED, resolved_at=NOW) for n in range(limits.resolved)
        ],
    )


def test_home_view_of_hundreds_of_incidents_fits_a_home_and_says_how_many_more() -> None:
    view = home_view(crowded())
    assert check_view(view) is view  # Slack's checks: 100 blocks, section text 3,000, ...
    assert len(view["blocks"]) <= 60
    text = "\n".join(block_lines(view["blocks"]))
    assert "…and 275 more: `/incident list` shows them all." in text
    assert "…and 30 more" in text
    assert "<!channel>" not in text  # a title never notifies anyone
    assert "you: Incident commander, Scribe" in text


def test_home_line_leaves_room_for_the_call_link() -> None:
    data = crowded()
    data.open[0] = incident(1, call_url="https://meet.example.com/inc-1")
    text = "\n".join(block_lines(home_view(data)["blocks"]))
    assert "<https://meet.example.com/inc-1|Join the call>" in text


def test_open_for_is_minutes_then_hours_then_days() -> None:
    assert open_for(NOW - timedelta(minutes=59), NOW) == "59m"
    assert open_for(NOW - timedelta(hours=5, minutes=50), NOW) == "5h"
    assert open_for(NOW - timedelta(days=3, hours=2), NOW) == "3d 2h"
    assert open_for(NOW + timedelta(minutes=1), NOW) == "0m"  # a clock a little behind


def test_home_lists_a_canceled_incident_with_the_closed_ones_as_a_false_alarm() -> None:
    data = crowded()
    data.resolved[0] = incident(1, status=Status.CANCELED, resolved_at=NOW)
    text = "\n".join(block_lines(home_view(data)["blocks"]))
    assert ":no_entry_sign: canceled (false alarm)" in text
    assert text.count(":white_check_mark: resolved") == len(data.resolved) - 1
