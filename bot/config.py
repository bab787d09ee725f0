"""Settings, read once from the environment; a bad value stops start-up with one clear line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.domain.model import Severity


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
    log_level: str = "INFO"

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
        port=int(_number(env, "PORT", 3000, low=0, high=65535)),
        announce_channel=_optional(env, "INCIDENT_ANNOUNCE_CHANNEL"),
        channel_prefix=prefix,
        default_severity=Severity(severity),
        outbox_dead_after=_number(env, "OUTBOX_DEAD_AFTER", 3600, low=1, high=7 * 86400),
        outbox_retry_base=_number(env, "OUTBOX_RETRY_BASE", 1.0, low=0.01, high=60),
        log_level=log_level,
    )
