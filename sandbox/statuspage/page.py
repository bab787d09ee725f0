"""The emulated page: its components, incidents and postmortems, and the API's vocabulary."""

from __future__ import annotations

import re
import secrets
import string
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]

INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved")
CLOSED_STATUSES = ("resolved", "postmortem")
COMPONENT_STATUSES = (
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
)
IMPACTS = ("none", "minor", "major", "critical")
_ALNUM = string.ascii_lowercase + string.digits


def new_id(length: int) -> str:
    """Return a fresh Statuspage-style ID: lowercase letters and digits."""
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


class Refusal(Exception):
    """An API error: answered as {"error": ...} with an HTTP status."""

    def __init__(self, status: int, error: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(str(error))
        self.status, self.error, self.headers = status, error, headers or {}


def invalid(message: str) -> Refusal:
    """Return the 422 Statuspage answers for a field that fails validation."""
    return Refusal(422, [message])


class Page:
    """Everything the emulated Statuspage remembers; the resource modules read and change it."""

    def __init__(
        self,
        *,
        api_key: str,
        page_id: str,
        page_name: str,
        components: Iterable[str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.api_key, self.page_id, self.page_name = api_key, page_id, page_name
        self.rate_limit_per_second: float | None = None
        self.requests: list[tuple[str, str, Json | None]] = []  # (method, path, JSON body)
        self.request_times: list[float] = []  # time.monotonic() of each request, in order
        self.incidents: dict[str, Json] = {}
        self.components: dict[str, Json] = {}
        self.clock = clock
        self.created_at = self.now()
        for position, name in enumerate(components, start=1):
            self._add_component(name, position)
        self.postmortems: dict[str, Json] = {}  # incident id -> its postmortem

    def now(self) -> str:
        """Return the clock's time as Statuspage writes it (ISO 8601, milliseconds, Z)."""
        stamp = datetime.fromtimestamp(self.clock(), UTC).isoformat(timespec="milliseconds")
        return stamp.replace("+00:00", "Z")

    def component_by_name(self, name: str) -> Json | None:
        """Find a component of the page by its name."""
        return next((c for c in self.components.values() if c["name"] == name), None)

    def page_obj(self) -> Json:
        """Return the page as GET /pages/{page_id} shows it."""
        subdomain = re.sub(r"[^a-z0-9]+", "-", self.page_name.lower()).strip("-") or "status"
        return {
            "id": self.page_id,
            "created_at": self.created_at,
            "updated_at": self.created_at,
            "name": self.page_name,
            "subdomain": subdomain,
            "domain": None,
            "url": f"https://{subdomain}.statuspage.io",
            "time_zone": "Etc/UTC",
        }

    def _add_component(self, name: str, position: int) -> None:
        component_id = new_id(14)
        self.components[component_id] = {
            "id": component_id,
            "page_id": self.page_id,
            "group_id": None,
            "created_at": self.created_at,
            "updated_at": self.created_at,
            "group": False,
            "name": name,
            "description": None,
            "position": position,
            "status": "operational",
            "showcase": True,
            "only_show_if_degraded": False,
            "automation_email": f"component+{component_id}@notifications.statuspage.io",
            "start_date": self.created_at[:10],
        }
