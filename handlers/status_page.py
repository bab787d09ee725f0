"""HTTP routes of the public status page; every response carries a strict CSP."""

from __future__ import annotations

from aiohttp import web

from bot.keys import PAGES
from bot.status_page.render import CSS

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_SECURITY = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "public, max-age=10",
}
_ROUTES = {
    "/status": ("html", "text/html"),
    "/api/v2/summary.json": ("summary", "application/json"),
    "/api/v2/status.json": ("status", "application/json"),
    "/api/v2/components.json": ("components", "application/json"),
    "/api/v2/incidents.json": ("incidents", "application/json"),
    "/api/v2/incidents/unresolved.json": ("unresolved", "application/json"),
    "/history.atom": ("atom", "application/atom+xml"),
    "/history.rss": ("rss", "application/rss+xml"),
}


async def handle_public_document_http(request: web.Request) -> web.Response:
    """Serve one public document from the cache."""
    kind, content_type = _ROUTES[request.path]
    body = await request.app[PAGES].document(kind)
    headers = dict(_SECURITY)
    if content_type == "application/json":
        headers["Access-Control-Allow-Origin"] = "*"  # widgets on other sites read it
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=headers)


async def handle_status_css_http(_: web.Request) -> web.Response:
    """Serve the page's stylesheet."""
    return web.Response(body=CSS, content_type="text/css", headers=_SECURITY)


def register(app: web.Application) -> None:
    """Attach the public routes."""
    for path in _ROUTES:
        app.router.add_get(path, handle_public_document_http)
    app.router.add_get("/status.css", handle_status_css_http)
