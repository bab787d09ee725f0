"""HTTP routes: Slack's single events URL and the health check."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from handlers.errors import apology
from storage.db import Database

BOLT = web.AppKey("bolt", AsyncApp)
DATABASE = web.AppKey("database", Database)


async def handle_slack_events_http(request: web.Request) -> web.Response:
    """Hand a signed Slack request (command, interaction or event) to Bolt."""
    if not request.headers.get("X-Slack-Request-Timestamp", "").isdigit():
        return web.json_response({"error": "invalid request"}, status=401)
    try:
        response = await request.app[BOLT].async_dispatch(await to_bolt_request(request))
    except Exception as error:  # never a 500 or a stack trace for Slack to show
        return web.json_response({"response_type": "ephemeral", "text": apology(error)})
    return await to_aiohttp_response(response)


async def handle_healthz_http(request: web.Request) -> web.Response:
    """Answer 200 once the database answers, 503 otherwise."""
    ok = await request.app[DATABASE].ping()
    return web.json_response(
        {"status": "ok" if ok else "unavailable", "database": ok}, status=200 if ok else 503
    )


def register(app: web.Application, *, slack_over_http: bool) -> None:
    """Attach the routes; in Socket Mode Slack does not come over HTTP, so no events URL."""
    if slack_over_http:
        app.router.add_post("/slack/events", handle_slack_events_http)
    app.router.add_get("/healthz", handle_healthz_http)
