"""chat.*: postMessage, update, postEphemeral and getPermalink, and how a message looks in API
answers."""

from __future__ import annotations

from sandbox.slack.args import Json, SlackError, arg, decoded, truthy
from sandbox.slack.blocks import check_blocks
from sandbox.slack.workspace import APP_ID, BOT_ID, EmMessage, Method, Workspace

MAX_TEXT = 40_000


def message_obj(ws: Workspace, m: EmMessage, with_metadata: bool = True) -> Json:
    """Return a message as chat.*, conversations.* and pins.list show it."""
    out: Json = {"type": "message", "user": m.user, "text": m.text, "ts": m.ts, "team": ws.team_id}
    if m.user == ws.bot_user_id:
        out |= {"bot_id": BOT_ID, "app_id": APP_ID}
    if m.blocks is not None:
        out["blocks"] = m.blocks
    replies = [r for r in ws.messages if r.thread_ts == m.ts and r.ts != m.ts]
    if m.thread_ts or replies:
        out["thread_ts"] = m.thread_ts or m.ts
    if m.broadcast:  # a reply also sent to the channel, as Slack marks it (API-RULES 1.5)
        out["subtype"] = "thread_broadcast"
    if replies:
        out |= {"reply_count": len(replies), "latest_reply": replies[-1].ts}
    if m.metadata is not None and with_metadata:
        out["metadata"] = m.metadata
    if m.edited:
        out["edited"] = {"user": m.user, "ts": m.edited_ts or m.ts}
    if m.reactions:
        out["reactions"] = [
            {"name": n, "users": u, "count": len(u)} for n, u in m.reactions.items()
        ]
    if m.ts in ws.pins.get(m.channel, []):
        out["pinned_to"] = [m.channel]
    if m.files:
        out |= {"files": m.files, "upload": True}
    return out


def _content(p: Json) -> tuple[str, list[Json] | None]:
    text = str(p.get("text") or "")
    blocks = check_blocks(decoded(p, "blocks", "invalid_blocks_format"))
    if not text.strip() and not blocks and not p.get("attachments"):
        raise SlackError("no_text")
    if len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    return text, blocks


def _metadata(p: Json) -> Json | None:
    meta = decoded(p, "metadata", "invalid_metadata_format")
    if meta is not None and not (
        isinstance(meta, dict)
        and meta.get("event_type")
        and isinstance(meta.get("event_payload"), dict)
    ):
        raise SlackError("invalid_metadata_format")
    return meta


def _thread(ws: Workspace, channel_id: str, p: Json) -> str | None:
    """Return the thread a post replies in; it must name a message in that channel.

    Stricter than Slack is known to be: Slack answers thread_not_found when the parent is gone,
    but has been seen to accept a malformed thread_ts and lose the reply (python-slack-sdk#840).
    """
    if not p.get("thread_ts"):
        return None
    thread_ts = str(p["thread_ts"])
    if not any(m.channel == channel_id and m.ts == thread_ts for m in ws.messages):
        raise SlackError("thread_not_found")
    return thread_ts


def post_message(ws: Workspace, p: Json) -> Json:
    """Answer chat.postMessage: a message, or a thread reply (also in the channel if broadcast)."""
    ch = ws.target(arg(p, "channel"))
    text, blocks = _content(p)
    thread_ts = _thread(ws, ch.id, p)
    # API-RULES 1.5 (not verified): reply_broadcast=true also shows the reply in the channel.
    broadcast = thread_ts is not None and truthy(p.get("reply_broadcast"))
    msg = ws.append(
        ch.id, ws.bot_user_id, text, blocks, thread_ts, _metadata(p), broadcast=broadcast
    )
    return {"channel": ch.id, "ts": msg.ts, "message": message_obj(ws, msg)}


def update(ws: Workspace, p: Json) -> Json:
    ch = ws.channel(p)
    msg = ws.message(ch.id, arg(p, "ts"))
    if msg.user != ws.bot_user_id:
        raise SlackError("cant_update_message")
    if ch.is_archived:
        raise SlackError("is_archived")
    if p.get("text") is None and p.get("blocks") is None:
        raise SlackError("no_text")
    blocks = check_blocks(decoded(p, "blocks", "invalid_blocks_format"))
    if p.get("text") is not None:
        msg.text = str(p["text"])
    if blocks is not None:
        msg.blocks = blocks or None
    if p.get("metadata"):
        msg.metadata = _metadata(p)
    msg.edited, msg.edited_ts = True, ws.next_ts()
    return {"channel": ch.id, "ts": msg.ts, "text": msg.text, "message": message_obj(ws, msg)}


def post_ephemeral(ws: Workspace, p: Json) -> Json:
    ch, user = ws.channel(p), ws.user(arg(p, "user"))
    text, blocks = _content(p)
    if user.id not in ch.members:
        raise SlackError("user_not_in_channel")
    ws.writable(ch)
    ws.ephemerals.append({"channel": ch.id, "user": user.id, "text": text, "blocks": blocks})
    return {"message_ts": ws.next_ts()}


def permalink(ws: Workspace, m: EmMessage) -> str:
    """Return a message's permalink; a thread reply's names its thread and channel."""
    url = f"https://{ws.team_domain}.slack.com/archives/{m.channel}/p{m.ts.replace('.', '')}"
    if m.thread_ts and m.thread_ts != m.ts:
        url += f"?thread_ts={m.thread_ts}&cid={m.channel}"
    return url


def get_permalink(ws: Workspace, p: Json) -> Json:
    """Answer chat.getPermalink for any message in a channel the bot can see."""
    ch = ws.channel(p)
    return {"channel": ch.id, "permalink": permalink(ws, ws.message(ch.id, arg(p, "message_ts")))}


METHODS: dict[str, Method] = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": get_permalink,
}
