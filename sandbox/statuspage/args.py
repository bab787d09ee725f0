"""Reading a request: the page in the path, the JSON payload, the incident, paging."""

from __future__ import annotations

import json

from aiohttp import web

from sandbox.statuspage.page import Json, Page, Refusal


def check_page(page: Page, request: web.Request) -> None:
    """Refuse with 404 unless the path names this page."""
    if request.match_info["page_id"] != page.page_id:
        raise Refusal(404, "Not found")


async def payload(request: web.Request, key: str, *, required: bool = True) -> Json:
    """Return the object under `key` in the JSON body (Statuspage wraps every resource)."""
    try:  # aiohttp caches the body, so reading it again is cheap
        body = json.loads(await request.read() or b"null")
    except ValueError as exc:
        raise Refusal(400, "Request body is not valid JSON") from exc
    fields = body.get(key) if isinstance(body, dict) else None
    if isinstance(fields, dict):
        return dict(fields)
    if required:
        raise Refusal(400, f"param is missing or the value is empty: {key}")
    return {}


def incident(page: Page, request: web.Request) -> Json:
    """Return the incident the path names, or refuse with 404."""
    check_page(page, request)
    found = page.incidents.get(request.match_info["incident_id"])
    if found is None:
        raise Refusal(404, "Not found")
    return found


def paged(request: web.Request, items: list[Json]) -> web.Response:
    """Answer one page of items, filtered by `q` and cut by `page` and `per_page` (at most 100)."""
    query = request.query.get("q", "").lower()
    if query:
        items = [i for i in items if query in i["name"].lower()]
    number = _positive_int(request.query.get("page"), 1)
    per_page = min(100, _positive_int(request.query.get("per_page"), 100))
    return web.json_response(items[(number - 1) * per_page : number * per_page])


def _positive_int(value: str | None, default: int) -> int:
    try:
        return max(1, int(value)) if value is not None else default
    except ValueError:
        return default
