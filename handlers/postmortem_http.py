"""GET /incidents/<n>/postmortem.md: the internal draft, for admins with the bearer token."""

from __future__ import annotations

import hmac
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.domain.errors import IncidentNotFound
from bot.domain.postmortem import render_postmortem
from bot.keys import CONTEXT, SETTINGS
from bot.service import retro


async def handle_postmortem_markdown_http(request: web.Request) -> web.Response:
    """Serve the draft; 404 when no ADMIN_TOKEN is configured, 401 without the right one."""
    settings = request.app[SETTINGS]
    if settings.admin_token is None:
        raise web.HTTPNotFound()
    given = request.headers.get("Authorization", "")
    expected = f"Bearer {settings.admin_token.reveal()}"
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return web.json_response(
            {"error": "a valid admin bearer token is required"},
            status=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    try:
        data = await retro.postmortem(request.app[CONTEXT], number=int(request.match_info["n"]))
    except IncidentNotFound:
        raise web.HTTPNotFound() from None
    zone = settings.display_timezone
    markdown = render_postmortem(data, zone=ZoneInfo(zone), zone_name=zone)
    return web.Response(
        text=markdown,
        content_type="text/markdown",
        charset="utf-8",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


def register(app: web.Application) -> None:
    """Attach the route."""
    # Nine digits at most: a longer number is no incident (and would overflow the column).
    app.router.add_get(r"/incidents/{n:\d{1,9}}/postmortem.md", handle_postmortem_markdown_http)
