"""SEVERITY_RESPONDERS and INCIDENT_CALL_URL: read strictly; a bad value is one line naming it."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings
from bot.domain.model import Severity
from tests.bot.test_config import env_with


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"SEVERITY_RESPONDERS": "sev1"}, "SEVERITY_RESPONDERS"),
        ({"SEVERITY_RESPONDERS": "sev1=oncall"}, "SEVERITY_RESPONDERS"),
        ({"SEVERITY_RESPONDERS": "sev9=S0ONCALL"}, "SEVERITY_RESPONDERS"),
        ({"SEVERITY_RESPONDERS": "sev1="}, "SEVERITY_RESPONDERS"),
        ({"SEVERITY_RESPONDERS": "sev1=S0A;sev1=S0B"}, "SEVERITY_RESPONDERS"),
        ({"SEVERITY_RESPONDERS": "sev1=S0A,sev2=S0B"}, "SEVERITY_RESPONDERS"),
        ({"SEVERITY_RESPONDERS": ";"}, "SEVERITY_RESPONDERS"),
        ({"INCIDENT_CALL_URL": "meet.example.com/inc-{number}"}, "INCIDENT_CALL_URL"),
        ({"INCIDENT_CALL_URL": "ftp://meet.example.com/{number}"}, "INCIDENT_CALL_URL"),
        ({"INCIDENT_CALL_URL": "https://meet.example.com/{id}"}, "INCIDENT_CALL_URL"),
        ({"INCIDENT_CALL_URL": "https://meet.example.com/{number"}, "INCIDENT_CALL_URL"),
        ({"INCIDENT_CALL_URL": "https://meet.example.com/a|b"}, "INCIDENT_CALL_URL"),
        ({"INCIDENT_CALL_URL": "https:///inc-{number}"}, "INCIDENT_CALL_URL"),
    ],
)
def test_bad_responders_or_call_setting_names_the_variable_in_one_line(
    changes: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env_with(**changes))
    message = str(caught.value)
    assert message.startswith(f"{variable} must be ")
    assert "\n" not in message


def test_responders_and_call_settings_are_read() -> None:
    settings = load_settings(
        env_with(
            SEVERITY_RESPONDERS=" SEV1 = S0ONCALL , S0LEADS ; sev2=S0ONCALL ",
            INCIDENT_CALL_URL="https://meet.example.com/inc-{number}",
        )
    )
    assert settings.severity_responders == {
        Severity.SEV1: ("S0ONCALL", "S0LEADS"),
        Severity.SEV2: ("S0ONCALL",),
    }
    assert settings.incident_call_url == "https://meet.example.com/inc-{number}"


def test_responders_and_call_are_off_when_unset() -> None:
    settings = load_settings(env_with())
    assert settings.severity_responders == {}
    assert settings.incident_call_url is None
    fixed = load_settings(env_with(INCIDENT_CALL_URL="http://meet.example.com/war-room"))
    assert fixed.incident_call_url == "http://meet.example.com/war-room"  # no placeholder: one room
