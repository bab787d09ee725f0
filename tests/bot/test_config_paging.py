"""Paging and alerts settings: one line naming the variable; routing keys stay hidden."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings
from bot.domain.paging import AlertLevel, keys_of
from tests.bot.test_config import env_with

KEY = "LEAKME" + "0" * 26  # 32 characters


@pytest.mark.parametrize(
    ("changes", "variable"),
    [
        ({"PAGERDUTY_ROUTING_KEYS": "payments"}, "PAGERDUTY_ROUTING_KEYS"),
        ({"PAGERDUTY_ROUTING_KEYS": "payments=LEAKME"}, "PAGERDUTY_ROUTING_KEYS"),
        ({"PAGERDUTY_ROUTING_KEYS": f"Pay ments={KEY}"}, "PAGERDUTY_ROUTING_KEYS"),
        ({"PAGERDUTY_ROUTING_KEYS": f"a={KEY},a={KEY}"}, "PAGERDUTY_ROUTING_KEYS"),
        ({"PAGERDUTY_EVENTS_URL": "ftp://LEAKME"}, "PAGERDUTY_EVENTS_URL"),
        ({"PAGE_ON_SEV1": "core"}, "PAGE_ON_SEV1"),
        ({"PAGERDUTY_ROUTING_KEYS": f"a={KEY}", "PAGE_ON_SEV1": "core"}, "PAGE_ON_SEV1"),
        ({"ALERTMANAGER_TOKEN": "LEAKME"}, "ALERTMANAGER_TOKEN"),
        ({"ALERT_DECLARE_SEVERITY": "LEAKME"}, "ALERT_DECLARE_SEVERITY"),
    ],
)
def test_bad_paging_setting_names_the_variable_in_one_line(
    changes: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env_with(**changes))
    message = str(caught.value)
    assert variable in message
    assert "\n" not in message
    assert "LEAKME" not in message


def test_paging_settings_are_read_and_keys_hidden() -> None:
    settings = load_settings(
        env_with(
            PAGERDUTY_ROUTING_KEYS=f" payments={KEY} , core={KEY.lower()} ",
            PAGE_ON_SEV1="core",
            ALERT_DECLARE_SEVERITY="Warning",
        )
    )
    assert keys_of(settings.pagerduty_routing_keys) == {"payments": KEY, "core": KEY.lower()}
    assert settings.page_on_sev1 == "core"
    assert settings.alert_declare_severity is AlertLevel.WARNING
    assert settings.pagerduty_events_url == "https://events.pagerduty.com/v2/enqueue"
    assert "LEAKME" not in repr(settings)
    assert "LEAKME" not in str(settings)
