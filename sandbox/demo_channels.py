"""What `warroom demo` prints after the story: the channels, the post-mortem, and Statuspage."""

from __future__ import annotations

import re

from sandbox.demo_crowd import fold_crowd
from sandbox.demo_print import out, published_summary
from sandbox.slack_emulator import SlackEmulator
from sandbox.statuspage_emulator import StatuspageEmulator

MORE = "    "  # a message's further lines, under its first
NOTICE = ":globe_with_meridians: Published on "
_LINK = re.compile(r" \((https?://[^\s()]+)\)")
TIMELINE = "## Timeline"


def print_channels(
    slack: SlackEmulator,
    statuspage: StatuspageEmulator,
    channels: tuple[str, ...],
    *,
    full: bool,
    published: str | None,
) -> None:
    """Print each channel as its members read it, then its post-mortem and Statuspage's copy."""
    linked: set[str] = set()
    for channel_id in channels:
        channel = slack.channels[channel_id]
        topic = slack.render_text(channel.topic)
        out(f"\n=== #{channel.name}" + (f" (topic: {topic})" if topic else ""))
        paragraphs = slack.transcript(channel_id).split("\n\n")  # a paragraph per message
        for message in paragraphs if full else fold_crowd(paragraphs, "each its own message"):
            out(("\n" + MORE).join(_link_once(line, linked) for line in message.splitlines()))
    for posted in slack.history(channels[0]):
        for file in posted.files:
            content = slack.files[file["id"]]["content"].decode()
            print_postmortem(str(file["name"]), content, full=full)
    _print_statuspage(statuspage, published, full=full)


def _link_once(line: str, linked: set[str]) -> str:
    """Drop from a "Published on" notice each link that an earlier notice already gave."""
    if NOTICE not in line:
        return line

    def first_time(match: re.Match[str]) -> str:
        if match.group(1) in linked:
            return ""
        linked.add(match.group(1))
        return match.group(0)

    return _LINK.sub(first_time, line)


def print_postmortem(name: str, text: str, *, full: bool) -> None:
    """Print the post-mortem draft; unless `full`, its header and timeline only."""
    out(f"\n=== {name}, the post-mortem draft posted in the channel ===")
    if full:
        out(text)
        return
    sections: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.startswith("## "):
            sections.append([])
        if line:
            sections[-1].append(line)
    header, *rest = sections
    timeline = next((s for s in rest if s[0] == TIMELINE), [TIMELINE])
    out("\n".join(header + fold_crowd(timeline, "one entry each")))
    others = ", ".join(s[0].removeprefix("## ") for s in rest if s is not timeline)
    out(f"(--full prints its other sections too: {others})")


def _print_statuspage(statuspage: StatuspageEmulator, published: str | None, *, full: bool) -> None:
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
            body = incident["postmortem_body"]
            summary = published_summary(body, published, full=full, indent="    ")
            out(f"  postmortem (published):{summary}")
