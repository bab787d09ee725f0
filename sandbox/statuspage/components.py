"""GET /pages/{page_id}, GET .../components and PATCH .../components/{component_id}."""

from __future__ import annotations

from aiohttp import web

from sandbox.statuspage.args import check_page, payload
from sandbox.statuspage.page import COMPONENT_STATUSES, Page, Refusal, invalid


async def get_page(page: Page, request: web.Request) -> web.StreamResponse:
    check_page(page, request)
    return web.json_response(page.page_obj())


async def list_components(page: Page, request: web.Request) -> web.StreamResponse:
    check_page(page, request)
    return web.json_response(list(page.components.values()))


async def update_component(page: Page, request: web.Request) -> web.StreamResponse:
    check_page(page, request)
    component = page.components.get(request.match_info["component_id"])
    if component is None:
        raise Refusal(404, "Not found")
    fields = await payload(request, "component")
    if "status" in fields and fields["status"] not in COMPONENT_STATUSES:
        raise invalid("Status is not included in the list")
    if "name" in fields and (not isinstance(fields["name"], str) or not fields["name"]):
        raise invalid("Name can't be blank")
    for key in ("status", "name", "description"):
        if key in fields:
            component[key] = fields[key]
    component["updated_at"] = page.now()
    return web.json_response(component)
