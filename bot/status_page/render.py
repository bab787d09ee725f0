"""Render a PublicPage as HTML, Statuspage-compatible JSON, Atom and RSS. Pure functions."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.domain.components import ComponentStatus
from bot.domain.milestones import human
from bot.domain.public import PublicIncident, PublicUpdate
from bot.domain.public_page import PublicPage

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.globals.update(ComponentStatus=ComponentStatus, human=human)
CSS = (Path(__file__).parent / "templates" / "status.css").read_bytes()


def iso(at: datetime | None) -> str | None:
    """Return Statuspage's timestamp form: ISO 8601 UTC with milliseconds."""
    if at is None:
        return None
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def component_id(name: str) -> str:
    """Return a stable 14-character ID for a component name."""
    return hashlib.sha1(name.lower().encode()).hexdigest()[:14]


def _page(page: PublicPage) -> dict[str, Any]:
    return {
        "id": "warroom",
        "name": page.title,
        "url": page.url,
        "time_zone": "Etc/UTC",
        "updated_at": iso(page.updated_at),
    }


def _components(page: PublicPage) -> list[dict[str, Any]]:
    return [
        {
            "id": component_id(name),
            "name": name,
            "status": status.value,
            "created_at": None,
            "updated_at": iso(page.updated_at),
            "position": position,
            "description": None,
            "showcase": True,
            "start_date": None,
            "group_id": None,
            "page_id": "warroom",
            "group": False,
            "only_show_if_degraded": False,
        }
        for position, (name, status) in enumerate(page.components.items(), start=1)
    ]


def _update(incident: PublicIncident, update: PublicUpdate) -> dict[str, Any]:
    affected = [
        {"code": component_id(c), "name": c, "old_status": None, "new_status": status.value}
        for c, status in update.changes
    ]
    return {
        "id": f"{incident.uid}u{update.id}",
        "status": update.status.value,
        "body": update.text,
        "incident_id": incident.uid,
        "created_at": iso(update.at),
        "updated_at": iso(update.at),
        "display_at": iso(update.at),
        "affected_components": affected or None,
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }


def _incident(page: PublicPage, incident: PublicIncident) -> dict[str, Any]:
    return {
        "id": incident.uid,
        "name": incident.name,
        "status": incident.status.value,
        "created_at": iso(incident.created_at),
        "updated_at": iso(incident.updated_at),
        "monitoring_at": iso(incident.monitoring_at),
        "resolved_at": iso(incident.resolved_at),
        "impact": incident.impact.value,
        "shortlink": page.incident_url(incident.uid),
        "started_at": iso(incident.created_at),
        "page_id": "warroom",
        "incident_updates": [_update(incident, u) for u in incident.updates],
        "components": [c for c in _components(page) if c["name"] in incident.components],
        "postmortem_body": incident.postmortem,
    }


def status_json(page: PublicPage) -> dict[str, Any]:
    """Return /api/v2/status.json."""
    return {
        "page": _page(page),
        "status": {"indicator": page.indicator.value, "description": page.description},
    }


def components_json(page: PublicPage) -> dict[str, Any]:
    """Return /api/v2/components.json."""
    return {"page": _page(page), "components": _components(page)}


def incidents_json(page: PublicPage) -> dict[str, Any]:
    """Return /api/v2/incidents.json: active and recent incidents, newest first."""
    return {
        "page": _page(page),
        "incidents": [_incident(page, i) for i in [*page.active, *page.history]],
    }


def unresolved_json(page: PublicPage) -> dict[str, Any]:
    """Return /api/v2/incidents/unresolved.json."""
    return {"page": _page(page), "incidents": [_incident(page, i) for i in page.active]}


def summary_json(page: PublicPage) -> dict[str, Any]:
    """Return /api/v2/summary.json."""
    return {
        **status_json(page),
        "components": _components(page),
        "incidents": [_incident(page, i) for i in page.active],
        "scheduled_maintenances": [],
    }


def html(page: PublicPage, *, subscribe: object | None = None) -> str:
    """Return the status page; with `subscribe` (the form's state), its subscribe form."""
    return _ENV.get_template("status.html").render(page=page, subscribe=subscribe)


def incident_html(page: PublicPage, incident: PublicIncident) -> str:
    """Return one incident's own page."""
    return _ENV.get_template("incident.html").render(page=page, incident=incident)


def _entry_text(incident: PublicIncident) -> str:
    return "\n\n".join(
        f"{u.at:%Y-%m-%d %H:%M} UTC - {u.status.value.capitalize()}: {u.text}"
        for u in incident.updates
    )


def atom(page: PublicPage) -> bytes:
    """Return the incident history as an Atom feed, one entry per incident."""
    ns = "http://www.w3.org/2005/Atom"
    feed = ET.Element("feed", xmlns=ns)
    ET.SubElement(feed, "title").text = f"{page.title} - incident history"
    ET.SubElement(feed, "id").text = f"{page.url}#history"
    ET.SubElement(feed, "updated").text = iso(page.updated_at)
    ET.SubElement(feed, "link", href=page.url, rel="alternate")
    for incident in [*page.active, *page.history]:
        entry = ET.SubElement(feed, "entry")
        ET.SubElement(entry, "title").text = incident.name
        ET.SubElement(entry, "id").text = page.incident_url(incident.uid)
        ET.SubElement(entry, "updated").text = iso(incident.updated_at)
        ET.SubElement(entry, "published").text = iso(incident.created_at)
        ET.SubElement(entry, "link", href=page.incident_url(incident.uid), rel="alternate")
        ET.SubElement(entry, "content", type="text").text = _entry_text(incident)
    document: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return document


def rss(page: PublicPage) -> bytes:
    """Return the incident history as an RSS 2.0 feed."""
    root = ET.Element("rss", version="2.0")
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = f"{page.title} - incident history"
    ET.SubElement(channel, "link").text = page.url
    ET.SubElement(channel, "description").text = page.description
    ET.SubElement(channel, "lastBuildDate").text = format_datetime(page.updated_at)
    for incident in [*page.active, *page.history]:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = incident.name
        ET.SubElement(item, "link").text = page.incident_url(incident.uid)
        ET.SubElement(item, "guid", isPermaLink="false").text = incident.uid
        ET.SubElement(item, "pubDate").text = format_datetime(incident.created_at)
        ET.SubElement(item, "description").text = _entry_text(incident)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document
