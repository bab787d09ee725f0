"""Reading Web API arguments, and the error Slack answers when they are wrong."""

from __future__ import annotations

import json
import secrets
import string
from decimal import Decimal, InvalidOperation
from typing import Any

Json = dict[str, Any]
_ALNUM = string.ascii_uppercase + string.digits


class SlackError(Exception):
    """A Slack API error: answered as 200 {"ok": false, "error": ...}."""

    def __init__(
        self, error: str, messages: list[str] | None = None, fields: Json | None = None
    ) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []
        self.fields = fields or {}  # more top-level keys, e.g. missing_scope's needed/provided


def new_id(prefix: str) -> str:
    """Return a fresh Slack-style ID such as C0123ABCDEF."""
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(10))


def truthy(value: Any) -> bool:
    """Return whether a boolean argument (sent as JSON or form text) is true."""
    return value in (True, 1, "1", "true", "True")


def ts_key(ts: Any) -> Decimal:
    """Return a message timestamp as a number that sorts and compares exactly."""
    try:
        return Decimal(str(ts))
    except InvalidOperation as exc:
        raise SlackError("invalid_ts_oldest") from exc


def arg(p: Json, key: str) -> str:
    """Return a required argument, or refuse the call."""
    value = p.get(key)
    if value is None or value == "":
        raise SlackError("invalid_arguments", [f"[ERROR] missing required field: {key}"])
    return str(value)


def decoded(p: Json, key: str, error: str) -> Any:
    """Return an argument that form posts send as JSON text, decoded."""
    value = p.get(key)
    if isinstance(value, str):
        if not value:
            return None
        try:
            return json.loads(value)
        except ValueError as exc:
            raise SlackError(error) from exc
    return value
