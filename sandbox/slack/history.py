"""conversations.history and conversations.replies: reading a channel's messages."""

from __future__ import annotations

from sandbox.slack.args import Json, SlackError, arg, truthy, ts_key
from sandbox.slack.chat import message_obj
from sandbox.slack.workspace import Method, Workspace


def history(ws: Workspace, p: Json) -> Json:
    """Answer conversations.history: newest first, within oldest/latest.

    API-RULES 1.5 (not verified, an assumption): history holds thread parents and replies sent
    with reply_broadcast (subtype thread_broadcast); other replies need conversations.replies.
    """
    ch = ws.channel(p)
    try:
        limit = int(p.get("limit") or 100)
    except ValueError as exc:
        raise SlackError("invalid_limit") from exc
    oldest, latest = ts_key(p.get("oldest") or 0), ts_key(p.get("latest") or "1e12")
    inclusive = truthy(p.get("inclusive"))
    found = [
        m
        for m in reversed(ws.history(ch.id))
        if ws.in_channel(m)
        and (oldest <= ts_key(m.ts) <= latest if inclusive else oldest < ts_key(m.ts) < latest)
    ]
    meta = truthy(p.get("include_all_metadata"))
    return {
        "messages": [message_obj(ws, m, meta) for m in found[:limit]],
        "has_more": len(found) > limit,
        "pin_count": len(ws.pins.get(ch.id, [])),
        "response_metadata": {"next_cursor": ""},
    }


def replies(ws: Workspace, p: Json) -> Json:
    """Answer conversations.replies: the parent, then all its replies (broadcast ones too).

    include_all_metadata works as in conversations.history: the bot finds its stamped messages
    in a thread this way.
    """
    ch, ts = ws.channel(p), arg(p, "ts")
    try:
        parent = ws.message(ch.id, ts)
    except SlackError as exc:
        raise SlackError("thread_not_found") from exc
    if parent.thread_ts not in (None, ts):  # ts may name a reply: answer its whole thread
        ts = parent.thread_ts
        parent = ws.message(ch.id, ts)
    thread = [parent, *(m for m in ws.history(ch.id) if m.thread_ts == ts and m.ts != ts)]
    meta = truthy(p.get("include_all_metadata"))
    return {"messages": [message_obj(ws, m, meta) for m in thread], "has_more": False}


METHODS: dict[str, Method] = {
    "conversations.history": history,
    "conversations.replies": replies,
}
