"""Writing the post-mortem: CommonMark-safe text, people's names, and times in two zones."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo

from bot.domain.text import slack_to_markdown


class Doc:
    """The lines of a Markdown document, and Slack text turned into Markdown for it."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names, self.lines = names, list[str]()

    def line(self, text: str = "") -> None:
        self.lines.append(text)

    def heading(self, text: str, level: int = 2) -> None:
        """Add a heading with a blank line before and after it."""
        if self.lines and self.lines[-1]:
            self.line()
        self.line(f"{'#' * level} {text}")
        self.line()

    def text(self, slack: str, indent: int = 2) -> str:
        return slack_to_markdown(slack, self.names).replace("\n", "\n" + " " * indent)

    def cell(self, slack: str) -> str:
        return " ".join(slack_to_markdown(slack, self.names).split()).replace("|", "\\|")


class Names:
    """People as the document shows them: by name, escaped for Markdown."""

    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = names

    def __call__(self, user_id: str | None) -> str:
        shown = self.names.get(user_id or "", user_id or "someone")
        return shown.replace("|", "\\|").replace("<", "\\<").replace(">", "\\>")


def is_utc(zone: tzinfo) -> bool:
    """Return whether the display zone is UTC itself."""
    return str(zone) in {"UTC", "Etc/UTC", "UTC+00:00"}


def when(at: datetime | None, zone: tzinfo) -> str:
    """Return a moment in full: `2026-01-15 09:12 UTC (04:12 EST)`."""
    if at is None:
        return "not yet"
    utc_at = at.astimezone(UTC)
    utc = utc_at.strftime("%Y-%m-%d %H:%M UTC")
    if is_utc(zone):
        return utc
    local = at.astimezone(zone)
    same_day = local.date() == utc_at.date()
    shown = local.strftime("%H:%M %Z" if same_day else "%Y-%m-%d %H:%M %Z")
    return f"{utc} ({shown})"


def clock(at: datetime, zone: tzinfo, *, named: bool = False) -> str:
    """Return a moment within its UTC day: `09:12`, with the display zone's time in brackets
    (`09:12 (04:12)`, or `(Jan 14, 23:50)` when that is another day). Zones are named once, in
    the header; `named` adds the zone's abbreviation, for times after a daylight-saving change
    (`06:00 (01:00 EST)`), where the clock shows an hour twice."""
    utc_at = at.astimezone(UTC)
    if is_utc(zone):
        return utc_at.strftime("%H:%M")
    local = at.astimezone(zone)
    shown = local.strftime("%H:%M" if local.date() == utc_at.date() else "%b %d, %H:%M")
    return f"{utc_at:%H:%M} ({shown}{local.strftime(' %Z') if named else ''})"
