"""pins.add, pins.list, reactions.add and reactions.get, done as the bot."""

from __future__ import annotations

from sandbox.slack.args import Json, SlackError, arg
from sandbox.slack.chat import message_obj
from sandbox.slack.workspace import Method, Workspace


def pins_add(ws: Workspace, p: Json) -> Json:
    ch = ws.writable(ws.channel(p))
    msg = ws.message(ch.id, arg(p, "timestamp"))
    pinned = ws.pins.setdefault(ch.id, [])
    if msg.ts in pinned:
        raise SlackError("already_pinned")
    pinned.append(msg.ts)
    return {}


def pins_list(ws: Workspace, p: Json) -> Json:
    ch = ws.channel(p)
    return {
        "items": [
            {
                "type": "message",
                "channel": ch.id,
                "created_by": ws.bot_user_id,
                "message": message_obj(ws, ws.message(ch.id, ts)),
            }
            for ts in ws.pins.get(ch.id, [])
        ]
    }


def reactions_add(ws: Workspace, p: Json) -> Json:
    ch = ws.channel(p)
    msg = ws.message(ch.id, arg(p, "timestamp"))
    users = msg.reactions.setdefault(arg(p, "name").strip(":"), [])
    if ws.bot_user_id in users:
        raise SlackError("already_reacted")
    users.append(ws.bot_user_id)
    return {}


def reactions_get(ws: Workspace, p: Json) -> Json:
    """Answer reactions.get for any message in the channel, thread replies included."""
    ch = ws.channel(p)
    msg = ws.message(ch.id, arg(p, "timestamp"))
    return {"type": "message", "channel": ch.id, "message": message_obj(ws, msg)}


METHODS: dict[str, Method] = {
    "pins.add": pins_add,
    "pins.list": pins_list,
    "reactions.add": reactions_add,
    "reactions.get": reactions_get,
}
