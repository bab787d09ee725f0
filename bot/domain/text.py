"""Text rules: channel names, Slack markup neutralising, plain-text conversion."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable, Mapping

CHANNEL_NAME_MAX = 80
TOPIC_MAX = 250

_BROADCAST_RE = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>")
_SUBTEAM_RE = re.compile(r"<!subteam\^[A-Z0-9]+(?:\|([^>]*))?>")
_USER_RE = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL_RE = re.compile(r"<#(C[A-Z0-9]+)(?:\|([^>]*))?>")
_DATE_RE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_LINK_RE = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_OTHER_SPECIAL_RE = re.compile(r"<![^>]*>")


def channel_name(prefix: str, number: int, title: str) -> str:
    """Return `<prefix>-<number>-<slug>`: lowercase ASCII, digits and hyphens, at most 80."""
    base = f"{slugify(prefix) or 'inc'}-{number}"
    slug = slugify(title)
    if not slug:
        return base[:CHANNEL_NAME_MAX]
    room = CHANNEL_NAME_MAX - len(base) - 1
    slug = slug[:room].rstrip("-")
    return f"{base}-{slug}" if slug else base


def with_suffix(name: str, attempt: int) -> str:
    """Return `name` with `-<attempt>` appended, trimmed to stay within 80 characters."""
    suffix = f"-{attempt}"
    return name[: CHANNEL_NAME_MAX - len(suffix)].rstrip("-") + suffix


def slugify(text: str) -> str:
    """Turn any text into lowercase ASCII words joined by hyphens."""
    plain = slack_to_plain(_OTHER_SPECIAL_RE.sub(" ", text))  # no "channel" from <!channel>
    ascii_text = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _neutralize_once(text: str) -> str:
    text = _BROADCAST_RE.sub(lambda m: f"@\u2060{m.group(1)}", text)
    text = _SUBTEAM_RE.sub(lambda m: f"@\u2060{(m.group(1) or 'group').lstrip('@')}", text)
    return _OTHER_SPECIAL_RE.sub(
        lambda m: _DATE_RE.sub(r"\1", m.group(0)) if m.group(0).startswith("<!date^") else "", text
    )


def _until_stable(text: str, step: Callable[[str], str]) -> str:
    """Apply `step` until nothing changes: removing one token must not assemble another."""
    while (after := step(text)) != text:
        text = after
    return text


def neutralize(text: str) -> str:
    """Make typed text safe to echo elsewhere in Slack: broadcast mentions notify nobody."""
    return _until_stable(text, _neutralize_once).replace("<!", "&lt;!")


def quiet_mentions(text: str) -> str:
    """Neutralise broadcasts and turn user mentions into plain names, for announcements."""
    quiet = _until_stable(
        text,
        lambda t: _USER_RE.sub(lambda m: f"@{m.group(2) or m.group(1)}", _neutralize_once(t)),
    )
    return quiet.replace("<!", "&lt;!").replace("<@", "&lt;@")


def slack_to_plain(text: str) -> str:
    """Convert Slack markup to plain text: mentions to names, links to their text, entities."""
    text = _USER_RE.sub(lambda m: f"@{m.group(2) or m.group(1)}", text)
    text = _CHANNEL_RE.sub(lambda m: f"#{m.group(2) or m.group(1)}", text)
    text = _DATE_RE.sub(r"\1", text)
    text = _BROADCAST_RE.sub(lambda m: f"@{m.group(1)}", text)
    text = _SUBTEAM_RE.sub(lambda m: f"@{(m.group(1) or 'group').lstrip('@')}", text)
    text = _LINK_RE.sub(lambda m: m.group(2) or m.group(1), text)
    return html.unescape(text)


def public_text(text: str) -> str:
    """Return Slack text as plain text fit for the public: no people, no internal channels."""
    text = _USER_RE.sub("a team member", text)
    text = _CHANNEL_RE.sub("an internal channel", text)
    text = _SUBTEAM_RE.sub("a team", text)
    return slack_to_plain(text)


def mentioned_users(text: str) -> set[str]:
    """Return the user IDs mentioned in Slack text."""
    return {m.group(1) for m in _USER_RE.finditer(text)}


def slack_to_markdown(text: str, names: Mapping[str, str]) -> str:
    """Convert Slack markup to plain Markdown: people by name, links as Markdown links.

    Angle brackets the user typed are escaped, so no HTML survives into the document.
    """
    tokens: list[str] = []

    def keep(value: str) -> str:
        tokens.append(value)
        return f"\x00{len(tokens) - 1}\x00"

    text = _USER_RE.sub(lambda m: keep(names.get(m.group(1)) or m.group(2) or m.group(1)), text)
    text = _CHANNEL_RE.sub(lambda m: keep(f"#{m.group(2) or m.group(1)}"), text)
    text = _DATE_RE.sub(lambda m: keep(m.group(1)), text)
    text = _BROADCAST_RE.sub(lambda m: keep(f"@{m.group(1)}"), text)
    text = _SUBTEAM_RE.sub(lambda m: keep(f"@{(m.group(1) or 'group').lstrip('@')}"), text)
    text = _LINK_RE.sub(
        lambda m: keep(f"[{m.group(2)}]({m.group(1)})" if m.group(2) else f"<{m.group(1)}>"), text
    )
    text = html.unescape(text).replace("<", "\\<").replace(">", "\\>")
    while "\x00" in text:  # a placeholder may hide inside another (a mention in a link label)
        text = re.sub("\x00(\\d+)\x00", lambda m: tokens[int(m.group(1))], text)
    return text


def one_line(text: str, limit: int) -> str:
    """Collapse whitespace and cut to `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
