"""views.open, views.push and views.update, and the single-use trigger ids they need."""

from __future__ import annotations

import secrets
import time

from sandbox.slack.args import Json, SlackError, arg, decoded, new_id
from sandbox.slack.blocks import check_view
from sandbox.slack.workspace import APP_ID, BOT_ID, Method, Workspace


def new_trigger_id(ws: Workspace, user_id: str | None = None) -> str:
    """Issue a single-use trigger id for views.open, for what `user_id` did, if given."""
    trigger = f"{int(time.time())}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"
    ws.triggers[trigger] = time.monotonic()
    if user_id is not None:
        ws.trigger_users[trigger] = user_id
    return trigger


def views_open(ws: Workspace, p: Json) -> Json:
    """Answer views.open (and views.push): spend the trigger id, store the view."""
    trigger = arg(p, "trigger_id")
    issued = ws.triggers.pop(trigger, None)
    if issued is None:
        raise SlackError("invalid_trigger_id")
    if time.monotonic() - issued > ws.trigger_ttl:
        raise SlackError("expired_trigger_id")
    view = _store(ws, check_view(decoded(p, "view", "invalid_arguments")), None)
    ws.views.append({"trigger_id": trigger, "view": view, "user_id": ws.trigger_users.get(trigger)})
    return {"view": view}


def views_update(ws: Workspace, p: Json) -> Json:
    """Answer views.update for an open view, found by view_id or external_id."""
    view_id = p.get("view_id") or next(
        (
            v["id"]
            for v in ws.open_views.values()
            if p.get("external_id") and v.get("external_id") == p.get("external_id")
        ),
        None,
    )
    if view_id not in ws.open_views:
        raise SlackError("not_found")
    view = check_view(decoded(p, "view", "invalid_arguments"))
    return {"view": _store(ws, view, str(view_id))}


def _store(ws: Workspace, view: Json, view_id: str | None) -> Json:
    stored = stored_view(ws, view, view_id or new_id("V"))
    ws.open_views[stored["id"]] = stored
    return stored


def stored_view(ws: Workspace, view: Json, view_id: str) -> Json:
    """Return the view as Slack keeps and returns it: its fields' defaults, its ID, a new hash."""
    return {
        "team_id": ws.team_id,
        "callback_id": "",
        "private_metadata": "",
        "external_id": "",
        "state": {"values": {}},
        "root_view_id": view_id,
        "app_id": APP_ID,
        "bot_id": BOT_ID,
        **view,
        "id": view_id,
        "hash": f"{time.time():.6f}.{secrets.token_hex(4)}",
    }


METHODS: dict[str, Method] = {
    "views.open": views_open,
    "views.push": views_open,
    "views.update": views_update,
}
