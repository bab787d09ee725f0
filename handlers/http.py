"""HTTP routes: Slack's single events URL and the health check."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.keys import BOLT, DATABASE
from handlers.errors import apology

_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only: int() refuses "²"


class SlackRequest(AsyncBoltRequest):
    """Bolt's request, with a form parser that reads every field.

    Bolt treats any form body containing the word "payload" as an interaction and drops the
    rest, so `/incident update payload service down` would vanish. Parse the form properly.
    """

    def __init__(self, *, body: str, query: str, headers: dict[str, str]) -> None:
        super().__init__(body="", query=query, headers=headers)  # type: ignore[arg-type]
        self.raw_body = body  # what the signature is checked against
        self.body = _parse(body, self.content_type)
        try:
            self.context = build_async_context(AsyncBoltContext({}), self.body)
        except (TypeError, AttributeError, KeyError, IndexError, ValueError):
            self.body = {}  # a shape Slack never sends: Bolt will find nothing to handle
            self.context = build_async_context(AsyncBoltContext({}), self.body)


def _parse(body: str, content_type: str | None) -> dict[str, Any]:
    """Parse a JSON body, or a form whose `payload` field (if any) holds the JSON."""
    try:
        if content_type == "application/json" or body.startswith("{"):
            parsed = json.loads(body)
        else:
            form = dict(parse_qsl(body, keep_blank_values=True))
            parsed = json.loads(form["payload"]) if "payload" in form else form
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


async def handle_slack_events_http(request: web.Request) -> web.Response:
    """Hand a signed Slack request (command, interaction or event) to Bolt."""
    if not _TIMESTAMP.fullmatch(request.headers.get("X-Slack-Request-Timestamp", "")):
        return web.json_response({"error": "invalid request"}, status=401)
    # Over client_max_size aiohttp answers 413 without reading on. Bytes that are not UTF-8
    # cannot be what Slack signed: replacing them makes the signature check refuse them.
    body = (await request.read()).decode("utf-8", errors="replace")
    bolt_request = SlackRequest(
        body=body, query=request.query_string, headers=dict(request.headers)
    )
    try:
        response = await request.app[BOLT].async_dispatch(bolt_request)
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
