"""Which user groups an incident brings in, and its call link."""

from __future__ import annotations

import pytest

from bot.domain.model import Severity
from bot.domain.responders import call_link, groups_to_invite
from tests.slack.states import sample

S = Severity
RESPONDERS = {S.SEV1: ("S0ONCALL", "S0LEADS"), S.SEV2: ("S0ONCALL",)}


@pytest.mark.parametrize(
    ("severity", "previous", "groups"),
    [
        (S.SEV1, None, ("S0ONCALL", "S0LEADS")),  # declared at SEV1
        (S.SEV2, None, ("S0ONCALL",)),
        (S.SEV3, None, ()),  # no groups for SEV3
        (S.SEV1, S.SEV3, ("S0ONCALL", "S0LEADS")),  # escalated
        (S.SEV1, S.SEV2, ("S0ONCALL", "S0LEADS")),
        (S.SEV2, S.SEV1, ()),  # de-escalated: everyone needed is there
        (S.SEV2, S.SEV2, ()),
    ],
)
def test_groups_to_invite_follow_declare_and_escalation(
    severity: Severity, previous: Severity | None, groups: tuple[str, ...]
) -> None:
    incident = sample(severity=severity)
    assert groups_to_invite(RESPONDERS, incident, previous=previous) == groups


def test_call_link_puts_the_number_in_the_template() -> None:
    assert call_link("https://meet.example.com/inc-{number}", 42) == (
        "https://meet.example.com/inc-42"
    )
    assert call_link(None, 42) is None
