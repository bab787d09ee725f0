"""Replies to commands: the list of open incidents."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.model import IncidentState, Role, Severity, Status
from bot.slack.replies import incident_list

AT = datetime(2024, 3, 5, 14, 2, 30, tzinfo=UTC)
BROADCASTS = ("<!channel>", "<!here>", "<!everyone>", "<!subteam^")
RISKY_TITLE = "<@U9TITLE|mallory> broke <!channel> checkout <!here>"


def test_incident_list_titles_use_quiet_mentions() -> None:
    risky = IncidentState(
        id=1,
        number=7,
        title=RISKY_TITLE,
        severity=Severity.SEV1,
        status=Status.INVESTIGATING,
        declared_by="U0ALICE",
        channel_id="C0INC7",
        channel_name="inc-7-checkout-api-failing",
        created_at=AT,
        updated_at=AT,
        resolved_at=None,
        roles={Role.COMMANDER: "U0ALICE"},
    )
    text = incident_list([risky])
    assert "<@U9TITLE" not in text
    assert not any(token in text for token in BROADCASTS)
    assert "*INC-7* SEV1 · investigating" in text
    assert incident_list([]) == "No open incidents. :tada:"
