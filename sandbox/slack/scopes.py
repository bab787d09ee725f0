"""The bot token's scopes (API-RULES 1.2): which scope each method needs, and missing_scope.

The conversations API picks the scope by the channel's type: `channels:*` for public channels,
`groups:*` for private ones, `im:*` for DMs. Where Slack's pages do not say (marked "not
verified" in API-RULES 1.2), the table follows the 2021 OpenAPI spec and the scope pages.
"""

from __future__ import annotations

from sandbox.slack.args import Json, SlackError, truthy
from sandbox.slack.workspace import Workspace

# method -> scope for a public channel, a private one, a DM (one scope: the same for all)
_BY_TYPE: dict[str, tuple[str, str, str]] = {
    "conversations.history": ("channels:history", "groups:history", "im:history"),
    "conversations.replies": ("channels:history", "groups:history", "im:history"),
    "conversations.info": ("channels:read", "groups:read", "im:read"),
    "conversations.members": ("channels:read", "groups:read", "im:read"),
    "conversations.invite": ("channels:manage", "groups:write", "im:write"),
    "conversations.setTopic": ("channels:manage", "groups:write", "im:write"),
    "conversations.setPurpose": ("channels:manage", "groups:write", "im:write"),
    "conversations.archive": ("channels:manage", "groups:write", "im:write"),
    "conversations.create": ("channels:manage", "groups:write", "groups:write"),
}

_FIXED: dict[str, str] = {
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.update": "chat:write",
    "conversations.join": "channels:join",
    "conversations.list": "channels:read",
    "conversations.open": "im:write",
    "conversations.canvases.create": "canvases:write",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
    "pins.add": "pins:write",
    "pins.list": "pins:read",
    "reactions.add": "reactions:write",
    "reactions.get": "reactions:read",
    "users.info": "users:read",
    "users.list": "users:read",
    "usergroups.users.list": "usergroups:read",
}
# Needing no scope: auth.test, chat.getPermalink, views.*, apps.connections.open (app token).


def required_scope(ws: Workspace, method: str, params: Json) -> str | None:
    """Return the scope the bot token needs for this call, or None if it needs none."""
    if method in _FIXED:
        return _FIXED[method]
    if method not in _BY_TYPE:
        return None
    public, private, direct = _BY_TYPE[method]
    if method == "conversations.create":
        return private if truthy(params.get("is_private")) else public
    ch = ws.channels.get(str(params.get("channel") or ""))
    if ch is None:  # the call answers channel_not_found
        return public
    return direct if ch.is_im else private if ch.is_private else public


def check_scope(ws: Workspace, method: str, params: Json) -> None:
    """Refuse the call with missing_scope if the token was not granted the scope it needs."""
    needed = required_scope(ws, method, params)
    if ws.scopes is None or needed is None or needed in ws.scopes:
        return
    provided = ",".join(sorted(ws.scopes))
    raise SlackError("missing_scope", fields={"needed": needed, "provided": provided})
