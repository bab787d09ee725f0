"""Incidents: list (all or unresolved), get, create, update, and the updates they record."""

from __future__ import annotations

from aiohttp import web

from sandbox.statuspage import args
from sandbox.statuspage.page import (
    CLOSED_STATUSES,
    COMPONENT_STATUSES,
    IMPACTS,
    INCIDENT_STATUSES,
    Json,
    Page,
    invalid,
    new_id,
)

_IMPACT_OF = dict(zip(COMPONENT_STATUSES[2:], IMPACTS[1:], strict=True))
_RESOLVED_TEXT = "This incident has been resolved."


async def list_incidents(page: Page, request: web.Request) -> web.StreamResponse:
    args.check_page(page, request)
    newest_first = list(reversed(page.incidents.values()))
    if request.path.endswith("/unresolved"):
        newest_first = [i for i in newest_first if i["status"] not in CLOSED_STATUSES]
    return args.paged(request, newest_first)


async def get_incident(page: Page, request: web.Request) -> web.StreamResponse:
    return web.json_response(args.incident(page, request))


async def create_incident(page: Page, request: web.Request) -> web.StreamResponse:
    args.check_page(page, request)
    fields = await args.payload(request, "incident")
    if "name" not in fields:
        raise invalid("Name can't be blank")
    _validate(page, fields)
    now, incident_id = page.now(), new_id(12)
    incident = _new_incident(page, incident_id, fields["name"], now)
    _apply(page, incident, fields, now, always_update=True)
    page.incidents[incident_id] = incident
    return web.json_response(incident, status=201)


async def update_incident(page: Page, request: web.Request) -> web.StreamResponse:
    incident = args.incident(page, request)
    fields = await args.payload(request, "incident")
    _validate(page, fields)
    _apply(page, incident, fields, page.now(), always_update=False)
    return web.json_response(incident)


def _new_incident(page: Page, incident_id: str, name: str, now: str) -> Json:
    return {
        "id": incident_id,
        "components": [],
        "created_at": now,
        "impact": "none",
        "impact_override": None,
        "incident_updates": [],
        "metadata": {},
        "monitoring_at": None,
        "name": name,
        "page_id": page.page_id,
        "postmortem_body": None,
        "postmortem_body_last_updated_at": None,
        "postmortem_ignored": False,
        "postmortem_notified_subscribers": False,
        "postmortem_notified_twitter": False,
        "postmortem_published_at": None,
        "resolved_at": None,
        "scheduled_for": None,
        "scheduled_until": None,
        "shortlink": f"http://stspg.io/{incident_id}",
        "started_at": now,
        "status": None,
        "updated_at": now,
    }


def _validate(page: Page, f: Json) -> None:
    if "name" in f and (not isinstance(f["name"], str) or not f["name"].strip()):
        raise invalid("Name can't be blank")
    if f.get("status") is not None and f["status"] not in INCIDENT_STATUSES:
        raise invalid("Status is not included in the list")
    if f.get("impact_override") is not None and f["impact_override"] not in IMPACTS:
        raise invalid("Impact override is not included in the list")
    if f.get("body") is not None and not isinstance(f["body"], str):
        raise invalid("Body must be a string")
    if f.get("metadata") is not None and not isinstance(f["metadata"], dict):
        raise invalid("Metadata must be a JSON object")
    ids = f.get("component_ids") or []
    if not isinstance(ids, list) or not all(i in page.components for i in map(str, ids)):
        raise invalid("Component ids are invalid")
    statuses = f.get("components") or {}
    if not isinstance(statuses, dict) or not statuses.keys() <= page.components.keys():
        raise invalid("Components are invalid")
    if any(s not in COMPONENT_STATUSES for s in statuses.values()):
        raise invalid("Component status is not included in the list")


def _apply(page: Page, incident: Json, f: Json, now: str, *, always_update: bool) -> None:
    if f.get("name") is not None:
        incident["name"] = f["name"]
    if f.get("metadata") is not None:
        incident["metadata"] = f["metadata"]
    status = _apply_status(incident, f, now)
    statuses: dict[str, str] = f.get("components") or {}
    affected = _apply_components(page, incident, f, statuses, now)
    if "impact_override" in f:
        incident["impact_override"] = f["impact_override"]
    derived = [_IMPACT_OF.get(s, "none") for s in statuses.values()]
    worst = max([incident["impact"], *derived], key=IMPACTS.index)
    incident["impact"] = incident["impact_override"] or worst
    incident["updated_at"] = now
    if always_update or any(f.get(k) is not None for k in ("status", "body", "components")):
        update = _new_update(incident["id"], f, status, now, affected)
        incident["incident_updates"].insert(0, update)


def _apply_status(incident: Json, f: Json, now: str) -> str:
    previous = incident["status"]
    status: str = f.get("status") or previous or "investigating"
    if status == "monitoring" and previous != "monitoring":
        incident["monitoring_at"] = now
    if status == "resolved" and previous != "resolved":
        incident["resolved_at"] = now
    incident["status"] = status
    return status


def _apply_components(
    page: Page, incident: Json, f: Json, statuses: dict[str, str], now: str
) -> list[Json]:
    affected: list[Json] = []
    for component_id, new_status in statuses.items():
        component = page.components[component_id]
        change = {"code": component_id, "name": component["name"]}
        affected.append({**change, "old_status": component["status"], "new_status": new_status})
        if component["status"] != new_status:
            component["status"], component["updated_at"] = new_status, now
    ids = f.get("component_ids")
    kept = list(ids) if ids is not None else [c["id"] for c in incident["components"]]
    # Shared dicts, so an incident always shows its components' current status.
    incident["components"] = [page.components[c] for c in dict.fromkeys([*kept, *statuses])]
    return affected


def _new_update(incident_id: str, f: Json, status: str, now: str, affected: list[Json]) -> Json:
    body = f.get("body")
    if body is None:
        body = _RESOLVED_TEXT if status == "resolved" else ""
    return {
        "id": new_id(12),
        "incident_id": incident_id,
        "status": status,
        "body": body,
        "created_at": now,
        "display_at": now,
        "updated_at": now,
        "affected_components": affected,
        "deliver_notifications": bool(f.get("deliver_notifications", True)),
        "custom_tweet": None,
        "tweet_id": None,
        "twitter_updated_at": None,
        "wants_twitter_update": False,
    }
