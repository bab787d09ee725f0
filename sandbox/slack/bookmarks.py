"""bookmarks.add and bookmarks.list: links saved at the top of a channel (API-RULES 1.3)."""

from __future__ import annotations

import time

from sandbox.slack.args import Json, SlackError, arg, new_id
from sandbox.slack.workspace import Method, Workspace

MAX_BOOKMARKS = 100  # "conversations are limited to 100 bookmarks"


def bookmarks_add(ws: Workspace, p: Json) -> Json:
    """Add a bookmark as the bot: the channel must exist and the bot be in it."""
    ch = ws.writable(ws.channel(p, "channel_id"))
    title, kind = arg(p, "title"), arg(p, "type")
    if kind != "link":  # the only type the method documents for apps
        raise SlackError("invalid_arguments", [f"[ERROR] unsupported type: {kind}"])
    link = arg(p, "link")
    saved = ws.bookmarks.setdefault(ch.id, [])
    if len(saved) >= MAX_BOOKMARKS:
        # Not verified: the error's name (the page states the limit, not the answer).
        raise SlackError("too_many_bookmarks")
    now = int(time.time())
    bookmark: Json = {
        "id": new_id("Bk"),
        "channel_id": ch.id,
        "title": title,
        "link": link,
        "emoji": p.get("emoji"),
        "type": "link",
        "date_created": now,
        "date_updated": now,
        "last_updated_by_user_id": ws.bot_user_id,
    }
    saved.append(bookmark)
    return {"bookmark": bookmark}


def bookmarks_list(ws: Workspace, p: Json) -> Json:
    """List a channel's bookmarks, oldest first."""
    ch = ws.channel(p, "channel_id")
    return {"bookmarks": list(ws.bookmarks.get(ch.id, []))}


METHODS: dict[str, Method] = {
    "bookmarks.add": bookmarks_add,
    "bookmarks.list": bookmarks_list,
}
