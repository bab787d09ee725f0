"""Webhook bodies from monitoring, read into AlertSeen values at the edge (or BadAlert).

Severity mapping (documented in the README):
- Alertmanager: the alert's `severity` label, else the group's common one; PagerDuty's words
  (critical, error, warning, info) plus `page` (critical), `high`/`major` (error) and `minor`
  (warning). No or another word: the alert is only noted where it is linked, never declares.
- PagerDuty: the incident's priority when set (P1 critical, P2 error, P3 warning, P4 and
  lower info), else its urgency (high critical, low warning).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from bot.domain.paging import AlertLevel, AlertSeen, read_level

ALERTMANAGER, PAGERDUTY = "alertmanager", "pagerduty"
# Webhook events about PagerDuty incidents we opened ourselves (our pages): never an alert.
OWN_PREFIX = "warroom-"
_PRIORITIES = {"P1": AlertLevel.CRITICAL, "P2": AlertLevel.ERROR, "P3": AlertLevel.WARNING}
_URGENCIES = {"high": AlertLevel.CRITICAL, "low": AlertLevel.WARNING}
_PD_EVENTS = {"incident.triggered": True, "incident.reopened": True, "incident.resolved": False}


class BadAlert(Exception):
    """The body is not what the sender documents; the message is safe to answer with."""


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadAlert("the body is not JSON") from None


def _text(value: Any, limit: int) -> str:
    return " ".join(str(value).split())[:limit] if isinstance(value, str | int | float) else ""


def alertmanager_alerts(raw: bytes) -> list[AlertSeen]:
    """Read an Alertmanager webhook (version 4) into its alerts."""
    body = _json(raw)
    if not isinstance(body, dict) or body.get("version") != "4":
        raise BadAlert('expected an Alertmanager webhook with "version": "4"')
    alerts, common = body.get("alerts"), body.get("commonLabels") or {}
    if not isinstance(alerts, list) or not isinstance(common, dict):
        raise BadAlert('"alerts" must be a list')
    return [_one_alertmanager(alert, common) for alert in alerts]


def _one_alertmanager(alert: Any, common: dict[str, Any]) -> AlertSeen:
    if not isinstance(alert, dict) or alert.get("status") not in ("firing", "resolved"):
        raise BadAlert('each alert needs "status": "firing" or "resolved"')
    labels, notes = alert.get("labels") or {}, alert.get("annotations") or {}
    if not isinstance(labels, dict) or not isinstance(notes, dict):
        raise BadAlert('"labels" and "annotations" must be objects')
    key = _text(alert.get("fingerprint"), 255) or _label_key(labels)
    name = _text(labels.get("alertname"), 200) or "Alert"
    title = _text(notes.get("summary"), 200) or name
    url = _text(alert.get("generatorURL"), 2000) or None
    level = read_level(_text(labels.get("severity") or common.get("severity"), 40))
    return AlertSeen(ALERTMANAGER, key, title, level, alert["status"] == "firing", url)


def _label_key(labels: dict[str, Any]) -> str:
    """Alertmanager identifies an alert by its labels: their hash when no fingerprint came."""
    if not labels:
        raise BadAlert("an alert needs a fingerprint or labels")
    canonical = json.dumps(labels, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def pagerduty_alert(raw: bytes) -> AlertSeen | None:
    """Read a PagerDuty v3 webhook; None for events that are no alert (acknowledged, pings,
    our own pages)."""
    body = _json(raw)
    event = body.get("event") if isinstance(body, dict) else None
    if not isinstance(event, dict) or not isinstance(event.get("event_type"), str):
        raise BadAlert('expected a PagerDuty v3 webhook with an "event"')
    firing = _PD_EVENTS.get(event["event_type"])
    if firing is None:
        return None
    data = event.get("data")
    if not isinstance(data, dict) or not _text(data.get("id"), 64):
        raise BadAlert('an incident event needs "data" with the incident "id"')
    if _text(data.get("incident_key"), 255).startswith(OWN_PREFIX):
        return None
    title = _text(data.get("title"), 200) or f"PagerDuty incident {data['id']}"
    url = _text(data.get("html_url"), 2000) or None
    return AlertSeen(PAGERDUTY, _text(data["id"], 64), title, _pd_level(data), firing, url)


def _pd_level(data: dict[str, Any]) -> AlertLevel | None:
    priority = data.get("priority")
    if isinstance(priority, dict) and isinstance(priority.get("summary"), str):
        return _PRIORITIES.get(priority["summary"].upper(), AlertLevel.INFO)
    return _URGENCIES.get(_text(data.get("urgency"), 10).lower())
