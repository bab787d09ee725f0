"""Small Slack formatting helpers shared by every message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.cadence import spoken
from bot.domain.model import Status
from bot.domain.text import neutralize

STATUS_EMOJI = {
    Status.INVESTIGATING: ":mag:",
    Status.IDENTIFIED: ":bulb:",
    Status.MONITORING: ":eyes:",
    Status.RESOLVED: ":white_check_mark:",
    Status.CANCELED: ":no_entry_sign:",
}


def when(at: datetime) -> str:
    """Return Slack's date token: each reader sees their own time zone (naive means UTC)."""
    utc = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    fallback = utc.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(utc.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def quote(text: str) -> str:
    """Return `text` as a Slack block quote, broadcasts neutralised."""
    return "\n".join(f">{line}" for line in neutralize(text).splitlines() or [""])


def escape(text: str) -> str:
    """Escape our own text (usage lines with `<placeholders>`) for Slack."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def error_text(message: str, hint: str | None) -> str:
    """Return a user-safe error with its hint (our own text, escaped) for Slack."""
    return f":warning: {neutralize(message)}" + (f"\n{escape(hint)}" if hint else "")


def cadence_text(cadence: timedelta | None) -> str:
    """Return what a cadence change did, after the person's name."""
    if cadence is None:
        return "turned update reminders off"
    return f"set the update cadence to *{spoken(cadence)}*"


def who(user_id: str | None) -> str:
    """Return a mention, or `unassigned`."""
    return f"<@{user_id}>" if user_id else "unassigned"
