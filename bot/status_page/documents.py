"""Rendered public documents as served: bytes, a gzipped copy, strong validators. Pure."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any

from bot.domain.public_page import PublicPage
from bot.status_page import render

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
_JSON: dict[str, Callable[[PublicPage], dict[str, Any]]] = {
    "summary": render.summary_json,
    "status": render.status_json,
    "components": render.components_json,
    "incidents": render.incidents_json,
    "unresolved": render.unresolved_json,
}
_FEEDS = {
    "atom": (render.atom, "application/atom+xml; charset=utf-8"),
    "rss": (render.rss, "application/rss+xml; charset=utf-8"),
}


@dataclass(frozen=True)
class Variant:
    """One representation of a document: its bytes and its strong ETag."""

    body: bytes
    etag: str


@dataclass(frozen=True)
class Document:
    """A document ready to serve as is, plain or gzipped, with when its bytes last changed."""

    content_type: str
    plain: Variant
    gzipped: Variant
    last_modified: datetime
    last_modified_http: str  # the Last-Modified header, formatted once


def make_document(
    body: bytes, content_type: str, *, previous: Document | None, now: datetime
) -> Document:
    """Return the document for these bytes; the previous one if they did not change, so its
    validators (and the gzip work) carry over."""
    digest = hashlib.blake2b(body, digest_size=16).hexdigest()
    if previous is not None and previous.plain.etag == f'"{digest}"':
        return previous
    at = now.replace(microsecond=0)
    return Document(
        content_type=content_type,
        plain=Variant(body, f'"{digest}"'),
        # mtime=0: the same bytes give the same gzip on every replica, so the ETag holds too
        gzipped=Variant(gzip.compress(body, compresslevel=6, mtime=0), f'"{digest}-gzip"'),
        last_modified=at,
        last_modified_http=format_datetime(at, usegmt=True),
    )


def render_all(
    page: PublicPage,
    previous: Mapping[str, Document],
    now: datetime,
    *,
    subscribe: object | None = None,
) -> dict[str, Document]:
    """Render the page (with `subscribe`, its subscribe form), its JSON and its feeds (not the
    per-incident pages: those on demand)."""
    html = render.html(page, subscribe=subscribe).encode()
    bodies: dict[str, tuple[bytes, str]] = {"html": (html, HTML)}
    for name, to_json in _JSON.items():
        bodies[name] = (json.dumps(to_json(page), separators=(",", ":")).encode(), JSON)
    for name, (feed, content_type) in _FEEDS.items():
        bodies[name] = (feed(page), content_type)
    return {
        name: make_document(body, content_type, previous=previous.get(name), now=now)
        for name, (body, content_type) in bodies.items()
    }


def incident_key(uid: str) -> str:
    """Return the cache key of one incident's page."""
    return f"incident/{uid}"


def render_incident(
    page: PublicPage, uid: str, previous: Document | None, now: datetime
) -> Document | None:
    """Render one incident's page, or None if no public incident has this ID."""
    incident = page.incident(uid)
    if incident is None:
        return None
    body = render.incident_html(page, incident).encode()
    return make_document(body, HTML, previous=previous, now=now)
