"""Deliver Slack outbox rows: channel, invites, topic, pinned summary, posts, announcements."""

from __future__ import annotations

import dataclasses
import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.clock import Clock
from bot.domain.deliveries import Delivery, DeliveryKind, Destination
from bot.domain.entries import ActionAdded, Entry, RoleAssigned
from bot.domain.model import IncidentState, Role
from bot.domain.responders import call_link
from bot.publishers.base import DeliveryError, not_mine
from bot.publishers.pace import Busy
from bot.publishers.slack_archived import ARCHIVED, ArchivedChannel
from bot.publishers.slack_calls import SlackCalls, guarded
from bot.publishers.slack_channel import ChannelMaker
from bot.publishers.slack_overdue import Overdue
from bot.publishers.slack_postmortem import PostmortemUploader, canvas_failed
from bot.publishers.slack_responders import CallBookmark, Note, Responders
from bot.publishers.slack_stakeholders import Stakeholders
from bot.slack import channel as render
from bot.slack import direct
from bot.slack import summary as summaries
from bot.slack.direct import CatchUp
from bot.slack.private import private_notice
from storage import actions, timeline
from storage import incidents as q
from storage import postmortem as pm
from storage.db import Database

log = logging.getLogger(__name__)
K = DeliveryKind


class SlackPublisher:
    """Carries Slack rows out, re-rendering from current state so a retry is harmless."""

    kinds = frozenset(k for k in DeliveryKind if k.spec.destination is Destination.SLACK)

    def __init__(
        self,
        *,
        db: Database,
        client: AsyncWebClient,
        http: aiohttp.ClientSession,
        channel_prefix: str,
        announce_channel: str | None,
        private_announce_channel: str | None = None,
        status_page_url: str | None = None,
        display_timezone: str = "UTC",
        postmortem_canvas: bool = False,
        call_url: str | None = None,
        note_responders: Note,
        clock: Clock,
    ) -> None:
        self.db, self.client, self.http = db, client, http
        self.calls = SlackCalls(client)
        self.archived = ArchivedChannel(db=db, calls=self.calls, clock=clock)
        self.overdue = Overdue(db=db, calls=self.calls)
        self.channels = ChannelMaker(client, channel_prefix)
        self.responders = Responders(self.calls, note_responders)
        self.bookmark = CallBookmark(self.calls)
        self.call_url = call_url  # INCIDENT_CALL_URL's template
        self.postmortems = PostmortemUploader(
            db=db,
            calls=self.calls,
            zone=display_timezone,
            canvas=postmortem_canvas,
            clock=clock,
            status_page_url=status_page_url,
        )
        self.status_page_url = status_page_url
        self.private_announce = private_announce_channel
        self.stakeholders = (
            Stakeholders(
                db=db,
                calls=self.calls,
                channel=announce_channel.lstrip("#"),
                public_url=status_page_url,
            )
            if announce_channel
            else None
        )

    async def deliver(self, delivery: Delivery) -> None:
        """Carry out one Slack row."""
        if delivery.incident_id is None:
            raise DeliveryError(f"{delivery.kind} without an incident", permanent=True)
        state = await self._state(delivery.incident_id, roles=delivery.kind.spec.needs_roles)
        if delivery.kind is not K.CHANNEL_CREATE and state.channel_id is None:
            raise DeliveryError("the incident channel does not exist yet")
        await guarded(self._dispatch(state, delivery))

    async def _dispatch(self, state: IncidentState, delivery: Delivery) -> None:
        channel = state.channel_id or ""
        match delivery.kind:
            case K.CHANNEL_CREATE:
                await self._create_channel(state)
            case K.CHANNEL_INVITE:
                await self._invite(channel, delivery)
            case K.CHANNEL_TOPIC:
                await self._topic(state)
            case K.SUMMARY_REFRESH:
                await self._summary(state, delivery)
            case K.ENTRY_POST:
                await self._post_entry(state, delivery)
            case K.ANNOUNCE | K.HEADLINE_REFRESH | K.PRIVATE_NOTICE:
                await self._announce(state, delivery)
            case K.USER_NOTIFY:
                await self._notify(state, delivery)
            case K.NOTICE:
                await self.calls.post_once(channel, delivery, text=delivery.payload.text or "")
            case K.POSTMORTEM_UPLOAD:
                await self.postmortems.upload(state, delivery)
            case K.POSTMORTEM_CANVAS:
                await self.postmortems.make_canvas(state)
            case K.UPDATE_REMINDER:
                await self._remind(state, delivery)
            case K.ROLE_NOTIFY:
                await self._role_message(state, delivery)
            case K.ENTRY_REFRESH:
                await self._refresh_entry(state, delivery)
            case K.ARCHIVED_NOTICE:
                await self.archived.notice(state, delivery)
            case K.ACTION_OVERDUE:
                await self.overdue.remind(state, delivery)
            case K.RESPONDERS_INVITE:
                await self.responders.invite(state, delivery)
            case K.CALL_BOOKMARK:
                await self.bookmark.add(state, delivery)
            case _:  # the relay hands each deliverer its destination's kinds only
                raise not_mine(delivery)

    async def _announce(self, state: IncidentState, delivery: Delivery) -> None:
        """Tell the stakeholders' channel; of a private incident, only that one was declared,
        in PRIVATE_ANNOUNCE_CHANNEL (if set)."""
        if delivery.kind is K.PRIVATE_NOTICE:
            if self.private_announce is not None:
                text = private_notice(state)
                await self.calls.post_once(self.private_announce, delivery, text=text)
        elif self.stakeholders is not None and not state.private:
            if delivery.kind is K.ANNOUNCE:
                await self.stakeholders.reply(state, delivery)
            else:
                await self.stakeholders.refresh(state, delivery)

    async def _invite(self, channel: str, delivery: Delivery) -> None:
        users = ",".join(delivery.payload.users)
        await self.calls.joined(
            channel, lambda: self.client.conversations_invite(channel=channel, users=users)
        )

    async def _topic(self, state: IncidentState) -> None:
        channel = state.channel_id or ""
        topic = summaries.topic(state)
        await self.calls.joined(
            channel, lambda: self.client.conversations_setTopic(channel=channel, topic=topic)
        )

    async def report_failure(self, delivery: Delivery, error: str, *, dead: bool) -> None:
        """Say in the incident channel (or to the declarer) what could not be delivered."""
        if delivery.incident_id is None or not dead:
            return  # a first Slack failure is retried; telling Slack about it would fail too
        if error == ARCHIVED and delivery.kind is not K.CHANNEL_CREATE:
            await self.archived.failed(delivery)
            return
        state = await self._state(delivery.incident_id, roles=False)
        text = (
            f":warning: I could not {delivery.kind.spec.what} for {state.ref}"
            f" (Slack said: `{error}`). An operator can retry with `warroom outbox retry`."
        )
        if delivery.kind is K.POSTMORTEM_CANVAS:
            text = canvas_failed(state.ref, error)
        targets = [state.channel_id, state.declared_by]  # the channel may be archived: DM too
        if delivery.kind is K.CHANNEL_CREATE:
            targets = [state.declared_by]
        for target in filter(None, targets):
            try:
                await self.client.chat_postMessage(channel=target, text=text)
                return
            except (SlackApiError, aiohttp.ClientError, TimeoutError, Busy) as failure:
                log.warning(
                    "could not report dead delivery %s to %s: %s",
                    delivery.id,
                    target,
                    type(failure).__name__,
                )

    async def _state(self, incident_id: int, *, roles: bool) -> IncidentState:
        async with self.db.read() as session:
            state = await q.load_state(session=session, incident_id=incident_id, with_roles=roles)
        if state is None:
            raise DeliveryError(f"incident {incident_id} is gone", permanent=True)
        return dataclasses.replace(state, call_url=call_link(self.call_url, state.number))

    async def _create_channel(self, state: IncidentState) -> None:
        if state.channel_id is not None:
            return
        channel = await self.channels.create(state)
        async with self.db.write(background=True) as session:
            await q.set_channel(
                session=session,
                incident_id=state.id,
                channel_id=channel["id"],
                name=channel["name"],
            )

    async def _summary(self, state: IncidentState, delivery: Delivery) -> None:
        text, blocks = summaries.summary(state)
        channel = state.channel_id or ""
        async with self.db.read() as session:
            pinned = await q.summary_ts(session=session, incident_id=state.id)
        if pinned is not None:
            await self.client.chat_update(channel=channel, ts=pinned, text=text, blocks=blocks)
            if delivery.retrying:  # an earlier try may have stopped between posting and pinning
                await self._pin(channel, pinned)
            return
        ts = await self.calls.post_once(channel, delivery, text=text, blocks=blocks)
        async with self.db.write(background=True) as session:
            await q.set_summary_ts(session=session, incident_id=state.id, ts=ts)
        await self._pin(channel, ts)

    async def _pin(self, channel: str, ts: str) -> None:
        """Pin a message; already pinned is pinned."""
        await self.calls.joined(
            channel, lambda: self.client.pins_add(channel=channel, timestamp=ts)
        )

    async def _post_entry(self, state: IncidentState, delivery: Delivery) -> None:
        entry_id = delivery.payload.entry_id
        assert entry_id is not None
        async with self.db.read() as session:
            entry = await timeline.get_entry(session=session, entry_id=entry_id)
            posted = await timeline.posted_ts(session=session, entry_id=entry_id)
            ticket = await self._ticket(session, state, entry)
        if entry is None or posted is not None:
            return
        text = render.entry(state, entry, public_url=self.status_page_url, ticket=ticket)
        ts = await self.calls.post_once(state.channel_id or "", delivery, text=text)
        async with self.db.write(background=True) as session:
            await timeline.set_posted(session=session, entry_id=entry_id, ts=ts)

    async def _refresh_entry(self, state: IncidentState, delivery: Delivery) -> None:
        entry_id = delivery.payload.entry_id or 0
        async with self.db.read() as session:
            entry = await timeline.get_entry(session=session, entry_id=entry_id)
            posted = await timeline.posted_ts(session=session, entry_id=entry_id)
            mirrored = await timeline.is_mirrored(session=session, entry_id=entry_id)
            ticket = await self._ticket(session, state, entry)
        if entry is None or posted is None:
            return  # never posted (its post died): nothing to edit
        text = render.entry(
            state, entry, public_url=self.status_page_url, mirrored=mirrored, ticket=ticket
        )
        channel = state.channel_id or ""
        await self.client.chat_update(channel=channel, ts=posted, text=text)

    @staticmethod
    async def _ticket(
        session: AsyncSession, state: IncidentState, item: Entry | None
    ) -> str | None:
        """Return the ticket link of the action an entry added, if it has one yet."""
        if item is None or not isinstance(item.fact, ActionAdded):
            return None
        number = item.fact.number
        return await actions.ticket_of(session=session, incident_id=state.id, number=number)

    async def _role_message(self, state: IncidentState, delivery: Delivery) -> None:
        async with self.db.read() as session:
            entry = await timeline.get_entry(
                session=session, entry_id=delivery.payload.entry_id or 0
            )
            if entry is None or not isinstance(entry.fact, RoleAssigned):
                return
            catch_up = None
            if entry.fact.role is Role.COMMANDER and entry.fact.previous is not None:
                news = await timeline.last_news(session=session, incident_id=state.id, limit=3)
                actions = await pm.open_actions(session=session, incident_id=state.id)
                catch_up = CatchUp(news, actions)
        text = direct.role_message(state, entry.fact.role, entry.actor_id, catch_up)
        await self.calls.post_once(entry.fact.user, delivery, text=text)

    async def _remind(self, state: IncidentState, delivery: Delivery) -> None:
        if state.next_update_at is None or state.cadence is None:
            return  # resolved, or reminders turned off since it fell due
        if state.last_update_at is not None and state.last_update_at > delivery.created_at:
            return  # an update came in since: nothing is due any more
        text, blocks = render.reminder(state, due_at=delivery.created_at)
        await self.calls.post_once(state.channel_id or "", delivery, text=text, blocks=blocks)

    async def _notify(self, state: IncidentState, delivery: Delivery) -> None:
        user, url = delivery.payload.user or state.declared_by, delivery.payload.response_url
        text = render.declared_notice(state)
        if not url:
            await self.client.chat_postMessage(channel=user, text=text)
            return
        body = {"response_type": "ephemeral", "replace_original": False, "text": text}
        async with self.http.post(url, json=body, timeout=aiohttp.ClientTimeout(total=10)) as res:
            if res.status == 404:  # response URLs expire after 30 minutes: fall back to a DM
                await self.client.chat_postMessage(channel=user, text=text)
            elif res.status >= 400:
                raise DeliveryError(f"response_url answered {res.status}")
