"""Settings, read once from the environment; a bad value stops start-up with one clear line.

Each setting is declared once below: its type, default, environment variable and, in its
description, what a good value looks like (the error message is built from that description).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    Field,
    ValidationError,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.config_subscriptions import EMAIL_TOGETHER, SubscriptionSettings
from bot.config_values import (
    _WHOLE_LINE,
    AdminToken,
    AppToken,
    BotToken,
    DatabaseUrl,
    Flag,
    HttpUrl,
    LogLevel,
    Repo,
    UsergroupId,
    _digits,
    _if_str,
    _is_channel_id,
    _is_prefix,
    _is_zone,
    _must,
    _names,
    _number,
    _trim,
)
from bot.config_values import (
    ConfigError as ConfigError,
)
from bot.config_values import (
    Secret as Secret,
)
from bot.domain.actions import parse_owners
from bot.domain.cadence import DEFAULT_CADENCE, parse_cadences, parse_window
from bot.domain.model import Severity
from bot.domain.paging import EVENTS_URL, LEVEL_WORDS, AlertLevel, keys_of, routing_keys_ok
from bot.domain.public import DEFAULT_IMPACT, Impact, parse_impact_map
from bot.domain.responders import check_call_template, parse_responders

_GITHUB = ("github_token", "github_repo")
_JIRA = ("jira_url", "jira_email", "jira_api_token", "jira_project")


class DatabaseSettings(BaseSettings):
    """What the commands that only use the database read: `migrate`, `postmortem`, `outbox`."""

    model_config = SettingsConfigDict(
        frozen=True, populate_by_name=True, case_sensitive=True, hide_input_in_errors=True
    )

    database_url: DatabaseUrl = Field(
        Secret("sqlite:///./warroom.db"),
        alias="DATABASE_URL",
        description="sqlite:///path.db or postgresql://user@host/db",
    )
    log_level: LogLevel = Field(
        "INFO", alias="LOG_LEVEL", description="DEBUG, INFO, WARNING or ERROR"
    )
    display_timezone: Annotated[str, _must(_is_zone)] = Field(
        "UTC",
        alias="DISPLAY_TIMEZONE",
        description="an IANA time zone name, like Europe/Paris or UTC",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Take values only from arguments: `load_settings` passes the environment it is given."""
        return (init_settings,)


class Settings(DatabaseSettings, SubscriptionSettings):
    """Everything the bot is configured with; built by `load_settings` or directly in tests."""

    slack_bot_token: BotToken = Field(
        alias="SLACK_BOT_TOKEN", description="the bot token (it starts with `xoxb-`)"
    )
    slack_signing_secret: Secret | None = Field(
        None, alias="SLACK_SIGNING_SECRET", description="the app's signing secret"
    )
    slack_app_token: AppToken | None = Field(
        None, alias="SLACK_APP_TOKEN", description="an app-level token (it starts with `xapp-`)"
    )
    slack_api_url: Annotated[HttpUrl, AfterValidator(lambda u: u.rstrip("/") + "/")] = Field(
        "https://slack.com/api/",
        alias="SLACK_API_URL",
        description="an http(s) URL, like https://slack.com/api/",
    )
    host: str = Field("0.0.0.0", alias="HOST", description="the address to listen on")
    port: Annotated[int, _if_str(_digits)] = Field(
        3000, ge=0, le=65535, alias="PORT", description="a whole number between 0 and 65535"
    )
    # An ID, not a name: the headline there is edited in place, and chat.update takes IDs only.
    announce_channel: Annotated[str, _must(_is_channel_id)] | None = Field(
        None, alias="INCIDENT_ANNOUNCE_CHANNEL", description="a Slack channel ID, like C0123ABCD"
    )
    # Private incidents are never announced there; here, a notice without their title is.
    private_announce_channel: Annotated[str, _must(_is_channel_id)] | None = Field(
        None, alias="PRIVATE_ANNOUNCE_CHANNEL", description="a Slack channel ID, like C0123ABCD"
    )
    channel_prefix: Annotated[str, _must(_is_prefix)] = Field(
        "inc",
        alias="INCIDENT_CHANNEL_PREFIX",
        description="lowercase letters, digits or hyphens (20 at most), like `inc`",
    )
    default_severity: Annotated[Severity, _if_str(str.lower)] = Field(
        Severity.SEV3, alias="DEFAULT_SEVERITY", description="one of sev1, sev2, sev3, sev4"
    )
    outbox_dead_after: float = _number("OUTBOX_DEAD_AFTER", 3600.0, low=1, high=7 * 86400)
    outbox_retry_base: float = _number("OUTBOX_RETRY_BASE", 1.0, low=0.01, high=60)
    outbox_lease: float = _number("OUTBOX_LEASE", 60.0, low=1, high=3600)
    status_page_enabled: Flag = Field(
        True, alias="STATUS_PAGE_ENABLED", description="true or false"
    )
    status_page_title: str = Field(
        "Status", alias="STATUS_PAGE_TITLE", description="the public status page's title"
    )
    public_base_url: HttpUrl | None = Field(
        None,
        alias="PUBLIC_BASE_URL",
        description="an http(s) URL, like https://status.example.com",
    )
    status_support_url: HttpUrl | None = Field(
        None,
        alias="STATUS_SUPPORT_URL",
        description="an http(s) URL, shown on the status page as a 'Contact support' link",
    )
    status_components: Annotated[tuple[str, ...], _if_str(_names)] = Field(
        (), alias="STATUS_COMPONENTS", description="comma-separated component names"
    )
    status_impact: Annotated[Mapping[Severity, Impact], _if_str(parse_impact_map)] = Field(
        default_factory=lambda: dict(DEFAULT_IMPACT),
        alias="STATUS_IMPACT",
        description="pairs like sev1=critical,sev2=major,sev3=minor,sev4=none "
        "(impacts: none, minor, major, critical)",
    )
    update_cadence: Annotated[Mapping[Severity, timedelta | None], _if_str(parse_cadences)] = Field(
        default_factory=lambda: dict(DEFAULT_CADENCE),
        alias="UPDATE_CADENCE",
        description="pairs like sev1=30m,sev2=1h,sev3=4h,sev4=off (durations in s, m or h, or off)",
    )
    reopen_window: Annotated[timedelta, _if_str(parse_window)] = Field(
        timedelta(days=7),
        alias="REOPEN_WINDOW",
        description="a duration like 7d, 36h or 90m (how long after closing a reopen is allowed)",
    )
    statuspage_api_key: Secret | None = Field(
        None, alias="STATUSPAGE_API_KEY", description="an Atlassian Statuspage API key"
    )
    statuspage_page_id: str | None = Field(
        None, alias="STATUSPAGE_PAGE_ID", description="an Atlassian Statuspage page ID"
    )
    statuspage_api_url: Annotated[HttpUrl, AfterValidator(lambda u: u.rstrip("/"))] = Field(
        "https://api.statuspage.io/v1", alias="STATUSPAGE_API_URL", description="an http(s) URL"
    )
    statuspage_rate: float = _number("STATUSPAGE_MAX_RPS", 1.0, low=0.01, high=100)
    postmortem_canvas: Flag = Field(False, alias="POSTMORTEM_CANVAS", description="true or false")
    github_token: Secret | None = Field(None, alias="GITHUB_TOKEN", description="a GitHub token")
    github_repo: Repo | None = Field(None, alias="GITHUB_REPO", description="owner/name")
    github_api_url: Annotated[HttpUrl, _trim] = Field(
        "https://api.github.com", alias="GITHUB_API_URL", description="an http(s) URL"
    )
    action_owners: Annotated[Mapping[str, str], _if_str(parse_owners)] = Field(
        default_factory=dict, alias="ACTION_OWNERS", description="pairs like U0ALICE=alice-gh"
    )
    jira_url: Annotated[HttpUrl, _trim] | None = Field(None, alias="JIRA_URL", description="a URL")
    jira_email: str | None = Field(None, alias="JIRA_EMAIL", description="an Atlassian email")
    jira_api_token: Secret | None = Field(None, alias="JIRA_API_TOKEN", description="a token")
    jira_project: str | None = Field(None, alias="JIRA_PROJECT", description="a project key")
    jira_issue_type: str = Field("Task", alias="JIRA_ISSUE_TYPE", description="an issue type")
    jira_done_transition: str = Field("Done", alias="JIRA_DONE_TRANSITION", description="a name")
    admin_token: AdminToken | None = Field(
        None, alias="ADMIN_TOKEN", description="at least 16 characters long"
    )
    responders_usergroup: UsergroupId | None = Field(
        None, alias="RESPONDERS_USERGROUP", description="a Slack user group ID, like S0123ABCD"
    )
    severity_responders: Annotated[
        Mapping[Severity, tuple[str, ...]], _if_str(parse_responders)
    ] = Field(
        default_factory=dict,
        alias="SEVERITY_RESPONDERS",
        description="pairs like sev1=S0ONCALL,S0LEADS;sev2=S0ONCALL (Slack user group IDs)",
    )
    incident_call_url: Annotated[str, _if_str(check_call_template)] | None = Field(
        None,
        alias="INCIDENT_CALL_URL",
        description="an http(s) URL whose only placeholder is {number}, "
        "like https://meet.example.com/inc-{number}",
    )
    slack_timeout: float = _number("SLACK_TIMEOUT", 10.0, low=0.1, high=120)
    # How long a slash command may work before the "still working" reply is sent, in seconds.
    ack_budget: float = _number("ACK_BUDGET", 2.0, low=0.05, high=2.5)
    # How often the update clock looks for overdue incidents, in seconds.
    reminder_poll: float = _number("REMINDER_POLL", 1.0, low=0.05, high=60)
    # Slack allows about one message per second per channel: the pace of posts per channel.
    # Lower only against an emulator that runs Slack's clock faster.
    slack_post_interval: float = _number("SLACK_POST_INTERVAL", 1.0, low=0.001, high=10)
    # The Home tab: at most one views.publish per viewer per HOME_REFRESH_SECONDS, however
    # many changes; a viewer counts as watching for HOME_ACTIVE_HOURS after opening the tab.
    home_refresh: float = _number("HOME_REFRESH_SECONDS", 5.0, low=0.05, high=600)
    home_active_hours: float = _number("HOME_ACTIVE_HOURS", 12.0, low=0.1, high=720)
    # Paging and alerts. The routing keys are a secret: they open pages.
    pagerduty_routing_keys: Annotated[Secret, _must(routing_keys_ok)] | None = Field(
        None,
        alias="PAGERDUTY_ROUTING_KEYS",
        description="pairs like payments=<32-character key>,core=<32-character key>",
    )
    pagerduty_events_url: HttpUrl = Field(
        EVENTS_URL, alias="PAGERDUTY_EVENTS_URL", description="an http(s) URL"
    )
    page_on_sev1: str | None = Field(
        None, alias="PAGE_ON_SEV1", description="a service named in PAGERDUTY_ROUTING_KEYS"
    )
    pagerduty_webhook_secret: Secret | None = Field(
        None, alias="PAGERDUTY_WEBHOOK_SECRET", description="the v3 webhook's signing secret"
    )
    alertmanager_token: AdminToken | None = Field(
        None, alias="ALERTMANAGER_TOKEN", description="at least 16 characters long"
    )
    alert_declare_severity: Annotated[AlertLevel, _if_str(str.lower)] = Field(
        AlertLevel.CRITICAL, alias="ALERT_DECLARE_SEVERITY", description=LEVEL_WORDS
    )

    @model_validator(mode="after")
    def _check_together(self) -> Settings:
        if self.slack_signing_secret is None and self.slack_app_token is None:
            raise PydanticCustomError(
                _WHOLE_LINE,
                "SLACK_SIGNING_SECRET is required in HTTP mode: the app's signing secret "
                "(or set SLACK_APP_TOKEN to use Socket Mode).",
            )
        if (self.statuspage_api_key is None) != (self.statuspage_page_id is None):
            raise PydanticCustomError(
                _WHOLE_LINE, "STATUSPAGE_API_KEY and STATUSPAGE_PAGE_ID must be set together."
            )
        if self.page_on_sev1 is not None and self.page_on_sev1 not in keys_of(
            self.pagerduty_routing_keys
        ):
            raise PydanticCustomError(_WHOLE_LINE, "PAGE_ON_SEV1 must be a service to page.")
        for names in (_GITHUB, _JIRA, EMAIL_TOGETHER):
            if len({getattr(self, n) is None for n in names}) > 1:
                together = ", ".join(n.upper() for n in names)
                raise PydanticCustomError(_WHOLE_LINE, f"{together} must be set together.")
        return self

    @property
    def public_url(self) -> str:
        """Return the public status page's absolute URL."""
        base = self.public_base_url or f"http://localhost:{self.port}"
        return base.rstrip("/") + "/status"

    @property
    def socket_mode(self) -> bool:
        """Return whether Slack is reached over Socket Mode instead of HTTP."""
        return self.slack_app_token is not None


class _Environment(PydanticBaseSettingsSource):
    """Each field's variable from one given mapping, stripped; a blank value counts as unset."""

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.env = env

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        name = field.alias or field_name
        return self.env.get(name, "").strip() or None, name, False

    def __call__(self) -> dict[str, Any]:
        found = (self.get_field_value(f, n) for n, f in self.settings_cls.model_fields.items())
        return {name: value for value, name, _ in found if value is not None}


def _one_line(error: ValidationError) -> str:
    """Name the first bad variable and what it expects, without echoing its value."""
    first = error.errors(include_url=False, include_input=False, include_context=False)[0]
    if first["type"] == _WHOLE_LINE:
        return first["msg"]
    key = str(first["loc"][0]) if first["loc"] else ""
    for name, field in Settings.model_fields.items():
        if key in (name, field.alias):
            variable = field.alias or name
            if first["type"] == "missing":
                return f"{variable} is required: {field.description}."
            return f"{variable} must be {field.description}."
    return f"the settings are invalid ({first['type']})."


S = TypeVar("S", bound=DatabaseSettings)


def load_settings(env: Mapping[str, str], kind: type[S] = Settings) -> S:  # type: ignore[assignment]
    """Build Settings (or only the database's) from environment variables, or raise
    ConfigError naming the culprit."""
    try:
        return kind(**_Environment(kind, env)())
    except ValidationError as error:
        raise ConfigError(_one_line(error)) from None
