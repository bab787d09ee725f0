"""GitHub's issue routes: list, create, get, update (close with a state_reason)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.github.repo import Json, Refusal, Repo, invalid

_STATES = {"open", "closed"}
_REASONS = {"completed", "not_planned", "reopened", None}
_TITLE_MAX = 256


async def _body(request: web.Request) -> Json:
    try:
        data = await request.json()
    except ValueError:
        raise Refusal(400, "Problems parsing JSON") from None
    if not isinstance(data, dict):
        raise Refusal(400, "Problems parsing JSON")
    return data


def _strings(data: Json, name: str) -> list[str] | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise invalid(name)
    return list(value)


def _title(data: Json, *, required: bool) -> str | None:
    title = data.get("title")
    if title is None and not required:
        return None
    if not isinstance(title, str) or not title.strip():
        raise invalid("title", "missing_field")
    if len(title) > _TITLE_MAX:
        raise invalid("title", "custom")
    return title


async def list_issues(repo: Repo, request: web.Request) -> web.Response:
    """GET /repos/{owner}/{repo}/issues: filtered by state and labels, newest first."""
    query = request.query
    state = query.get("state", "open")
    if state not in ("open", "closed", "all"):
        raise invalid("state")
    wanted = {x for x in query.get("labels", "").split(",") if x}
    per_page = min(100, max(1, int(query.get("per_page", "30") or 30)))
    page = max(1, int(query.get("page", "1") or 1))
    rows = [
        i
        for i in sorted(repo.issues.values(), key=lambda i: -int(i["number"]))
        if (state == "all" or i["state"] == state)
        and wanted <= {label["name"] for label in i["labels"]}
    ]
    return web.json_response(rows[(page - 1) * per_page : page * per_page])


async def create_issue(repo: Repo, request: web.Request) -> web.Response:
    """POST /repos/{owner}/{repo}/issues: 201 with the issue."""
    data = await _body(request)
    title = _title(data, required=True)
    body = data.get("body")
    if body is not None and not isinstance(body, str):
        raise invalid("body")
    number = max(repo.issues, default=0) + 1
    now = repo.now()
    assignees = repo.users(_strings(data, "assignees") or [])
    issue: Json = {
        "id": 1_000_000 + number,
        "number": number,
        "title": title,
        "body": body,
        "state": "open",
        "state_reason": None,
        "labels": repo.labels(_strings(data, "labels") or []),
        "assignees": assignees,
        "assignee": assignees[0] if assignees else None,
        "url": f"{request.url.origin()}/repos/{repo.full_name}/issues/{number}",
        "html_url": f"https://github.com/{repo.full_name}/issues/{number}",
        "created_at": now,
        "updated_at": now,
        "closed_at": None,
    }
    repo.issues[number] = issue
    return web.json_response(issue, status=201)


async def get_issue(repo: Repo, request: web.Request) -> web.Response:
    """GET /repos/{owner}/{repo}/issues/{number}."""
    return web.json_response(repo.issue(_number(request)))


async def update_issue(repo: Repo, request: web.Request) -> web.Response:
    """PATCH /repos/{owner}/{repo}/issues/{number}: 200 with the issue."""
    issue = repo.issue(_number(request))
    data = await _body(request)
    changes: dict[str, Any] = {}
    title = _title(data, required=False)
    if title is not None:
        changes["title"] = title
    if "body" in data:
        changes["body"] = data["body"]
    labels = _strings(data, "labels")
    if labels is not None:
        changes["labels"] = repo.labels(labels)
    assignees = _strings(data, "assignees")
    if assignees is not None:
        users = repo.users(assignees)
        changes["assignees"], changes["assignee"] = users, users[0] if users else None
    changes.update(_state_change(repo, issue, data))
    issue.update(changes, updated_at=repo.now())
    return web.json_response(issue)


def _state_change(repo: Repo, issue: Json, data: Json) -> Json:
    state, reason = data.get("state"), data.get("state_reason")
    if state is None and reason is None:
        return {}
    if state is not None and state not in _STATES:
        raise invalid("state")
    if reason not in _REASONS:
        raise invalid("state_reason")
    state = state or issue["state"]
    if state == "closed":
        closed_at = issue["closed_at"] if issue["state"] == "closed" else repo.now()
        return {"state": "closed", "state_reason": reason or "completed", "closed_at": closed_at}
    reopened = "reopened" if issue["state"] == "closed" else issue["state_reason"]
    return {"state": "open", "state_reason": reopened, "closed_at": None}


def _number(request: web.Request) -> int:
    raw = request.match_info["number"]
    if not raw.isdigit():
        raise Refusal(404, "Not Found")
    return int(raw)
