"""HTTP routes of the public status page: documents from memory, conditional and compressed.

Every response carries a strict CSP, strong validators (`ETag`, `Last-Modified`) so a reload
costs a `304`, and a `Cache-Control` that lets a CDN absorb the crowd: it may keep a document
two seconds (the same promise replicas keep to each other) and serve it stale while it asks
again, or while warroom cannot answer.
"""

from __future__ import annotations

from aiohttp import web

from bot.keys import PAGES
from bot.status_page.cache import NotReady
from bot.status_page.documents import Document, Variant
from bot.status_page.render import CSS

CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_SECURITY = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
CACHE_CONTROL = "public, max-age=5, s-maxage=2, stale-while-revalidate=30, stale-if-error=86400"
_ROUTES = {
    "/status": "html",
    "/api/v2/summary.json": "summary",
    "/api/v2/status.json": "status",
    "/api/v2/components.json": "components",
    "/api/v2/incidents.json": "incidents",
    "/api/v2/incidents/unresolved.json": "unresolved",
    "/history.atom": "atom",
    "/history.rss": "rss",
}


def accepts_gzip(header: str) -> bool:
    """Return whether an Accept-Encoding header admits gzip (not refused with q=0)."""
    for part in header.lower().split(","):
        name, _, params = part.partition(";")
        if name.strip() not in ("gzip", "*"):
            continue
        quality = params.replace(" ", "").removeprefix("q=")
        try:
            return not quality or float(quality) > 0
        except ValueError:
            return False
    return False


def _not_modified(request: web.Request, document: Document, variant: Variant) -> bool:
    tags = request.headers.get("If-None-Match")
    if tags is not None:  # it wins over If-Modified-Since (RFC 9110 13.2.2)
        listed = {tag.strip().removeprefix("W/") for tag in tags.split(",")}
        return "*" in listed or variant.etag in listed
    since = request.if_modified_since
    return since is not None and document.last_modified <= since


def serve(request: web.Request, document: Document) -> web.Response:
    """Answer with the document: 304 if the client has it, gzipped if it takes gzip."""
    zipped = accepts_gzip(request.headers.get("Accept-Encoding", ""))
    variant = document.gzipped if zipped else document.plain
    headers = {
        **_SECURITY,
        "Cache-Control": CACHE_CONTROL,
        "ETag": variant.etag,
        "Last-Modified": document.last_modified_http,
        "Vary": "Accept-Encoding",
    }
    if document.content_type.startswith("application/json"):
        headers["Access-Control-Allow-Origin"] = "*"  # widgets on other sites read it
    if _not_modified(request, document, variant):
        return web.Response(status=304, headers=headers)
    if zipped:
        headers["Content-Encoding"] = "gzip"
    headers["Content-Type"] = document.content_type
    return web.Response(body=variant.body, headers=headers)


def _unavailable() -> web.Response:
    headers = {**_SECURITY, "Retry-After": "5", "Cache-Control": "no-store"}
    return web.Response(status=503, text="The status page is starting. Try again in a moment.",
                        headers=headers)  # fmt: skip


async def handle_public_document_http(request: web.Request) -> web.Response:
    """Serve one public document from memory."""
    try:
        document = await request.app[PAGES].document(_ROUTES[request.path])
    except NotReady:
        return _unavailable()
    return serve(request, document)


async def handle_incident_page_http(request: web.Request) -> web.Response:
    """Serve one incident's own page, by its public ID."""
    try:
        document = await request.app[PAGES].incident(request.match_info["uid"])
    except NotReady:
        return _unavailable()
    if document is None:
        headers = {**_SECURITY, "Cache-Control": "public, max-age=5"}
        return web.Response(status=404, text="No such incident.", headers=headers)
    return serve(request, document)


async def handle_status_css_http(_: web.Request) -> web.Response:
    """Serve the page's stylesheet."""
    headers = {**_SECURITY, "Cache-Control": "public, max-age=3600"}
    return web.Response(body=CSS, content_type="text/css", headers=headers)


def register(app: web.Application) -> None:
    """Attach the public routes."""
    for path in _ROUTES:
        app.router.add_get(path, handle_public_document_http)
    app.router.add_get("/incidents/{uid:[a-z0-9]{1,16}}", handle_incident_page_http)
    app.router.add_get("/status.css", handle_status_css_http)
