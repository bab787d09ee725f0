"""Replies to commands: the list of open incidents."""

from __future__ import annotations

from bot.slack.replies import incident_list
from tests.slack.states import RISKY_TITLE, has_broadcast, sample


def test_incident_list_titles_use_quiet_mentions() -> None:
    risky = sample(title=RISKY_TITLE)
    text = incident_list([risky])
    assert "<@U9TITLE" not in text
    assert not has_broadcast(text)
    assert "*INC-7* SEV1 · investigating" in text
    assert incident_list([]) == "No open incidents. :tada:"
