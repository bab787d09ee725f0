"""The kinds of values settings are made of: secrets, URLs, flags, tokens, and the validators
that read them from text (bot/config.py declares the settings themselves)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr
from pydantic_core import PydanticCustomError

from storage import urls

T = TypeVar("T")
_WHOLE_LINE = "settings"  # error type whose message is already the whole line


class ConfigError(Exception):
    """A missing or malformed setting; the message names the variable and what is expected."""


class Secret(SecretStr):
    """A value that never shows itself in reprs, logs or tracebacks."""

    def reveal(self) -> str:
        """Return the secret value, for the one place that needs it."""
        return self.get_secret_value()


def _must(test: Callable[[T], bool]) -> AfterValidator:
    """Reject a value failing `test`; the message comes from the field's description."""

    def check(value: T) -> T:
        if not test(value):
            raise ValueError("unexpected value")
        return value

    return AfterValidator(check)


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _flag(value: object) -> object:
    if not isinstance(value, str):
        return value
    word = value.lower()
    if word not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
        raise ValueError("not a boolean word")
    return word in {"true", "1", "yes", "on"}


def _if_str(convert: Callable[[str], object]) -> BeforeValidator:
    """Convert text from the environment; pass values given as Python objects through."""
    return BeforeValidator(lambda value: convert(value) if isinstance(value, str) else value)


def _digits(text: str) -> str:
    if not text.isdigit():
        raise ValueError("not a whole number")
    return text


def _names(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c.strip() for c in text.split(",") if c.strip()))


def _is_http(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def _is_prefix(text: str) -> bool:
    return len(text) <= 20 and all(c.islower() or c.isdigit() or c == "-" for c in text)


def _number(env: str, default: float, *, low: float, high: float) -> Any:
    """Declare a number setting read from `env` and allowed between `low` and `high`."""
    expected = f"a number between {low:g} and {high:g}"
    return Field(default, ge=low, le=high, allow_inf_nan=False, alias=env, description=expected)


def _is_channel_id(value: str) -> bool:
    return value[:1] in {"C", "G"} and value.isalnum() and value.isupper()


def _database_url(url: Secret) -> Secret:
    try:
        urls.parse(url.reveal())
    except urls.BadDatabaseUrl as error:
        raise PydanticCustomError(_WHOLE_LINE, str(error)) from None
    return url


HttpUrl = Annotated[str, _must(_is_http)]
Flag = Annotated[bool, BeforeValidator(_flag)]
BotToken = Annotated[Secret, _must(lambda s: s.reveal().startswith("xoxb-"))]
AppToken = Annotated[Secret, _must(lambda s: s.reveal().startswith("xapp-"))]
AdminToken = Annotated[Secret, _must(lambda s: len(s.reveal()) >= 16)]
DatabaseUrl = Annotated[Secret, AfterValidator(_database_url)]
UsergroupId = Annotated[str, _must(lambda g: g[:1] == "S" and g.isalnum())]
Repo = Annotated[str, _must(lambda r: r.count("/") == 1 and all(r.split("/")))]
_trim = AfterValidator(lambda u: u.rstrip("/"))
LogLevel = Annotated[
    str, _if_str(str.upper), _must(lambda v: v in {"DEBUG", "INFO", "WARNING", "ERROR"})
]
