"""Jira's issue routes: create, edit, get, JQL search, and workflow transitions."""

from __future__ import annotations

import re

from aiohttp import web

from sandbox.jira.site import WORKFLOW, Json, Refusal, Site, status_of

_CLAUSE = re.compile(r'^\s*(project|labels|key)\s*=\s*"?([^"]+?)"?\s*$', re.IGNORECASE)


async def _body(request: web.Request) -> Json:
    try:
        data = await request.json()
    except ValueError:
        raise Refusal(400, ["Unexpected character in the request body."]) from None
    if not isinstance(data, dict):
        raise Refusal(400, ["Unexpected request body."])
    return data


def _self(request: web.Request, issue_id: str) -> str:
    return f"{request.url.origin()}/rest/api/3/issue/{issue_id}"


async def create_issue(site: Site, request: web.Request) -> web.Response:
    """POST /rest/api/3/issue: 201 with id, key and self."""
    fields = (await _body(request)).get("fields")
    if not isinstance(fields, dict):
        raise Refusal(400, ["The request must contain fields."])
    site.check_fields(fields, creating=True)
    number = len(site.issues) + 1
    key, issue_id = f"{site.project}-{number}", str(10_000 + number)
    stored = {k: v for k, v in fields.items() if v is not None}
    site.issues[key] = {
        "id": issue_id,
        "key": key,
        "self": _self(request, issue_id),
        "fields": {**stored, "status": status_of("To Do")},
    }
    return web.json_response(
        {"id": issue_id, "key": key, "self": _self(request, issue_id)}, status=201
    )


async def edit_issue(site: Site, request: web.Request) -> web.Response:
    """PUT /rest/api/3/issue/{key}: 204."""
    issue = site.issue(request.match_info["key"])
    fields = (await _body(request)).get("fields") or {}
    site.check_fields(fields, creating=False)
    for name in ("project", "issuetype", "status"):
        if name in fields:
            raise Refusal(400, errors={name: f"Field '{name}' cannot be set."})
    for name, value in fields.items():
        if value is None:
            issue["fields"].pop(name, None)
        else:
            issue["fields"][name] = value
    return web.Response(status=204)


async def get_issue(site: Site, request: web.Request) -> web.Response:
    """GET /rest/api/3/issue/{key}."""
    return web.json_response(site.issue(request.match_info["key"]))


async def search(site: Site, request: web.Request) -> web.Response:
    """GET /rest/api/3/search/jql: the issues matching clauses joined by AND."""
    jql = request.query.get("jql", "")
    clauses = [_CLAUSE.match(part) for part in re.split(r"\s+AND\s+", jql, flags=re.IGNORECASE)]
    if not jql or any(c is None for c in clauses):
        raise Refusal(400, [f"Error in the JQL Query: {jql!r} is not supported here."])
    found = list(site.issues.values())
    for clause in clauses:
        assert clause is not None
        name, value = clause.group(1).lower(), clause.group(2)
        if name == "project":
            found = [i for i in found if i["fields"]["project"]["key"] == value]
        elif name == "labels":
            found = [i for i in found if value in (i["fields"].get("labels") or [])]
        else:
            found = [i for i in found if i["key"] == value]
    limit = int(request.query.get("maxResults", "50") or 50)
    return web.json_response({"issues": found[:limit], "isLast": len(found) <= limit})


async def list_transitions(site: Site, request: web.Request) -> web.Response:
    """GET /rest/api/3/issue/{key}/transitions: every status but the current one."""
    issue = site.issue(request.match_info["key"])
    current = issue["fields"]["status"]["name"]
    transitions = [
        {"id": tid, "name": name, "to": status_of(name)}
        for tid, name, _ in WORKFLOW
        if name != current
    ]
    return web.json_response({"transitions": transitions})


async def transition(site: Site, request: web.Request) -> web.Response:
    """POST /rest/api/3/issue/{key}/transitions: 204, or 400 for a transition not available."""
    issue = site.issue(request.match_info["key"])
    wanted = str(((await _body(request)).get("transition") or {}).get("id", ""))
    current = issue["fields"]["status"]["name"]
    target = next((n for tid, n, _ in WORKFLOW if tid == wanted and n != current), None)
    if target is None:
        raise Refusal(400, [f"Transition id '{wanted}' is not valid for this issue."])
    issue["fields"]["status"] = status_of(target)
    return web.Response(status=204)
