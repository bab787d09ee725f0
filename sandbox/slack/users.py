"""auth.test, users.info, users.list and usergroups.users.list."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sandbox.slack.args import Json, SlackError, arg, truthy
from sandbox.slack.workspace import BOT_ID, EmUser, Method, Workspace


def user_obj(ws: Workspace, u: EmUser) -> Json:
    """Return a user as users.* methods show it."""
    try:
        label = datetime.now(ZoneInfo(u.tz)).tzname() or u.tz
    except (ZoneInfoNotFoundError, ValueError):
        label = u.tz
    return {
        "id": u.id,
        "team_id": ws.team_id,
        "name": u.name,
        "real_name": u.real_name,
        "deleted": u.deleted,
        "tz": u.tz,
        "tz_label": label,
        "tz_offset": u.tz_offset,
        "is_bot": u.is_bot,
        "is_admin": False,
        "is_app_user": False,
        "profile": {
            "real_name": u.real_name,
            "display_name": u.name,
            "real_name_normalized": u.real_name,
            "display_name_normalized": u.name,
        },
    }


def auth_test(ws: Workspace, p: Json) -> Json:
    return {
        "url": "https://emulator.slack.test/",
        "team": "Emulator",
        "user": "warroom",
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def users_info(ws: Workspace, p: Json) -> Json:
    return {"user": user_obj(ws, ws.user(arg(p, "user")))}


def users_list(ws: Workspace, p: Json) -> Json:
    return {
        "members": [user_obj(ws, u) for u in ws.users.values()],
        "response_metadata": {"next_cursor": ""},
    }


def usergroup_users(ws: Workspace, p: Json) -> Json:
    group = arg(p, "usergroup")
    if group not in ws.usergroups:
        raise SlackError("no_such_subteam")
    return {"users": sorted(ws.usergroups[group])}


def usergroups_list(ws: Workspace, p: Json) -> Json:
    """List the workspace's user groups (with their members when `include_users`)."""
    groups = []
    for group_id, members in sorted(ws.usergroups.items()):
        handle = ws.usergroup_handles.get(group_id, group_id.lower())
        group: Json = {
            "id": group_id,
            "team_id": ws.team_id,
            "is_usergroup": True,
            "name": handle,
            "handle": handle,
            "date_delete": 0,
            "user_count": len(members),
        }
        if truthy(p.get("include_users")):
            group["users"] = sorted(members)
        groups.append(group)
    return {"usergroups": groups}


METHODS: dict[str, Method] = {
    "auth.test": auth_test,
    "users.info": users_info,
    "users.list": users_list,
    "usergroups.list": usergroups_list,
    "usergroups.users.list": usergroup_users,
}
