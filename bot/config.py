"""Settings, read once from the environment; a bad value stops start-up with one clear line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.model import Severity
from bot.domain.public import DEFAULT_IMPACT, Impact, parse_impact_map


class ConfigError(Exception):
    """A missing or malformed setting; the message names the variable and what is expected."""


@dataclass(frozen=True)
class Secret:
    """A value that never shows itself in reprs, logs or tracebacks."""

    _value: str = field(repr=False)

    def reveal(self) -> str:
        """Return the secret value, for the one place that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


@dataclass(frozen=True)
class Settings:
    slack_bot_token: Secret
    slack_signing_secret: Secret | None
    slack_app_token: Secret | None
    slack_api_url: str = "https://slack.com/api/"
    database_url: Secret = Secret("sqlite:///./warroom.db")
    host: str = "0.0.0.0"
    port: int = 3000
    announce_channel: str | None = None
    channel_prefix: str = "inc"
    default_severity: Severity = Severity.SEV3
    outbox_dead_after: float = 3600.0
    outbox_retry_base: float = 1.0
    outbox_lease: float = 60.0
    log_level: str = "INFO"
    status_page_enabled: bool = True
    status_page_title: str = "Status"
    public_base_url: str | None = None
    status_components: tuple[str, ...] = ()
    status_impact: Mapping[Severity, Impact] = field(default_factory=lambda: dict(DEFAULT_IMPACT))
    statuspage_api_key: Secret | None = None
    statuspage_page_id: str | None = None
    statuspage_api_url: str = "https://api.statuspage.io/v1"
    statuspage_rate: float = 1.0
    display_timezone: str = "UTC"
    postmortem_canvas: bool = False
    admin_token: Secret | None = None
    responders_usergroup: str | None = None
    slack_timeout: float = 10.0

    @property
    def statuspage_enabled(self) -> bool:
        """Return whether Atlassian Statuspage is configured."""
        return self.statuspage_api_key is not None and self.statuspage_page_id is not None

    @property
    def public_url(self) -> str:
        """Return the public status page's absolute URL."""
        base = self.public_base_url or f"http://localhost:{self.port}"
        return base.rstrip("/") + "/status"

    @property
    def socket_mode(self) -> bool:
        """Return whether Slack is reached over Socket Mode instead of HTTP."""
        return self.slack_app_token is not None


def _required(env: Mapping[str, str], name: str, what: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is required: {what}.")
    return value


def _optional(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    return value or None


def _token(
    env: Mapping[str, str], name: str, prefix: str, what: str, required: bool
) -> Secret | None:
    value = _required(env, name, what) if required else _optional(env, name)
    if value is None:
        return None
    if not value.startswith(prefix):
        raise ConfigError(f"{name} must be {what} (it starts with `{prefix}`).")
    return Secret(value)


def _number(env: Mapping[str, str], name: str, default: float, *, low: float, high: float) -> float:
    raw = _optional(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number between {low:g} and {high:g}.") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be a number between {low:g} and {high:g}.")
    return value


def _flag(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
        raise ConfigError(f"{name} must be true or false.")
    return raw in {"true", "1", "yes", "on"}


def _usergroup(env: Mapping[str, str]) -> str | None:
    group = _optional(env, "RESPONDERS_USERGROUP")
    if group is not None and not (group.startswith("S") and group.isalnum()):
        raise ConfigError("RESPONDERS_USERGROUP must be a Slack user group ID, like S0123ABCD.")
    return group


def _port(env: Mapping[str, str]) -> int:
    raw = _optional(env, "PORT")
    if raw is None:
        return 3000
    if not raw.isdigit() or int(raw) > 65535:
        raise ConfigError("PORT must be a whole number between 0 and 65535.")
    return int(raw)


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build Settings from environment variables, or raise ConfigError naming the culprit."""
    app_token = _token(env, "SLACK_APP_TOKEN", "xapp-", "an app-level token", required=False)
    bot_token = _token(env, "SLACK_BOT_TOKEN", "xoxb-", "the bot token", required=True)
    assert bot_token is not None
    signing = _optional(env, "SLACK_SIGNING_SECRET")
    if signing is None and app_token is None:
        raise ConfigError(
            "SLACK_SIGNING_SECRET is required in HTTP mode: the app's signing secret "
            "(or set SLACK_APP_TOKEN to use Socket Mode)."
        )
    api_url = env.get("SLACK_API_URL", "").strip() or "https://slack.com/api/"
    if not api_url.startswith(("http://", "https://")):
        raise ConfigError("SLACK_API_URL must be an http(s) URL, like https://slack.com/api/.")
    database_url = env.get("DATABASE_URL", "").strip() or "sqlite:///./warroom.db"
    if not database_url.startswith(("sqlite:", "postgresql:", "postgres:", "postgresql+")):
        raise ConfigError("DATABASE_URL must be sqlite:///path.db or postgresql://user@host/db.")
    severity = (env.get("DEFAULT_SEVERITY", "").strip() or "sev3").lower()
    if severity not in {s.value for s in Severity}:
        raise ConfigError("DEFAULT_SEVERITY must be one of sev1, sev2, sev3, sev4.")
    prefix = env.get("INCIDENT_CHANNEL_PREFIX", "").strip() or "inc"
    if not all(c.islower() or c.isdigit() or c == "-" for c in prefix) or len(prefix) > 20:
        raise ConfigError(
            "INCIDENT_CHANNEL_PREFIX must be lowercase letters, digits or hyphens "
            "(20 at most), like `inc`."
        )
    try:
        impact = parse_impact_map(env.get("STATUS_IMPACT", ""))
    except ValueError:
        raise ConfigError(
            "STATUS_IMPACT must look like sev1=critical,sev2=major,sev3=minor,sev4=none "
            "(impacts: none, minor, major, critical)."
        ) from None
    base_url = _optional(env, "PUBLIC_BASE_URL")
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            "PUBLIC_BASE_URL must be an http(s) URL, like https://status.example.com."
        )
    sp_key = _optional(env, "STATUSPAGE_API_KEY")
    sp_page = _optional(env, "STATUSPAGE_PAGE_ID")
    if (sp_key is None) != (sp_page is None):
        raise ConfigError("STATUSPAGE_API_KEY and STATUSPAGE_PAGE_ID must be set together.")
    sp_url = env.get("STATUSPAGE_API_URL", "").strip() or "https://api.statuspage.io/v1"
    if not sp_url.startswith(("http://", "https://")):
        raise ConfigError("STATUSPAGE_API_URL must be an http(s) URL.")
    components = tuple(
        dict.fromkeys(c.strip() for c in env.get("STATUS_COMPONENTS", "").split(",") if c.strip())
    )
    zone = env.get("DISPLAY_TIMEZONE", "").strip() or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "DISPLAY_TIMEZONE must be an IANA time zone name, like Europe/Paris or UTC."
        ) from None
    admin = _optional(env, "ADMIN_TOKEN")
    if admin is not None and len(admin) < 16:
        raise ConfigError("ADMIN_TOKEN must be at least 16 characters long.")
    log_level = (env.get("LOG_LEVEL", "").strip() or "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError("LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR.")
    return Settings(
        slack_bot_token=bot_token,
        slack_signing_secret=Secret(signing) if signing else None,
        slack_app_token=app_token,
        slack_api_url=api_url if api_url.endswith("/") else api_url + "/",
        database_url=Secret(database_url),
        host=env.get("HOST", "").strip() or "0.0.0.0",
        port=_port(env),
        announce_channel=_optional(env, "INCIDENT_ANNOUNCE_CHANNEL"),
        channel_prefix=prefix,
        default_severity=Severity(severity),
        outbox_dead_after=_number(env, "OUTBOX_DEAD_AFTER", 3600, low=1, high=7 * 86400),
        outbox_retry_base=_number(env, "OUTBOX_RETRY_BASE", 1.0, low=0.01, high=60),
        outbox_lease=_number(env, "OUTBOX_LEASE", 60.0, low=1, high=3600),
        log_level=log_level,
        status_page_enabled=_flag(env, "STATUS_PAGE_ENABLED", default=True),
        status_page_title=env.get("STATUS_PAGE_TITLE", "").strip() or "Status",
        public_base_url=base_url,
        status_components=components,
        status_impact=impact,
        statuspage_api_key=Secret(sp_key) if sp_key else None,
        statuspage_page_id=sp_page,
        statuspage_api_url=sp_url.rstrip("/"),
        statuspage_rate=_number(env, "STATUSPAGE_MAX_RPS", 1.0, low=0.01, high=100),
        display_timezone=zone,
        postmortem_canvas=_flag(env, "POSTMORTEM_CANVAS", default=False),
        admin_token=Secret(admin) if admin else None,
        responders_usergroup=_usergroup(env),
        slack_timeout=_number(env, "SLACK_TIMEOUT", 10.0, low=0.1, high=120),
    )
