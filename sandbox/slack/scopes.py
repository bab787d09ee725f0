"""The bot token's scopes (API-RULES 1.2): which scope each method needs, and missing_scope.

One table, `SCOPES`, read by the emulator (to refuse a call) and by tests/test_manifest.py (to
check slack-manifest.yml asks for what the code calls). Every method the emulator answers has a
row, the scope-less ones too (None), so a method nobody has looked up cannot slip through.

The conversations API picks the scope by the channel's type: `channels:*` for public channels,
`groups:*` for private ones, `im:*` for DMs. Where Slack's pages do not say (marked "not
verified" in API-RULES 1.2), the table follows the 2021 OpenAPI spec and the scope pages.
"""

from __future__ import annotations

from typing import NamedTuple

from sandbox.slack.args import Json, SlackError, truthy
from sandbox.slack.workspace import Workspace


class ByType(NamedTuple):
    """The scope a conversations method needs in a public channel, a private one, a DM."""

    public: str
    private: str
    direct: str


_MANAGE = ByType("channels:manage", "groups:write", "im:write")
_HISTORY = ByType("channels:history", "groups:history", "im:history")
_READ = ByType("channels:read", "groups:read", "im:read")

# method -> the bot scope it needs (one for every channel type, or one per type), or None
SCOPES: dict[str, str | ByType | None] = {
    "auth.test": None,
    "bookmarks.add": "bookmarks:write",
    "bookmarks.list": "bookmarks:read",
    "chat.getPermalink": None,
    "chat.postEphemeral": "chat:write",
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "conversations.archive": _MANAGE,
    "conversations.canvases.create": "canvases:write",
    "conversations.create": ByType("channels:manage", "groups:write", "groups:write"),
    "conversations.history": _HISTORY,
    "conversations.info": _READ,
    "conversations.invite": _MANAGE,
    "conversations.join": "channels:join",
    "conversations.list": _READ,  # by `types`: private_channel needs groups:read
    "conversations.members": _READ,
    "conversations.open": "im:write",
    "conversations.replies": _HISTORY,
    "conversations.setPurpose": _MANAGE,
    "conversations.setTopic": _MANAGE,
    "conversations.unarchive": _MANAGE,  # a user token's scope: bot tokens are refused anyway
    "files.completeUploadExternal": "files:write",
    "files.getUploadURLExternal": "files:write",
    "pins.add": "pins:write",
    "pins.list": "pins:read",
    "reactions.add": "reactions:write",
    "reactions.get": "reactions:read",
    "usergroups.list": "usergroups:read",
    "usergroups.users.list": "usergroups:read",
    "users.info": "users:read",
    "users.list": "users:read",
    "views.open": None,
    "views.publish": None,
    "views.push": None,
    "views.update": None,
    "apps.connections.open": None,  # the app-level token's connections:write, not the bot's
}


def required_scope(ws: Workspace, method: str, params: Json) -> str | None:
    """Return the scope the bot token needs for this call, or None if it needs none."""
    need = SCOPES.get(method)
    if not isinstance(need, ByType):
        return need
    if method == "conversations.create":
        return need.private if truthy(params.get("is_private")) else need.public
    if method == "conversations.list":
        types = str(params.get("types") or "public_channel").split(",")
        return need.private if "private_channel" in types else need.public
    ch = ws.channels.get(str(params.get("channel") or ""))
    if ch is None:  # the call answers channel_not_found
        return need.public
    return need.direct if ch.is_im else need.private if ch.is_private else need.public


def check_scope(ws: Workspace, method: str, params: Json) -> None:
    """Refuse the call with missing_scope if the token was not granted the scope it needs."""
    needed = required_scope(ws, method, params)
    if ws.scopes is None or needed is None or needed in ws.scopes:
        return
    provided = ",".join(sorted(ws.scopes))
    raise SlackError("missing_scope", fields={"needed": needed, "provided": provided})
