"""conversations.*: create, join, invite, topic and purpose, archive, list, members, open.

Reading messages (history, replies) is in `history`."""

from __future__ import annotations

import re
import time

from sandbox.slack.args import Json, SlackError, arg, new_id, truthy
from sandbox.slack.workspace import EmChannel, Method, Workspace

_NAME_RE = re.compile(r"[a-z0-9_-]+")
MAX_NAME = 80
MAX_TOPIC = 250
MAX_INVITEES = 1000  # "Up to 1000 users may be listed"


def channel_obj(ws: Workspace, ch: EmChannel) -> Json:
    """Return a channel as conversations.* methods show it."""
    if ch.is_im:
        user = next(iter(ch.members - {ws.bot_user_id}), ch.name)
        return {
            "id": ch.id,
            "is_im": True,
            "user": user,
            "created": ch.created,
            "is_archived": False,
            "is_org_shared": False,
        }
    return {
        "id": ch.id,
        "name": ch.name,
        "name_normalized": ch.name,
        "is_channel": True,
        "is_group": False,
        "is_im": False,
        "is_mpim": False,
        "is_private": ch.is_private,
        "created": ch.created,
        "creator": ch.creator,
        "is_archived": ch.is_archived,
        "is_general": ch.name == "general",
        "is_member": ws.bot_user_id in ch.members,
        "topic": {"value": ch.topic, "creator": "", "last_set": 0},
        "purpose": {"value": ch.purpose, "creator": "", "last_set": 0},
        "num_members": len(ch.members),
    }


def _check_name(ws: Workspace, name: str) -> None:
    if not name:
        raise SlackError("invalid_name_required")
    if len(name) > MAX_NAME:
        raise SlackError("invalid_name_maxlength")
    if not _NAME_RE.fullmatch(name):
        raise SlackError("invalid_name_specials")
    if not name.strip("-_"):
        raise SlackError("invalid_name_punctuation")
    if ws.channel_by_name(name) is not None:
        raise SlackError("name_taken")


def create(ws: Workspace, p: Json) -> Json:
    name = str(p.get("name") or "")
    _check_name(ws, name)
    ch = EmChannel(
        new_id("C"),
        name,
        ws.bot_user_id,
        int(time.time()),
        members={ws.bot_user_id},
        is_private=truthy(p.get("is_private")),
    )
    ws.channels[ch.id] = ch
    return {"channel": channel_obj(ws, ch)}


def invite(ws: Workspace, p: Json) -> Json:
    """Invite 1-1000 users. Documented: when any invite fails, none is made and an error is
    answered (a list of each user's error alongside, when several were named)."""
    ch = ws.writable(ws.channel(p))
    raw = p.get("users")
    listed = ",".join(map(str, raw)) if isinstance(raw, list) else arg(p, "users")
    ids = list(dict.fromkeys(u.strip() for u in listed.split(",") if u.strip()))
    if not ids:
        raise SlackError("no_user")
    if len(ids) > MAX_INVITEES:
        raise SlackError("too_many_users")
    refused = [(u, e) for u in ids if (e := _refusal(ws, ch, u)) is not None]
    if len(ids) == 1 and refused:
        raise SlackError(refused[0][1])
    if refused:
        each = [{"user": u, "ok": False, "error": e} for u, e in refused]
        raise SlackError(refused[0][1], fields={"errors": each})
    ch.members.update(ids)
    return {"channel": channel_obj(ws, ch)}


def _refusal(ws: Workspace, ch: EmChannel, user_id: str) -> str | None:
    """Return why one user cannot be invited, or None."""
    if user_id == ws.bot_user_id:
        return "cant_invite_self"
    user = ws.users.get(user_id)
    if user is None:
        return "user_not_found"
    if user.deleted:
        return "cant_invite"  # not verified: the error for a deactivated account
    return "already_in_channel" if user_id in ch.members else None


def join(ws: Workspace, p: Json) -> Json:
    ch = ws.channel(p)
    if ch.is_private or ch.is_im:
        raise SlackError("method_not_supported_for_channel_type")
    if ch.is_archived:
        raise SlackError("is_archived")
    already = ws.bot_user_id in ch.members
    ch.members.add(ws.bot_user_id)
    out: Json = {"channel": channel_obj(ws, ch)}
    return out | ({"warning": "already_in_channel"} if already else {})


def _set_text(ws: Workspace, p: Json, key: str) -> Json:
    ch = ws.channel(p)
    if key not in p:
        raise SlackError("invalid_arguments", [f"[ERROR] missing required field: {key}"])
    if len(str(p[key])) > MAX_TOPIC:
        raise SlackError("too_long")
    setattr(ws.writable(ch), key, str(p[key]))
    return {"channel": channel_obj(ws, ch)}


def set_topic(ws: Workspace, p: Json) -> Json:
    return _set_text(ws, p, "topic")


def set_purpose(ws: Workspace, p: Json) -> Json:
    return _set_text(ws, p, "purpose")


def info(ws: Workspace, p: Json) -> Json:
    return {"channel": channel_obj(ws, ws.channel(p))}


def archive(ws: Workspace, p: Json) -> Json:
    ch = ws.channel(p)
    if ch.is_archived:
        raise SlackError("already_archived")
    if ch.name == "general":
        raise SlackError("cant_archive_general")
    ch.is_archived = True
    return {}


def unarchive(ws: Workspace, p: Json) -> Json:
    """Refuse: "Bot tokens (xoxb-...) cannot currently be used to unarchive" (API-RULES 1.2)."""
    raise SlackError("not_allowed_token_type")


def open_(ws: Workspace, p: Json) -> Json:
    """Answer conversations.open for one user: the bot's DM with them (group DMs: no)."""
    raw = p.get("users")
    listed = ",".join(map(str, raw)) if isinstance(raw, list) else str(raw or "")
    ids = [u.strip() for u in listed.split(",") if u.strip()]
    if not ids:
        raise SlackError("users_list_not_supplied")
    if len(ids) > 1:  # mpim:write is for user tokens only (API-RULES 1.2); the error is assumed
        raise SlackError("not_allowed_token_type")
    return {"channel": {"id": ws.dm(ws.user(ids[0]).id).id}}


def list_(ws: Workspace, p: Json) -> Json:
    """List the channels of the `types` asked for (public_channel by default); a private
    channel only when the bot is in it."""
    skip = truthy(p.get("exclude_archived"))
    types = {t.strip() for t in str(p.get("types") or "public_channel").split(",")}
    chans = [
        channel_obj(ws, c)
        for c in ws.channels.values()
        if not c.is_im
        and not (skip and c.is_archived)
        and ("private_channel" if c.is_private else "public_channel") in types
        and (not c.is_private or ws.bot_user_id in c.members)
    ]
    return {"channels": chans, "response_metadata": {"next_cursor": ""}}


def members(ws: Workspace, p: Json) -> Json:
    return {"members": sorted(ws.channel(p).members), "response_metadata": {"next_cursor": ""}}


METHODS: dict[str, Method] = {
    "conversations.create": create,
    "conversations.invite": invite,
    "conversations.join": join,
    "conversations.setTopic": set_topic,
    "conversations.setPurpose": set_purpose,
    "conversations.info": info,
    "conversations.archive": archive,
    "conversations.unarchive": unarchive,
    "conversations.open": open_,
    "conversations.list": list_,
    "conversations.members": members,
}
