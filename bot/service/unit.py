"""The unit of work: the incident locked, entries recorded, deliveries owed, one commit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.cadence import next_due
from bot.domain.deliveries import DeliveryKind, Owed, Payload
from bot.domain.entries import Entry, Fact, ImpactSet, is_public
from bot.domain.errors import (
    AlreadyDone,
    IncidentClosed,
    IncidentNotFound,
    NotAllowed,
    NotAnIncidentChannel,
    PrivateIncident,
)
from bot.domain.model import IncidentState, Role, Status
from bot.logs import current_incident
from bot.service.context import Caller, Context
from storage import incidents as q
from storage.counters import PUBLIC_VERSION, bump_counter
from storage.group_commit import LEARNED
from storage.incidents import cadence_of
from storage.members import add_members
from storage.models import Incident
from storage.once import claim_once
from storage.outbox import enqueue_all
from storage.roles import current_roles
from storage.timeline import add_entry

_STAKEHOLDERS = frozenset({DeliveryKind.ANNOUNCE, DeliveryKind.HEADLINE_REFRESH})


@dataclass
class Work:
    """One change in progress; `change()` commits it, with everything it owes, or nothing."""

    ctx: Context
    session: AsyncSession
    incident: Incident
    now: datetime
    owed: list[Owed] = field(default_factory=list)
    # A detached incident (change()): its columns as last written, and written by flush().
    saved: dict[str, object] | None = None
    published: bool = False  # public data changed: the page rebuilds once this commits

    @property
    def ref(self) -> str:
        """Return the locked incident's reference, `INC-7`."""
        return f"INC-{self.incident.number}"

    @property
    def incident_id(self) -> int:
        """Return the locked incident's database ID."""
        assert self.incident.id is not None
        return self.incident.id

    async def record(
        self,
        actor_id: str,
        fact: Fact,
        text: str = "",
        *,
        at: datetime | None = None,
        source: tuple[str, str] | None = None,
    ) -> Entry:
        """Append a timeline entry at the incident's next place; a public one is owed to the
        status pages. `source` is the (channel, ts) of a Slack message added to the timeline."""
        if source is None:  # a captured message is no change to the incident itself
            self.incident.updated_at = self.now
        # The incident row is locked: the next place is ours, in commit order on every replica.
        self.incident.entry_count += 1
        entry = await add_entry(
            session=self.session,
            incident_id=self.incident_id,
            seq=self.incident.entry_count,
            at=at or self.now,
            actor_id=actor_id,
            fact=fact,
            text=text,
            source=source,
        )
        if self.incident.private:
            pass  # a private incident's entries never reach a public surface
        elif isinstance(fact, ImpactSet):  # shown at once; on Statuspage with the next message
            await self.publish(None)
        elif is_public(entry):
            await self.publish(DeliveryKind.INCIDENT_SYNC, entry_id=entry.id)
            # News for subscribers: one fan-out row, whatever their number.
            self.owed.append(Owed(DeliveryKind.SUBSCRIBERS_FANOUT, Payload(entry_id=entry.id)))
        return entry

    def owe(self, *kinds: DeliveryKind, payload: Payload | None = None) -> None:
        """Owe deliveries; announcements only where an announcements channel is set, and
        never of a private incident (its notice only where PRIVATE_ANNOUNCE_CHANNEL is set)."""
        for kind in kinds:
            if kind in _STAKEHOLDERS and (not self.ctx.announce or self.incident.private):
                continue
            if kind is DeliveryKind.PRIVATE_NOTICE and not self.ctx.private_announce:
                continue
            self.owed.append(Owed(kind, payload or Payload()))
            if kind is DeliveryKind.SUMMARY_REFRESH and self.ctx.announce and not self.private:
                # The stakeholders' headline shows the same state as the pinned summary.
                self.owed.append(Owed(DeliveryKind.HEADLINE_REFRESH))

    def post(self, entry: Entry, *also: DeliveryKind) -> None:
        """Owe the entry's post in the incident channel, then the other deliveries named."""
        self.owe(DeliveryKind.ENTRY_POST, payload=Payload(entry_id=entry.id))
        for kind in also:
            about_entry = kind is DeliveryKind.ANNOUNCE
            self.owe(kind, payload=Payload(entry_id=entry.id) if about_entry else None)

    async def publish(self, kind: DeliveryKind | None, *, entry_id: int | None = None) -> None:
        """Mark public data changed, and owe it to Atlassian Statuspage if configured."""
        if self.private:
            return  # nothing of a private incident is public
        await bump_counter(session=self.session, name=PUBLIC_VERSION)
        self.published = True
        if kind is not None and self.ctx.statuspage:
            self.owed.append(Owed(kind, Payload(entry_id=entry_id)))

    @property
    def private(self) -> bool:
        """Return whether the locked incident is private."""
        return self.incident.private

    def refuse_if_private(self, what: str) -> None:
        """Refuse to make anything of a private incident public."""
        if self.private:
            raise private_refusal(self.ref, what)

    async def invite(self, *user_ids: str) -> None:
        """Owe inviting people to the channel; in a private incident they become members."""
        if self.private:
            await add_members(
                session=self.session, incident_id=self.incident_id, user_ids=user_ids, now=self.now
            )
        self.owe(DeliveryKind.CHANNEL_INVITE, payload=Payload(users=user_ids))

    async def require_commander_or_responder(self, caller: Caller, what: str) -> None:
        """Refuse unless the caller is a responder or, checked under the lock, the commander."""
        if caller.responder is not False:
            return
        roles = await current_roles(session=self.session, incident_id=self.incident_id)
        if roles.get(Role.COMMANDER) != caller.user_id:
            raise not_allowed(what, self.ctx.responders_group or "")

    def set_cadence(self, cadence: timedelta | None, *, custom: bool) -> None:
        """Set how often updates are owed; the next is due a cadence after the last update."""
        self.incident.cadence_seconds = int(cadence.total_seconds()) if cadence else None
        self.incident.cadence_custom = custom
        self._reschedule()

    def updated(self) -> None:
        """Restart the update clock: stakeholders just heard something."""
        self.incident.last_update_at = self.now
        self._reschedule()

    def _reschedule(self) -> None:
        """Derive when the next update is due (and reminded) from the last one and the cadence."""
        incident = self.incident
        last = incident.last_update_at or incident.created_at
        due = next_due(last, cadence_of(incident)) if self._open else None
        incident.next_update_at = incident.remind_at = due

    @property
    def _open(self) -> bool:
        return Status(self.incident.status).is_open

    async def state(self, *, with_roles: bool = False) -> IncidentState:
        """Return the incident as it stands in this transaction."""
        return await q.incident_state(self.session, self.incident, with_roles=with_roles)

    async def flush(self) -> None:
        """Write the incident's changes (if detached) and the owed deliveries."""
        if self.saved is not None:
            self.saved = await q.save_changes(
                session=self.session, incident=self.incident, before=self.saved
            )
        owed, self.owed = _not_owed_yet(self.session, self.owed), []
        await enqueue_all(
            session=self.session, incident_id=self.incident.id, owed=owed, now=self.now
        )


def _not_owed_yet(session: AsyncSession, owed: list[Owed]) -> list[Owed]:
    """Drop the re-renders (supersedable kinds) already owed in this transaction.

    A crowd's updates to one incident share a transaction (group commit), and each owes the
    pinned summary's refresh. Rows written in one transaction appear to the relay together,
    and a re-render shows the incident as it stands when it is delivered, so the first one
    owed shows every change of the transaction: the rest would be superseded unread. What is
    owed is remembered with what the members learned under the lock, forgotten with it when
    a member is rolled back (its rows may be the ones remembered).
    """
    learned: dict[object, object] = session.info.setdefault(LEARNED, {})
    seen = learned.setdefault("owed re-renders", set())
    assert isinstance(seen, set)
    kept = []
    for each in owed:
        if each.kind.spec.supersedable:
            if each in seen:
                continue
            seen.add(each)
        kept.append(each)
    return kept


def private_refusal(ref: str, what: str) -> PrivateIncident:
    """Return the error that says a private incident publishes nothing."""
    return PrivateIncident(
        f"{ref} is a private incident, so I can't {what}: nothing of a private incident goes "
        "on the status pages, to subscribers or to the announcements channel.",
        hint="Declare a separate public incident for what customers should see.",
    )


def not_allowed(what: str, group: str) -> NotAllowed:
    """Return the error that says who may do `what`."""
    return NotAllowed(
        f"Only members of the responders group (`{group}`) or the incident commander may {what}.",
        hint="Ask one of them to do it, or to make you the commander.",
    )


@asynccontextmanager
async def change(
    ctx: Context,
    channel_id: str,
    *,
    closed_ok: bool = False,
    once_key: str | None = None,
    plain: bool = False,
) -> AsyncIterator[Work]:
    """Lock the channel's incident and yield the work; commit it all, then wake the relay.

    With `once_key` (a form submission), a second delivery of the same key changes nothing.
    `plain`: the change writes only through the Work's own methods whose writes can wait
    for the batch's (record, owe, post, updated; storage/deferred.py), as updates do.
    """
    # Changes to one incident that arrive together share a transaction (group commit). A
    # once-key is claimed at once (a second submission is refused at once): not plain.
    plain = plain and once_key is None
    async with ctx.db.write(batch=channel_id, plain=plain) as session:
        if once_key is not None and not await claim_once(
            session=session, key=once_key, now=ctx.clock()
        ):
            raise AlreadyDone("That form was already submitted.")
        incident = await incident_in(session, channel_id, for_update=True)
        if not closed_ok and not Status(incident.status).is_open:
            raise IncidentClosed(
                f"INC-{incident.number} is {incident.status} and takes no more changes.",
                hint="If it is not over, reopen it: `/incident reopen <reason>`; to follow up, "
                "declare a new incident: `/incident declare <title>`.",
            )
        work = Work(ctx, session, incident, ctx.clock(), saved=q.detach(session, incident))
        yield work
        await work.flush()
    ctx.on_commit()
    if work.published:
        ctx.on_public()


async def incident_in(
    session: AsyncSession, channel_id: str, *, for_update: bool = False
) -> Incident:
    """Return the channel's incident, or say this is no incident channel.

    Locked once per transaction: a change after the first in a group commit finds the row
    its batch already holds (and the incident as the members before it left it).
    """
    learned = session.info.setdefault(LEARNED, {}) if for_update else {}
    incident = learned.get(("incident", channel_id))
    if incident is None:
        incident = await q.get_incident_by_channel(
            session=session, channel_id=channel_id, for_update=for_update
        )
        if incident is not None and for_update:
            learned[("incident", channel_id)] = incident
    if incident is None:
        raise NotAnIncidentChannel(
            "This isn't an incident channel.",
            hint="Run this in the incident's channel (see `/incident list`), "
            "or declare one with `/incident declare <title>`.",
        )
    current_incident.set(f"INC-{incident.number}")
    return incident


async def incident_numbered(
    session: AsyncSession, number: int, *, viewer: str | None = None
) -> Incident:
    """Return INC-<number>, or say there is none; with `viewer`, only one they may see."""
    incident = await q.get_incident_by_number(session=session, number=number, viewer=viewer)
    if incident is None:
        raise IncidentNotFound(
            f"There is no INC-{number}.", hint="`/incident list` shows the open incidents."
        )
    return incident
