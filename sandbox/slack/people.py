"""What people do in Slack's client, bypassing the API: edit, delete, react, archive.

These change the workspace only; the events that follow are the test's to deliver (the
driver's `message_changed`, `message_deleted`, `reaction_added`, `channel_archive`...).
"""

from __future__ import annotations

from sandbox.slack.args import Json, SlackError
from sandbox.slack.chat import message_obj
from sandbox.slack.workspace import EmChannel, EmMessage, Workspace


def message_json(ws: Workspace, channel_id: str, ts: str) -> Json:
    """Return a message as the API shows it now: a snapshot for an event."""
    return message_obj(ws, ws.message(channel_id, ts))


def edit_message(ws: Workspace, channel_id: str, ts: str, text: str) -> EmMessage:
    """Edit a message as its author: new text, marked edited at a fresh timestamp."""
    msg = ws.message(channel_id, ts)
    msg.text = text
    msg.edited, msg.edited_ts = True, ws.next_ts()
    return msg


def delete_message(ws: Workspace, channel_id: str, ts: str) -> EmMessage:
    """Delete a message: later reads answer message_not_found, and its pin goes with it.

    The replies of a deleted thread parent stay (Slack leaves a tombstone parent in their
    place; the emulator does not).
    """
    msg = ws.message(channel_id, ts)
    ws.messages.remove(msg)
    pinned = ws.pins.get(channel_id, [])
    if ts in pinned:
        pinned.remove(ts)
    return msg


def add_reaction(ws: Workspace, channel_id: str, ts: str, user_id: str, name: str) -> EmMessage:
    """React to a message as a person (once per person and emoji, as Slack's client does)."""
    msg, user = ws.message(channel_id, ts), ws.user(user_id)
    users = msg.reactions.setdefault(name.strip(":"), [])
    if user.id not in users:
        users.append(user.id)
    return msg


def set_archived(ws: Workspace, channel_id: str, archived: bool) -> EmChannel:
    """Archive or unarchive a channel as a person (an admin or a member) would."""
    ch = ws.channels.get(channel_id)
    if ch is None or ch.is_im:
        raise SlackError("channel_not_found")
    if ch.is_archived == archived:
        raise SlackError("already_archived" if archived else "not_archived")
    ch.is_archived = archived
    return ch
