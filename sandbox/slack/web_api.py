"""The Web API endpoint: read arguments, check the token and the rate limits, play queued
faults, check the scope, call the method."""

from __future__ import annotations

import time

from aiohttp import web

from sandbox.slack import (
    bookmarks,
    chat,
    conversations,
    files,
    history,
    home,
    limits,
    pins_reactions,
    users,
    views,
)
from sandbox.slack.args import Json, SlackError
from sandbox.slack.faults import FaultQueue, act
from sandbox.slack.scopes import check_scope
from sandbox.slack.workspace import Method, Workspace

METHODS: dict[str, Method] = {
    **users.METHODS,
    **conversations.METHODS,
    **history.METHODS,
    **chat.METHODS,
    **pins_reactions.METHODS,
    **bookmarks.METHODS,
    **views.METHODS,
    **home.METHODS,
    **files.METHODS,
}


async def answer(ws: Workspace, faults: FaultQueue, request: web.Request) -> web.StreamResponse:
    """Answer one call to /api/{method} as Slack would."""
    method = request.match_info["method"]
    params = await _params(request)
    auth = request.headers.get("Authorization", "")
    token = auth.removeprefix("Bearer ").strip() or params.pop("token", None)
    params.pop("token", None)
    ws.calls.append((method, params))
    ws.call_times.append(time.monotonic())
    if not token:
        return web.json_response({"ok": False, "error": "not_authed"})
    app_level = method == "apps.connections.open"
    if token != (ws.app_token if app_level else ws.bot_token):
        return web.json_response({"ok": False, "error": "invalid_auth"})
    refused = limits.limited(ws, method, params)
    if refused is not None:
        return refused
    if app_level:
        return _open_connection(ws)
    fault = faults.take(method)
    if fault is not None:
        faulty = await act(fault)
        if faulty is not None:
            return faulty
    return _call(ws, method, params)


async def _params(request: web.Request) -> Json:
    params: Json = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                body = {}
            params.update(body if isinstance(body, dict) else {})
        else:
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def _open_connection(ws: Workspace) -> web.StreamResponse:
    ws_url = ws.base_url().replace("http://", "ws://") + "/socket"
    return web.json_response({"ok": True, "url": ws_url})


def _call(ws: Workspace, method: str, params: Json) -> web.StreamResponse:
    handler = METHODS.get(method)
    if handler is None:
        return web.json_response({"ok": False, "error": "unknown_method", "req_method": method})
    try:
        check_scope(ws, method, params)
        result = handler(ws, params)
    except SlackError as exc:
        failure: Json = {"ok": False, "error": exc.error, **exc.fields}
        if exc.messages:
            failure["response_metadata"] = {"messages": exc.messages}
        return web.json_response(failure)
    return web.json_response({"ok": True, **result})
