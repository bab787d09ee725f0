"""Reading what people see in Slack and on Statuspage, and checking it against the database:
every owed delivery made exactly once, in order, everywhere."""

from __future__ import annotations

import json
import re
from collections import Counter

from bot.domain.public import public_updates
from sandbox.slack_emulator import EmMessage, SlackEmulator
from sandbox.statuspage_emulator import StatuspageEmulator
from storage.models import Incident, OutboxRow, TimelineEntry
from storage.timeline import to_entry
from tests.conftest import ANNOUNCE
from tests.reliability.store import Store


def incident_channel(slack: SlackEmulator, number: int) -> str | None:
    """Return the ID of the one channel the bot created for INC-<number>, or None."""
    found = incident_channels(slack, number)
    assert len(found) <= 1, f"INC-{number} has {len(found)} channels"
    return found[0] if found else None


def incident_channels(slack: SlackEmulator, number: int) -> list[str]:
    """Return the IDs of every channel the bot created for INC-<number>."""
    pattern = re.compile(rf"inc-{number}(-.*)?")
    return [
        c.id
        for c in slack.channels.values()
        if c.creator == slack.bot_user_id and not c.is_im and pattern.fullmatch(c.name)
    ]


def channel_texts(slack: SlackEmulator, channel: str) -> list[str]:
    """Return a channel's messages as people read them, oldest first."""
    return [slack.render_text(m.text) for m in slack.history(channel)]


def headlines(slack: SlackEmulator) -> list[EmMessage]:
    """Return the top-level messages of the stakeholders' channel: one headline per incident."""
    return [m for m in slack.history(ANNOUNCE) if m.thread_ts in (None, m.ts)]


def stamp_of(message: EmMessage) -> int | None:
    """Return the outbox row a bot message was posted for (its metadata stamp), if any."""
    payload = (message.metadata or {}).get("event_payload") or {}
    row = payload.get("outbox")
    return int(row) if row is not None else None


def post_of(message: EmMessage) -> tuple[int, str] | None:
    """Return the (outbox row, part) a bot message was posted for: one row may post two parts
    (a thread reply that first had to post its headline)."""
    row = stamp_of(message)
    part = str(((message.metadata or {}).get("event_payload") or {}).get("part") or "")
    return (row, part) if row is not None else None


def _is_top_level(message: EmMessage) -> bool:
    return message.thread_ts in (None, message.ts)


async def assert_delivered_once(
    slack: SlackEmulator, statuspage: StatuspageEmulator, store: Store
) -> None:
    """Check that every owed delivery happened, exactly once, in order, everywhere.

    - the outbox has no pending and no dead row;
    - no outbox row's message was posted twice (by its metadata stamp);
    - each incident has one channel (the recorded one), its declarer in it, one pinned summary;
    - each timeline entry but the declaration is in the channel once, in timeline order;
    - each incident has one headline in the announcements channel (its recorded one), each
      announcement row is a reply in that headline's thread once, and nothing else is there;
    - each notice row is in the channel once; one post-mortem file per upload row;
    - Statuspage holds one incident per public incident, with each public message once.
    """
    rows = await store.outbox()
    assert [(r.id, r.kind, r.status, r.last_error) for r in rows if r.status != "done"] == []
    bot_messages = [m for m in slack.messages if m.user == slack.bot_user_id]
    stamps = Counter(post for m in bot_messages if (post := post_of(m)) is not None)
    assert {post: n for post, n in stamps.items() if n > 1} == {}, "a post was doubled"
    posted_for = {stamp_of(m): m for m in bot_messages if post_of(m) and not post_of(m)[1]}
    announced: list[int] = []
    headlines: list[str] = []
    for incident in await store.incidents():
        ref = f"INC-{incident.number}"
        assert incident_channels(slack, incident.number) == [incident.channel_id], ref
        assert incident.channel_id is not None
        channel = slack.channels[incident.channel_id]
        assert incident.declared_by in channel.members, ref
        assert slack.pins.get(channel.id) == [incident.summary_ts], ref
        mine = [r for r in rows if r.incident_id == incident.id]
        summary_rows = {r.id for r in mine if r.kind == "summary.refresh"}
        summaries = [m.ts for m in slack.history(channel.id) if stamp_of(m) in summary_rows]
        assert summaries == [incident.summary_ts], f"{ref} summary"
        entries = await store.timeline(incident.id)
        entry_row = {
            json.loads(r.payload)["entry_id"]: r.id for r in mine if r.kind == "entry.post"
        }
        shown = [m for m in slack.history(channel.id) if stamp_of(m) in set(entry_row.values())]
        row_entry = {row: entry for entry, row in entry_row.items()}
        expected = [e.id for e in entries if e.kind != "declared"]
        assert [row_entry[stamp_of(m)] for m in shown] == expected, f"{ref} channel"
        assert [e.slack_ts for e in entries if e.kind != "declared"] == [m.ts for m in shown]
        for row in mine:
            if row.kind == "notice":
                assert posted_for.get(row.id) is not None, f"{ref} notice {row.id} missing"
                assert posted_for[row.id].channel == channel.id
            if row.kind == "announce":
                announced.append(row.id)
                reply = posted_for.get(row.id)
                assert reply is not None, f"{ref} announcement {row.id} missing"
                assert reply.thread_ts == incident.headline_ts, f"{ref} reply outside its thread"
        if incident.headline_ts is not None:
            headlines.append(incident.headline_ts)
        uploads = [r for r in mine if r.kind == "postmortem.upload"]
        files = [m for m in slack.history(channel.id) if m.files]
        assert len(files) == len(uploads), f"{ref} post-mortem files"
        _assert_statuspage_once(statuspage, incident, entries, mine)
    stakeholders = slack.history(ANNOUNCE)
    tops = [m.ts for m in stakeholders if _is_top_level(m)]
    assert sorted(tops) == sorted(headlines), "one headline per incident, nothing else on top"
    replies = Counter(stamp_of(m) for m in stakeholders if not _is_top_level(m))
    assert replies == Counter(announced), "announcements"


def _assert_statuspage_once(
    statuspage: StatuspageEmulator,
    incident: Incident,
    entries: list[TimelineEntry],
    rows: list[OutboxRow],
) -> None:
    ref = f"INC-{incident.number}"
    remote = [
        i
        for i in statuspage.incidents.values()
        if ((i.get("metadata") or {}).get("warroom") or {}).get("uid") == incident.uid
    ]
    synced = [
        json.loads(r.payload)["entry_id"]
        for r in rows
        if r.kind == "incident.sync" and json.loads(r.payload).get("entry_id") is not None
    ]
    if not synced:
        assert remote == [], f"{ref} is not public but is on Statuspage"
        return
    assert len(remote) == 1, f"{ref} has {len(remote)} Statuspage incidents"
    assert remote[0]["id"] == incident.statuspage_id
    public = {u.id: u.text for u in public_updates([to_entry(e) for e in entries])}
    expected = [public[entry_id] for entry_id in synced]
    bodies = [u["body"] for u in reversed(remote[0]["incident_updates"])]
    assert bodies == expected, f"{ref} Statuspage updates"
