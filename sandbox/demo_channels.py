"""What `warroom demo` prints after the story: the channels, the post-mortem, and Statuspage."""

from __future__ import annotations

import re

from sandbox.demo_crowd import CROWD_NOTE, fold_crowd
from sandbox.demo_print import out, published_summary
from sandbox.slack_emulator import SlackEmulator
from sandbox.statuspage_emulator import StatuspageEmulator

MORE = "    "  # a message's further lines, under its first
NOTICE = ":globe_with_meridians: Published on "
_LINK = re.compile(r" \((https?://[^\s()]+)\)")
TIMELINE = "## Timeline"
_STAMP = re.compile(r"\[\d\d:\d\d\] ")  # when a message was posted: all within the minute
_ARCHIVES = re.compile(r" \(https://[^\s()]+/archives/[^\s()]+\)")  # a message's permalink
ECHOES = "each change above as everyone saw it (what it added under its command)"


class Watch:
    """What a channel got since the last look: printed under the action that caused it."""

    def __init__(self, slack: SlackEmulator, channel_id: str) -> None:
        self.slack, self.channel_id = slack, channel_id
        self.looked: set[str] = set()  # the messages already looked at, by ts
        self.linked: set[str] = set()  # the links a "Published on" notice already gave
        self.said: set[str] = set()  # what was printed, links left out: printed once

    def news(self, *, echo: bool) -> list[str]:
        """Return what warroom's messages added since the last look, each line once.

        A new message whole, but for the first with `echo` (the change's own message, which its
        author was told of): its notices, links and buttons; an edited one, what the edit added.
        """
        mine = self.slack.bot_user_id  # people's own messages: the story tells of them
        lines: list[str] = []
        for message in self.slack.history(self.channel_id):
            if message.user != mine or CROWD_NOTE in message.text:
                continue
            new = message.ts not in self.looked
            self.looked.add(message.ts)
            head, *more = self.slack.render_message(message).splitlines()
            head = _ARCHIVES.sub("", _STAMP.sub("", head, count=1))
            added = [line for line in more if not line.startswith(">")]
            if head.startswith("📌 "):  # the summary, edited with each change: once
                told = [
                    f"{head} (its pinned live summary: {len(more)} more lines, kept up to date)"
                ]
                lines.extend(self._once(told if new else []))
            elif new and not echo:
                self.said.update(_plain(line) for line in added)
                lines.extend(self._once([" ".join([head, *(_quoted(x) for x in more)])]))
            else:
                lines.extend(self._once(added))
            echo = echo and not new
        return lines

    def _once(self, lines: list[str]) -> list[str]:
        """Return those of the lines not printed before, to print under what caused them."""
        fresh = [line for line in lines if _plain(line) not in self.said]
        self.said.update(_plain(line) for line in fresh)
        return ["in the channel: " + _link_once(line, self.linked) for line in fresh]


def _plain(line: str) -> str:
    """Return the line without its links or edit mark: what makes it news."""
    return _LINK.sub("", line).removesuffix(" (edited)")


def _quoted(line: str) -> str:
    return f"“{line[1:]}”" if line.startswith(">") else line


def print_channels(
    slack: SlackEmulator,
    statuspage: StatuspageEmulator,
    channels: tuple[str, ...],
    *,
    full: bool,
    published: str | None,
) -> None:
    """Print each channel as its members read it, then its post-mortem and Statuspage's copy.

    Unless `full`, the incident's channel is one line: the story printed what each change added.
    """
    linked: set[str] = set()
    for channel_id in channels:
        if full or channel_id == channels[0]:  # else under the one line that the first is
            out()
        channel = slack.channels[channel_id]
        topic = slack.render_text(channel.topic)
        heading = f"=== #{channel.name}" + (f" (topic: {topic})" if topic else "")
        paragraphs = slack.transcript(channel_id).split("\n\n")  # a paragraph per message
        if not full and channel_id == channels[0]:
            out(f"{heading}: {len(paragraphs)} messages, {ECHOES}; --full prints them")
            continue
        out(heading)
        for message in paragraphs if full else _fold_thread(paragraphs):
            out(("\n" + MORE).join(_link_once(line, linked) for line in message.splitlines()))
    for posted in slack.history(channels[0]):
        for file in posted.files:
            content = slack.files[file["id"]]["content"].decode()
            print_postmortem(str(file["name"]), content, full=full)
    _print_statuspage(statuspage, published, full=full)


def _fold_thread(paragraphs: list[str]) -> list[str]:
    """Keep a thread's first reply, and count the others in one line."""
    replies = [i for i, paragraph in enumerate(paragraphs) if paragraph.startswith("↳ ")]
    if len(replies) < 2:
        return paragraphs
    kept = [p for i, p in enumerate(paragraphs) if i not in replies[1:]]
    told = f"(… and {len(replies) - 1} more replies in its thread, a change each; --full prints"
    kept.insert(replies[0] + 1, told + " them)")
    return kept


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
        updates = list(reversed(incident["incident_updates"]))
        if not full:  # their words are the commands' above
            said = ", ".join(u["status"] for u in updates)
            out(f"  its updates: {said}, each in the words of its command above")
        for update in updates if full else []:
            out(f"  {update['created_at'][11:16]} {update['status']:13} {update['body']}")
        states = ", ".join(f"{c['name']}: {c['status']}" for c in statuspage.components.values())
        summary = ""
        if incident.get("postmortem_body"):
            body = incident["postmortem_body"]
            told = published_summary(body, published, full=full, indent="    ")
            summary = ("\n  " if full else "; ") + f"postmortem (published):{told}"
        out(f"  components now: {states}{summary}")
