"""Settings: a bad environment stops start-up naming the variable; secrets stay hidden."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from bot.config import ConfigError, Secret, Settings, load_settings
from bot.domain.model import Severity

BOT_TOKEN = "xoxb-1111-TOPSECRETBOT"
SIGNING_SECRET = "SIGNINGTOPSECRET9f8e7d"
APP_TOKEN = "xapp-1-TOPSECRETAPP"
DB_PASSWORD = "DBPASSWORDhunter2"
STATUSPAGE_KEY = "spkeyTOPSECRET0c1d"
HTTP_ENV = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}


def env_with(**changes: str | None) -> dict[str, str]:
    """Return the minimal HTTP-mode env with `changes` applied (None removes a variable)."""
    env: dict[str, str | None] = {**HTTP_ENV, **changes}
    return {key: value for key, value in env.items() if value is not None}


BAD_ENVS: list[tuple[dict[str, str], str]] = [
    (env_with(SLACK_BOT_TOKEN=None), "SLACK_BOT_TOKEN"),
    (env_with(SLACK_BOT_TOKEN="   "), "SLACK_BOT_TOKEN"),
    (env_with(SLACK_BOT_TOKEN="xoxp-user-token-LEAKME"), "SLACK_BOT_TOKEN"),
    (env_with(SLACK_BOT_TOKEN="xapp-1-LEAKME"), "SLACK_BOT_TOKEN"),
    (env_with(SLACK_APP_TOKEN="xoxb-not-an-app-token-LEAKME"), "SLACK_APP_TOKEN"),
    (env_with(SLACK_SIGNING_SECRET=None), "SLACK_SIGNING_SECRET"),
    (env_with(SLACK_SIGNING_SECRET="  "), "SLACK_SIGNING_SECRET"),
    (env_with(PORT="abc"), "PORT"),
    (env_with(PORT="70000"), "PORT"),
    (env_with(PORT="-1"), "PORT"),
    (env_with(PORT="3000.5"), "PORT"),
    (env_with(DEFAULT_SEVERITY="sev9"), "DEFAULT_SEVERITY"),
    (env_with(DEFAULT_SEVERITY="high"), "DEFAULT_SEVERITY"),
    (env_with(INCIDENT_CHANNEL_PREFIX="INC"), "INCIDENT_CHANNEL_PREFIX"),
    (env_with(INCIDENT_CHANNEL_PREFIX="Inc-ops"), "INCIDENT_CHANNEL_PREFIX"),
    (env_with(INCIDENT_CHANNEL_PREFIX="inc_ops"), "INCIDENT_CHANNEL_PREFIX"),
    (env_with(INCIDENT_CHANNEL_PREFIX="a" * 21), "INCIDENT_CHANNEL_PREFIX"),
    (env_with(DATABASE_URL="mysql://warroom:LEAKME@db/warroom"), "DATABASE_URL"),
    (env_with(DATABASE_URL="warroom.db"), "DATABASE_URL"),
    (env_with(SLACK_API_URL="ftp://slack.example.com/api/"), "SLACK_API_URL"),
    (env_with(SLACK_API_URL="slack.com/api"), "SLACK_API_URL"),
    (env_with(LOG_LEVEL="verbose"), "LOG_LEVEL"),
    (env_with(OUTBOX_DEAD_AFTER="0"), "OUTBOX_DEAD_AFTER"),
    (env_with(OUTBOX_DEAD_AFTER="soon"), "OUTBOX_DEAD_AFTER"),
    (env_with(ACK_BUDGET="0.01"), "ACK_BUDGET"),
    (env_with(ACK_BUDGET="3"), "ACK_BUDGET"),
    (env_with(ACK_BUDGET="nan"), "ACK_BUDGET"),
    (env_with(ACK_BUDGET="fast"), "ACK_BUDGET"),
    (env_with(STATUS_IMPACT="sev1=LEAKME"), "STATUS_IMPACT"),
    (env_with(STATUSPAGE_API_KEY="LEAKME"), "STATUSPAGE_PAGE_ID"),
    (env_with(STATUS_PAGE_ENABLED="LEAKME"), "STATUS_PAGE_ENABLED"),
    (env_with(DISPLAY_TIMEZONE="Mars/LEAKME"), "DISPLAY_TIMEZONE"),
    (env_with(REOPEN_WINDOW="LEAKME"), "REOPEN_WINDOW"),
    (env_with(REOPEN_WINDOW="7 days"), "REOPEN_WINDOW"),
    (env_with(REOPEN_WINDOW="400d"), "REOPEN_WINDOW"),
    (env_with(PRIVATE_ANNOUNCE_CHANNEL="#incident-leads"), "PRIVATE_ANNOUNCE_CHANNEL"),
]


@pytest.mark.parametrize(
    ("env", "variable"),
    BAD_ENVS,
    ids=[f"{var}={env.get(var)!r}" for env, var in BAD_ENVS],
)
def test_load_settings_bad_env_raises_config_error_naming_variable(
    env: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    message = str(caught.value)
    assert variable in message
    assert "\n" not in message
    assert "LEAKME" not in message


def test_load_settings_minimal_env_uses_defaults() -> None:
    settings = load_settings(HTTP_ENV)
    assert settings.slack_bot_token.reveal() == BOT_TOKEN
    assert settings.slack_signing_secret is not None
    assert settings.slack_signing_secret.reveal() == SIGNING_SECRET
    assert settings.slack_app_token is None
    assert not settings.socket_mode
    assert settings.database_url.reveal() == "sqlite:///./warroom.db"
    assert settings.port == 3000
    assert settings.host == "0.0.0.0"
    assert settings.channel_prefix == "inc"
    assert settings.default_severity is Severity.SEV3
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.announce_channel is None
    assert settings.log_level == "INFO"
    assert settings.ack_budget == 2.0


def test_load_settings_socket_mode_without_signing_secret_is_accepted() -> None:
    settings = load_settings({"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN})
    assert settings.socket_mode
    assert settings.slack_signing_secret is None
    assert settings.slack_app_token is not None
    assert settings.slack_app_token.reveal() == APP_TOKEN


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8080/api", "http://127.0.0.1:8080/api/"),
        ("https://slack.example.com/api/", "https://slack.example.com/api/"),
        ("  https://slack.example.com/api  ", "https://slack.example.com/api/"),
    ],
)
def test_load_settings_api_url_ends_with_slash(url: str, expected: str) -> None:
    assert load_settings(env_with(SLACK_API_URL=url)).slack_api_url == expected


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"PORT": "0"}, "port", 0),
        ({"PORT": " 8080 "}, "port", 8080),
        ({"DEFAULT_SEVERITY": "SEV1"}, "default_severity", Severity.SEV1),
        ({"INCIDENT_CHANNEL_PREFIX": "ops-inc2"}, "channel_prefix", "ops-inc2"),
        ({"INCIDENT_ANNOUNCE_CHANNEL": "C0ANNOUNCE"}, "announce_channel", "C0ANNOUNCE"),
        ({"PRIVATE_ANNOUNCE_CHANNEL": "C0LEADS"}, "private_announce_channel", "C0LEADS"),
        ({"LOG_LEVEL": "debug"}, "log_level", "DEBUG"),
        ({"HOST": "127.0.0.1"}, "host", "127.0.0.1"),
        ({"OUTBOX_DEAD_AFTER": "60"}, "outbox_dead_after", 60.0),
        ({"PORT": "   "}, "port", 3000),
        ({"ACK_BUDGET": "0.05"}, "ack_budget", 0.05),
        ({"ACK_BUDGET": " 2.5 "}, "ack_budget", 2.5),
        ({"STATUS_PAGE_ENABLED": "Off"}, "status_page_enabled", False),
        ({"STATUS_COMPONENTS": " API, Checkout,,API "}, "status_components", ("API", "Checkout")),
        (
            {"STATUSPAGE_API_URL": "http://127.0.0.1:9/v1/"},
            "statuspage_api_url",
            "http://127.0.0.1:9/v1",
        ),
    ],
)
def test_load_settings_good_value_is_used(
    changes: dict[str, str], field: str, expected: object
) -> None:
    assert getattr(load_settings(env_with(**changes)), field) == expected


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////var/lib/warroom/warroom.db",
        "postgresql://warroom:pw@db:5432/warroom",
        "postgres://warroom:pw@db/warroom",
        "postgresql+asyncpg://warroom:pw@db/warroom",
    ],
)
def test_load_settings_supported_database_url_is_kept(url: str) -> None:
    assert load_settings(env_with(DATABASE_URL=url)).database_url.reveal() == url


def test_settings_repr_and_str_hide_every_secret() -> None:
    settings = load_settings(
        env_with(
            SLACK_APP_TOKEN=APP_TOKEN,
            DATABASE_URL=f"postgresql://warroom:{DB_PASSWORD}@db.internal:5432/warroom",
            STATUSPAGE_API_KEY=STATUSPAGE_KEY,
            STATUSPAGE_PAGE_ID="page123",
        )
    )
    secrets = (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, DB_PASSWORD, STATUSPAGE_KEY, "TOPSECRET")
    for shown in (repr(settings), str(settings), f"{settings}", f"{settings!r}"):
        for secret in secrets:
            assert secret not in shown


def test_secret_repr_and_str_hide_value() -> None:
    secret = Secret("xoxb-very-secret")
    assert "very-secret" not in repr(secret)
    assert "very-secret" not in str(secret)
    assert secret.reveal() == "xoxb-very-secret"


def test_settings_are_frozen() -> None:
    settings: Settings = load_settings(HTTP_ENV)
    with pytest.raises(ValidationError):
        settings.port = 1  # type: ignore[misc]


def test_load_settings_process_environment_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("ACK_BUDGET", "0.5")
    settings = load_settings(HTTP_ENV)
    assert (settings.port, settings.ack_budget) == (3000, 2.0)


def test_settings_model_copy_overrides_one_value() -> None:
    settings = load_settings(HTTP_ENV)
    faster = settings.model_copy(update={"ack_budget": 0.05})
    assert (faster.ack_budget, settings.ack_budget) == (0.05, 2.0)
    assert faster.slack_bot_token.reveal() == BOT_TOKEN


@pytest.mark.parametrize(
    ("text", "expected"),
    [("7d", timedelta(days=7)), ("36h", timedelta(hours=36)), ("1d12h", timedelta(hours=36))],
)
def test_load_settings_reopen_window_reads_days_hours_minutes(
    text: str, expected: timedelta
) -> None:
    assert load_settings(env_with(REOPEN_WINDOW=text)).reopen_window == expected
    assert load_settings(env_with()).reopen_window == timedelta(days=7)
