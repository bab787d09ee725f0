"""How `warroom demo` prints: a line at a time, what people saw, and the public status page."""

from __future__ import annotations

import json
import sys
from typing import Any

import aiohttp

SEEN = " " * 6  # what someone saw starts here, under what they did


class DemoError(Exception):
    """Why the demo cannot run, in one line its user can act on."""


def out(text: str = "") -> None:
    """Print a line now (the demo is watched as it runs)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def seen(text: str, *, at: str = SEEN) -> None:
    """Print what someone saw (from `at`: under what they did), further lines under its first."""
    out(at + text.replace("\n", "\n" + SEEN + "  "))


def published_summary(body: str, published: str | None, *, full: bool, indent: str) -> str:
    """Return a public summary to print after a colon: in full, or a mention of where it was."""
    if published is not None and body.strip() == published.strip() and not full:
        return " the one published above, word for word"
    return "\n" + indent + body.replace("\n", "\n" + indent)


async def _get_json(url: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return json.loads(await response.text())


async def show_public(
    url: str, moment: str, *, published: str | None = None, full: bool = False
) -> None:
    """Print what the public status page at url says now (a summary `published` is mentioned)."""
    summary = await _get_json(f"{url}/api/v2/summary.json")
    out(f"\n=== The public status page {url}/status, {moment} ===")
    components = " · ".join(f"{c['name']} {c['status']}" for c in summary["components"])
    out(f"  {summary['status']['description']} ({components})")
    for incident in summary["incidents"]:
        out(
            f"  Incident: {incident['name']} ({incident['status']}, impact {incident['impact']}), "
            f"its own page: {incident['shortlink']}"
        )
        for update in incident["incident_updates"]:
            out(f"    {update['status']:13} {update['body']}{_affected(update)}")
    if full or summary["incidents"]:  # after resolution, served as before
        await _show_serving(f"{url}/status")
    history = (await _get_json(f"{url}/api/v2/incidents.json"))["incidents"]
    for incident in history:
        if incident["resolved_at"]:
            told = ""
            if incident.get("postmortem_body"):
                body = incident["postmortem_body"]
                told = published_summary(body, published, full=full, indent="      ")
                told = f"; its post-incident summary:{told}"
            out(f"  Past incident: {incident['name']} (resolved){told}")
    out()


def _affected(update: dict[str, Any]) -> str:
    """Say which components an update changed, grouped by their new status."""
    by_status: dict[str, list[str]] = {}
    for c in update["affected_components"] or []:
        by_status.setdefault(c["new_status"], []).append(c["name"])
    return "".join(f" ({', '.join(names)}: {status})" for status, names in by_status.items())


async def _show_serving(url: str) -> None:
    """Print how the page is served: from memory, gzipped, revalidated with a 304."""
    async with aiohttp.ClientSession(auto_decompress=False) as http:
        plain_headers = {"Accept-Encoding": "identity"}
        async with http.get(url, headers=plain_headers) as response:
            plain, etag = len(await response.read()), response.headers["ETag"]
        async with http.get(url, headers={"Accept-Encoding": "gzip"}) as response:
            zipped = len(await response.read())
        async with http.get(url, headers={**plain_headers, "If-None-Match": etag}) as response:
            again = response.status
    out(f"  (served from memory: {plain:,} bytes, {zipped:,} gzipped; a reload: {again})")
