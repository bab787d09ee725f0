"""What `warroom demo` prints after the script: channels, Statuspage, and the public page."""

from __future__ import annotations

import json
import sys
from typing import Any

import aiohttp

from sandbox.slack_emulator import SlackEmulator
from sandbox.statuspage_emulator import StatuspageEmulator


class DemoError(Exception):
    """Why the demo cannot run, in one line its user can act on."""


def out(text: str = "") -> None:
    """Print a line now (the demo is watched as it runs)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def _get_json(url: str) -> Any:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return json.loads(await response.text())


async def show_public(url: str, moment: str) -> None:
    """Print what the public status page at url says now."""
    summary = await _get_json(f"{url}/api/v2/summary.json")
    out(f"\n=== The public status page {url}/status, {moment} ===")
    out(f"  {summary['status']['description']}")
    for component in summary["components"]:
        out(f"  {component['name']:10} {component['status']}")
    for incident in summary["incidents"]:
        out(f"  Incident: {incident['name']} ({incident['status']}, impact {incident['impact']})")
        out(f"    its own page: {incident['shortlink']}")
        for update in incident["incident_updates"]:
            out(f"    {update['status']:13} {update['body']}")
            for c in update["affected_components"] or []:
                out(f"    {'':13} with {c['name']}: {c['new_status']}")
    await _show_serving(f"{url}/status")
    history = (await _get_json(f"{url}/api/v2/incidents.json"))["incidents"]
    for incident in history:
        if incident["resolved_at"]:
            out(f"  Past incident: {incident['name']} (resolved)")
            if incident.get("postmortem_body"):
                text = incident["postmortem_body"].replace("\n", "\n      ")
                out(f"    post-incident summary:\n      {text}")
    out()


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


def print_channels(
    slack: SlackEmulator, statuspage: StatuspageEmulator, channels: tuple[str, ...]
) -> None:
    """Print each channel as its members read it, then Statuspage's copy."""
    for channel_id in channels:
        channel = slack.channels[channel_id]
        out(f"\n=== #{channel.name} (topic: {slack.render_text(channel.topic)})")
        out(slack.transcript(channel_id))
    for response in slack.responses:
        out(
            "\n=== only the declarer sees, in #general\n"
            + slack.render_text(str(response.get("text", "")))
        )
    for message in slack.history(channels[0]):
        for file in message.files:
            content = slack.files[file["id"]]["content"].decode()
            out(f"\n=== {file['name']}, the post-mortem draft posted in the channel ===")
            out(content)
    _print_statuspage(statuspage)


def _print_statuspage(statuspage: StatuspageEmulator) -> None:
    for incident in statuspage.incidents.values():
        out(
            f"\n=== Atlassian Statuspage (emulated): {incident['name']} "
            f"[{incident['status']}, impact {incident['impact']}]"
        )
        for update in reversed(incident["incident_updates"]):
            out(f"  {update['created_at'][11:16]} {update['status']:13} {update['body']}")
        states = ", ".join(f"{c['name']}: {c['status']}" for c in statuspage.components.values())
        out(f"  components now: {states}")
        if incident.get("postmortem_body"):
            out(f"  postmortem (published): {incident['postmortem_body']}")
