"""Response URLs: issued with slash commands and actions, recording what the app POSTs."""

from __future__ import annotations

import uuid

from aiohttp import web

from sandbox.slack.workspace import Workspace


def new_response_url(ws: Workspace) -> str:
    """Issue a response URL whose POSTs are recorded in responses."""
    url_id = uuid.uuid4().hex
    ws.response_ids.add(url_id)
    return f"{ws.base_url()}/response/{url_id}"


async def receive(ws: Workspace, request: web.Request) -> web.StreamResponse:
    """Record a JSON body POSTed to an issued response URL."""
    url_id = request.match_info["url_id"]
    if url_id not in ws.response_ids:
        return web.Response(status=404, text="no_service")
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return web.Response(status=400, text="invalid_payload")
    ws.responses.append({**body, "_url_id": url_id})
    return web.Response(text="ok")
