"""POST /alerts/pagerduty and /alerts/alertmanager: alerts from monitoring open incidents.

Each route is served only when its secret is set. Unauthenticated: 401; malformed: 400 with a
short JSON error; the database unavailable: 503 (both senders retry). The answer comes once
the incident is stored: its channel and the rest follow through the outbox.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from aiohttp import web

from bot.config import Settings
from bot.domain.errors import TryAgain
from bot.domain.paging import AlertSeen
from bot.keys import CONTEXT, SETTINGS
from bot.service.alerts import Received, receive_alert
from handlers.alert_payloads import BadAlert, alertmanager_alerts, pagerduty_alert

log = logging.getLogger(__name__)


def _error(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def signed_by(secret: str, body: bytes, header: str) -> bool:
    """Return whether any `v1=<hex>` signature in the header is the body's HMAC-SHA256."""
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    given = [part.strip() for part in header.split(",")]
    return any(
        hmac.compare_digest(sig.removeprefix("v1=").encode(), expected.encode())
        for sig in given
        if sig.startswith("v1=")
    )


async def handle_pagerduty_webhook_http(request: web.Request) -> web.Response:
    """Receive a PagerDuty v3 webhook signed with PAGERDUTY_WEBHOOK_SECRET."""
    secret = request.app[SETTINGS].pagerduty_webhook_secret
    assert secret is not None  # the route exists only when it is set
    body = await request.read()
    if not signed_by(secret.reveal(), body, request.headers.get("X-PagerDuty-Signature", "")):
        return _error(401, "a valid X-PagerDuty-Signature is required")
    try:
        alert = pagerduty_alert(body)
    except BadAlert as bad:
        return _error(400, str(bad))
    return await _receive(request, [alert] if alert is not None else [])


async def handle_alertmanager_webhook_http(request: web.Request) -> web.Response:
    """Receive an Alertmanager webhook (version 4) with ALERTMANAGER_TOKEN as bearer token."""
    token = request.app[SETTINGS].alertmanager_token
    assert token is not None  # the route exists only when it is set
    given = request.headers.get("Authorization", "").encode()
    if not hmac.compare_digest(given, f"Bearer {token.reveal()}".encode()):
        return _error(401, "a valid bearer token is required", **{"WWW-Authenticate": "Bearer"})
    try:
        alerts = alertmanager_alerts(await request.read())
    except BadAlert as bad:
        return _error(400, str(bad))
    return await _receive(request, alerts)


async def _receive(request: web.Request, alerts: list[AlertSeen]) -> web.Response:
    ctx, settings = request.app[CONTEXT], request.app[SETTINGS]
    results: list[Received] = []
    try:
        for alert in alerts:
            level = settings.alert_declare_severity
            results.append(await receive_alert(ctx, alert, threshold=level))
    except TryAgain:
        return _error(503, "the database is unavailable; send it again", **{"Retry-After": "5"})
    answered = [
        {"outcome": r.outcome.value, "incident": r.incident.ref if r.incident else None}
        for r in results
    ]
    return web.json_response({"status": "accepted", "alerts": answered}, status=202)


def register(app: web.Application, settings: Settings) -> None:
    """Attach the routes whose secrets are set (unset: 404)."""
    if settings.pagerduty_webhook_secret is not None:
        app.router.add_post("/alerts/pagerduty", handle_pagerduty_webhook_http)
    if settings.alertmanager_token is not None:
        app.router.add_post("/alerts/alertmanager", handle_alertmanager_webhook_http)
