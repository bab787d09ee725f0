"""Slack markup and channels as a person reads them, for the demo and test failure messages."""

from __future__ import annotations

import re
import time

from sandbox.slack.args import Json
from sandbox.slack.workspace import EmMessage, Workspace

_TOKEN_RE = re.compile(r"<([^<>]*)>")


def render_text(ws: Workspace, text: str) -> str:
    """Return Slack markup as a person reads it."""

    def repl(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            user = ws.users.get(target[1:])
            return "@" + (user.name if user else label.lstrip("@") or target[1:])
        if target.startswith("#"):
            ch = ws.channels.get(target[1:])
            return "#" + (label or (ch.name if ch else target[1:]))
        if target.startswith("!"):
            special = target[1:]
            return f"@{special}" if special in ("channel", "here", "everyone") else label
        return f"{label} ({target})" if label else target

    text = _TOKEN_RE.sub(repl, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def transcript(ws: Workspace, channel_id: str) -> str:
    """Render a channel as a person would read it."""
    pinned = set(ws.pins.get(channel_id, []))
    return "\n\n".join(_line(ws, m, m.ts in pinned) for m in ws.history(channel_id))


def message(ws: Workspace, m: EmMessage) -> str:
    """Render one message as a person would read it (its further lines after its first)."""
    return _line(ws, m, m.ts in ws.pins.get(m.channel, []))


def _line(ws: Workspace, m: EmMessage, pinned: bool) -> str:
    body = "\n".join(block_lines(m.blocks)) if m.blocks else ""
    body = render_text(ws, body or m.text)
    body += "".join(f"\n[file: {f.get('title') or f.get('name')}]" for f in m.files)
    user = ws.users.get(m.user)
    line = f"[{time.strftime('%H:%M', time.gmtime(float(m.ts)))}] "
    line += f"{user.name if user else m.user}: {body}"
    line += " (edited)" if m.edited else ""
    line += " (also sent to the channel)" if m.broadcast else ""
    line = ("📌 " if pinned else "") + line
    return ("↳ " if m.thread_ts not in (None, m.ts) else "") + line


def block_lines(blocks: list[Json]) -> list[str]:
    """Return the lines of text a person sees in these blocks."""
    lines: list[str] = []
    for b in blocks:
        text = b.get("text")
        if isinstance(text, dict) and text.get("text"):
            lines.append(str(text["text"]))
        lines.extend(str(f.get("text", "")) for f in b.get("fields") or [] if isinstance(f, dict))
        elements = [e for e in b.get("elements") or [] if isinstance(e, dict)]
        if b.get("type") == "context":
            lines.append(" · ".join(str(e["text"]) for e in elements if "text" in e))
        elif b.get("type") == "actions":  # buttons on one line: [Take command] [Post update]
            labels = [e["text"].get("text") for e in elements if isinstance(e.get("text"), dict)]
            lines.append(" ".join(f"[{label}]" for label in labels))
    return [line for line in lines if line]
