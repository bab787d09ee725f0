"""Timeline rows: typed facts stored as a kind and a JSON object, parsed back exactly once."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, assert_never

from sqlalchemy import bindparam, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain import entries as e
from bot.domain.components import ComponentStatus
from bot.domain.milestones import Milestone
from bot.domain.model import Role, Severity, Status
from storage.deferred import kept
from storage.driver import Statement, driver
from storage.models import TimelineEntry


def encode(fact: e.Fact) -> dict[str, Any]:
    """Return the JSON object a fact is stored as (the keys rows have always had)."""
    match fact:
        case e.Declared(severity=severity):
            return {"severity": severity.value}
        case e.Updated() | e.SummaryPublished():
            return {}
        case e.RoleAssigned(role=role, user=user, previous=previous):
            return {"role": role.value, "user": user, "previous": previous}
        case e.SeverityChanged(severity=severity, previous=previous):
            return {"severity": severity.value, "previous": previous.value}
        case e.StatusChanged(status=status, previous=previous):
            return {"status": status.value, "previous": previous.value}
        case e.Resolved(previous=previous, public=public):
            return {"status": Status.RESOLVED.value, "previous": previous.value, "public": public}
        case e.Canceled(previous=previous, public=public, closing=closing):
            return {"previous": previous.value, "public": public, "closing": closing}
        case e.Reopened(previous=previous, public=public):
            return {"previous": previous.value, "public": public}
        case e.Pinned(pinned_by=pinned_by, channel=channel, permalink=permalink):
            return {"pinned_by": pinned_by, "channel": channel, "permalink": permalink}
        case e.ImpactSet(components=components, status=status):
            return {"components": list(components), "status": status.value}
        case e.PublicNameSet(previous=previous):
            return {"previous": previous}
        case e.MilestoneSet(milestone=milestone, to=to):
            return {"milestone": milestone.value, "at": to.isoformat()}
        case e.ActionAdded(number=number, owner=owner):
            return {"number": number, "owner": owner, "verb": "added"}
        case e.ActionCompleted(number=number):
            return {"number": number, "verb": "completed"}
        case e.ActionChanged(number=number, field=field, value=value):
            return {"number": number, "verb": "changed", "field": field, "value": value}
        case e.CadenceSet(cadence=cadence):
            return {"seconds": int(cadence.total_seconds()) if cadence else None}
        case e.ReviewOwnerSet(user=user):
            return {"set": "owner", "user": user}
        case e.ReviewStatusSet(status=status):
            return {"set": "status", "status": status.value}
        case e.ReviewDateSet(on=on):
            return {"set": "date", "on": on.isoformat() if on else None}
        case e.Paged(service=service, automatic=automatic):
            return {"service": service, "automatic": automatic}
        case e.AlertNoted(source=source, key=key, firing=firing, url=url):
            return {"source": source, "key": key, "firing": firing, "url": url}
        case e.RespondersInvited(severity, groups, users, refused, unread, already):
            return {
                "severity": severity.value,
                "groups": list(groups),
                "users": list(users),
                "refused": [list(pair) for pair in refused],
                "unread": [list(pair) for pair in unread],
                "already": list(already),
            }
        case _:
            assert_never(fact)


def decode(kind: e.EntryKind, data: dict[str, Any]) -> e.Fact:
    """Return the fact a stored row records."""
    match kind:
        case e.EntryKind.DECLARED:
            return e.Declared(Severity(data["severity"]))
        case e.EntryKind.UPDATE:
            return e.Updated()
        case e.EntryKind.ROLE:
            return e.RoleAssigned(Role(data["role"]), data["user"], data.get("previous"))
        case e.EntryKind.SEVERITY:
            return e.SeverityChanged(Severity(data["severity"]), Severity(data["previous"]))
        case e.EntryKind.STATUS:
            return e.StatusChanged(Status(data["status"]), Status(data["previous"]))
        case e.EntryKind.RESOLVED:
            return e.Resolved(Status(data["previous"]), bool(data.get("public")))
        case e.EntryKind.CANCELED:
            previous = Status(data["previous"])
            return e.Canceled(previous, bool(data.get("public")), str(data.get("closing") or ""))
        case e.EntryKind.REOPENED:
            return e.Reopened(Status(data["previous"]), bool(data.get("public")))
        case e.EntryKind.PINNED:
            return e.Pinned(
                str(data.get("pinned_by") or ""), data.get("channel"), data.get("permalink")
            )
        case e.EntryKind.IMPACT:
            return e.ImpactSet(tuple(data["components"]), ComponentStatus(data["status"]))
        case e.EntryKind.PUBLIC_NAME:
            return e.PublicNameSet(data.get("previous"))
        case e.EntryKind.MILESTONE:
            return e.MilestoneSet(Milestone(data["milestone"]), datetime.fromisoformat(data["at"]))
        case e.EntryKind.ACTION if data.get("verb") == "completed":
            return e.ActionCompleted(int(data["number"]))
        case e.EntryKind.ACTION if data.get("verb") == "changed":
            return e.ActionChanged(int(data["number"]), data["field"], data.get("value") or "")
        case e.EntryKind.ACTION:
            return e.ActionAdded(int(data["number"]), data.get("owner"))
        case e.EntryKind.POSTMORTEM:
            return e.SummaryPublished()
        case e.EntryKind.CADENCE:
            seconds = data.get("seconds")
            return e.CadenceSet(timedelta(seconds=seconds) if seconds is not None else None)
        case e.EntryKind.REVIEW:
            return _review(data)
        case e.EntryKind.PAGE:
            return e.Paged(str(data["service"]), bool(data.get("automatic")))
        case e.EntryKind.ALERT:
            return e.AlertNoted(
                str(data["source"]), str(data["key"]), bool(data["firing"]), data.get("url")
            )
        case e.EntryKind.RESPONDERS:
            return e.RespondersInvited(
                Severity(data["severity"]),
                tuple(data.get("groups") or ()),
                tuple(data.get("users") or ()),
                tuple((str(u), str(why)) for u, why in data.get("refused") or ()),
                tuple((str(g), str(why)) for g, why in data.get("unread") or ()),
                tuple(data.get("already") or ()),
            )
        case _:
            assert_never(kind)


def _review(data: dict[str, Any]) -> e.Fact:
    """Return the post-mortem review fact a stored row records: its owner, status or date."""
    if data.get("set") == "owner":
        return e.ReviewOwnerSet(str(data["user"]))
    if data.get("set") == "status":
        return e.ReviewStatusSet(e.ReviewStatus(data["status"]))
    on = data.get("on")
    return e.ReviewDateSet(date.fromisoformat(on) if on else None)


def to_entry(row: TimelineEntry) -> e.Entry:
    """Return a timeline row as a domain entry."""
    assert row.id is not None
    fact = decode(e.EntryKind(row.kind), json.loads(row.data))
    return e.Entry(
        id=row.id,
        at=row.at,
        actor_id=row.actor_id,
        text="" if row.deleted else row.text,
        fact=fact,
        seq=row.seq,
        edited=row.edited_ts is not None,
        deleted=row.deleted,
    )


_ENTRIES = TimelineEntry.__table__  # type: ignore[attr-defined]
_ENTRY_COLUMNS = [column.name for column in _ENTRIES.columns if column.name != "id"]
_SET_POSTED = Statement(
    update(_ENTRIES).where(_ENTRIES.c.id == bindparam("e_id")).values(slack_ts=bindparam("e_ts"))
)
_INSERT_ENTRY = Statement(insert(_ENTRIES).returning(_ENTRIES.c.id), _ENTRY_COLUMNS)
_INSERT_NUMBERED = Statement(insert(_ENTRIES), ["id", *_ENTRY_COLUMNS])  # its ID taken ahead


async def add_entry(
    *,
    session: AsyncSession,
    incident_id: int,
    seq: int,
    at: datetime,
    actor_id: str,
    fact: e.Fact,
    text: str = "",
    source: tuple[str, str] | None = None,
) -> e.Entry:
    """Append an entry at place `seq` of the incident's order; `source` is (channel, ts)."""
    row: dict[str, object] = {
        "incident_id": incident_id,
        "seq": seq,
        "at": at,
        "actor_id": actor_id,
        "kind": fact.kind.value,
        "text": text,
        "data": json.dumps(encode(fact)),
        "source_channel": source[0] if source else None,
        "source_ts": source[1] if source else None,
        "edited_ts": None,
        "deleted": False,
        "slack_ts": None,
        "mirrored": False,
    }
    # Straight to the driver: one INSERT ... RETURNING on the hot path of every change, or
    # (in a batch) an ID taken ahead and the INSERT made with the batch's others.
    statements, later = await driver(session), kept(session)
    if later is None:
        new_id = await statements.scalar(_INSERT_ENTRY, row)
    else:
        new_id = await later.take_id(statements, _ENTRIES.name)
        later.insert(_INSERT_NUMBERED, [{"id": new_id, **row}])
    assert isinstance(new_id, int)
    return e.Entry(id=new_id, at=at, actor_id=actor_id, text=text, fact=fact, seq=seq)


async def has_entry_from(*, session: AsyncSession, incident_id: int, source_ts: str) -> bool:
    """Return whether a Slack message is already on the incident's timeline."""
    query = select(TimelineEntry.id).where(
        TimelineEntry.incident_id == incident_id, TimelineEntry.source_ts == source_ts
    )
    return (await session.exec(query)).first() is not None


async def list_entries(*, session: AsyncSession, incident_id: int) -> list[e.Entry]:
    """Return the incident's timeline in its one order (the order the channel shows)."""
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id)
        .order_by(col(TimelineEntry.seq))
    )
    return [to_entry(row) for row in (await session.exec(query)).all()]


async def has_public_entry(*, session: AsyncSession, incident_id: int) -> bool:
    """Return whether the incident has published anything (a status or an impact change)."""
    query = select(TimelineEntry.id).where(
        TimelineEntry.incident_id == incident_id,
        col(TimelineEntry.kind).in_([kind.value for kind in e.ALWAYS_PUBLIC]),
    )
    return (await session.exec(query.limit(1))).first() is not None


async def get_entry(*, session: AsyncSession, entry_id: int) -> e.Entry | None:
    """Return one timeline entry."""
    row = await session.get(TimelineEntry, entry_id)
    return to_entry(row) if row is not None else None


async def posted_ts(*, session: AsyncSession, entry_id: int) -> str | None:
    """Return the Slack ts the entry was posted at, if it was."""
    row = await session.get(TimelineEntry, entry_id)
    return row.slack_ts if row is not None else None


async def is_mirrored(*, session: AsyncSession, entry_id: int) -> bool:
    """Return whether Atlassian Statuspage confirmed this entry."""
    row = await session.get(TimelineEntry, entry_id)
    return row is not None and row.mirrored


async def set_mirrored(*, session: AsyncSession, entry_id: int) -> None:
    """Record that Atlassian Statuspage confirmed this entry."""
    row = await session.get(TimelineEntry, entry_id)
    assert row is not None
    row.mirrored = True
    session.add(row)


async def set_posted(*, session: AsyncSession, entry_id: int, ts: str) -> None:
    """Remember where the entry was posted in Slack (once per update: straight to the driver)."""
    await (await driver(session)).execute(_SET_POSTED, {"e_id": entry_id, "e_ts": ts})


async def last_text(*, session: AsyncSession, incident_id: int) -> str | None:
    """Return the newest update, status message or resolve message people wrote."""
    query = (
        select(TimelineEntry.text)
        .where(
            TimelineEntry.incident_id == incident_id,
            col(TimelineEntry.kind).in_([kind.value for kind in e.NEWS]),
            TimelineEntry.text != "",
            col(TimelineEntry.deleted).is_(False),
        )
        .order_by(col(TimelineEntry.seq).desc())
        .limit(1)
    )
    return (await session.exec(query)).first() or None


async def last_news(*, session: AsyncSession, incident_id: int, limit: int) -> list[e.Entry]:
    """Return the newest updates, status and resolve messages with text, oldest first."""
    query = (
        select(TimelineEntry)
        .where(
            TimelineEntry.incident_id == incident_id,
            col(TimelineEntry.kind).in_([kind.value for kind in e.NEWS]),
            TimelineEntry.text != "",
            col(TimelineEntry.deleted).is_(False),
        )
        .order_by(col(TimelineEntry.seq).desc())
        .limit(limit)
    )
    return [to_entry(row) for row in reversed((await session.exec(query)).all())]


def _kept(source: tuple[str, str]) -> Any:
    channel, ts = source
    return select(TimelineEntry).where(
        TimelineEntry.source_channel == channel, TimelineEntry.source_ts == ts
    )


async def is_kept(*, session: AsyncSession, source: tuple[str, str]) -> bool:
    """Return whether a Slack message (channel, ts) is on any incident's timeline."""
    return (await session.exec(_kept(source).limit(1))).first() is not None


async def apply_edit(
    *, session: AsyncSession, source: tuple[str, str], text: str, edited_ts: str
) -> list[tuple[int, int]]:
    """Give kept copies of a message its edited text, unless deleted or already newer.

    Slack may deliver edits late, twice or out of order: only a newer edit wins, and a
    deletion is final. Return the (incident id, entry id) of each entry that changed.
    """
    changed = []
    # Locked: two edits handled at once must compare against each other, not a stale read.
    for row in (await session.exec(_kept(source).with_for_update())).all():
        newer = row.edited_ts is None or Decimal(edited_ts) > Decimal(row.edited_ts)
        if row.deleted or not newer:
            continue
        row.text, row.edited_ts = text, edited_ts
        session.add(row)
        changed.append((row.incident_id, row.id or 0))
    return changed


async def apply_delete(*, session: AsyncSession, source: tuple[str, str]) -> list[tuple[int, int]]:
    """Mark kept copies of a message deleted by its author; its text leaves every document."""
    changed = []
    for row in (await session.exec(_kept(source).with_for_update())).all():
        if row.deleted:
            continue
        row.deleted, row.text = True, ""
        session.add(row)
        changed.append((row.incident_id, row.id or 0))
    return changed
