"""Deliver Slack outbox rows: channel, invites, topic, pinned summary, posts, announcements."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import slack_blocks as render
from bot.domain.model import IncidentState
from bot.domain.postmortem import people_in, render_postmortem, worst_components
from bot.domain.text import channel_name, with_suffix
from bot.publishers.base import Delivery, DeliveryError
from storage import incidents as q
from storage import postmortem as pm
from storage.db import Database
from storage.models import Incident

log = logging.getLogger(__name__)

# Errors that no retry will fix: give up at once and tell people.
PERMANENT = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "not_allowed_token_type",
        "channel_not_found",
        "is_archived",
        "user_not_found",
        "cant_invite_self",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_arguments",
        "restricted_action",
        "invalid_name_specials",
        "invalid_name_maxlength",
        "invalid_name_required",
        "too_long",
        "ekm_access_denied",
        "team_access_not_granted",
    }
)
# Errors that mean the wanted state already holds.
ALREADY = frozenset({"already_in_channel", "already_pinned"})
_MAX_NAME_TRIES = 10
# Deliveries whose message shows the roles or the last update; the others skip those reads.
_NEEDS_ROLES = frozenset({"channel.topic", "summary.refresh", "postmortem.upload"})
_UNREADABLE = frozenset({"channel_not_found", "missing_scope", "not_in_channel"})


class SlackPublisher:
    """Carries Slack rows out, re-rendering from current state so a retry is harmless."""

    def __init__(
        self,
        *,
        db: Database,
        client: AsyncWebClient,
        http: aiohttp.ClientSession,
        channel_prefix: str,
        announce_channel: str | None,
        status_page_url: str | None = None,
        display_timezone: str = "UTC",
        postmortem_canvas: bool = False,
    ) -> None:
        self.db = db
        self.client = client
        self.http = http
        self.prefix = channel_prefix
        self.status_page_url = status_page_url
        self._bot_user_id: str | None = None
        self.display_timezone = display_timezone
        self.postmortem_canvas = postmortem_canvas
        self.announce_channel = announce_channel.lstrip("#") if announce_channel else None
        self._kinds: dict[str, Callable[[IncidentState, Delivery], Awaitable[None]]] = {
            "channel.create": self._create_channel,
            "channel.invite": self._invite,
            "channel.topic": self._topic,
            "summary.refresh": self._summary,
            "entry.post": self._post_entry,
            "announce": self._announce,
            "user.notify": self._notify,
            "notice": self._notice,
            "postmortem.upload": self._postmortem,
        }

    async def deliver(self, delivery: Delivery) -> None:
        """Carry out one Slack row."""
        handler = self._kinds.get(delivery.kind)
        if handler is None or delivery.incident_id is None:
            raise DeliveryError(f"unknown Slack delivery {delivery.kind!r}", permanent=True)
        state = await self._state(delivery.incident_id, extras=delivery.kind in _NEEDS_ROLES)
        if delivery.kind != "channel.create" and state.channel_id is None:
            raise DeliveryError("the incident channel does not exist yet")
        try:
            await handler(state, delivery)
        except SlackApiError as error:
            raise _classify(error) from error
        except (aiohttp.ClientError, TimeoutError) as error:
            raise DeliveryError(f"Slack unreachable: {type(error).__name__}") from error

    async def report_failure(self, delivery: Delivery, error: str, *, dead: bool) -> None:
        """Say in the incident channel (or to the declarer) what could not be delivered."""
        if delivery.incident_id is None or not dead:
            return  # a first Slack failure is retried; telling Slack about it would fail too
        state = await self._state(delivery.incident_id)
        text = (
            f":warning: I could not {_WHAT.get(delivery.kind, delivery.kind)} for {state.ref}"
            f" (Slack said: `{error}`). An operator can retry with `warroom outbox retry`."
        )
        targets = [state.channel_id, state.declared_by]  # the channel may be archived: DM too
        if delivery.kind == "channel.create":
            targets = [state.declared_by]
        for target in filter(None, targets):
            try:
                await self.client.chat_postMessage(channel=target, text=text)
                return
            except (SlackApiError, aiohttp.ClientError, TimeoutError) as failure:
                log.warning(
                    "could not report dead delivery %s to %s: %s",
                    delivery.id,
                    target,
                    type(failure).__name__,
                )

    async def _state(self, incident_id: int, *, extras: bool = True) -> IncidentState:
        async with self.db.read() as session:
            incident = await q.get_incident(session=session, incident_id=incident_id)
            if incident is None:
                raise DeliveryError(f"incident {incident_id} is gone", permanent=True)
            return await q.incident_state(session, incident, with_extras=extras)

    async def _create_channel(self, state: IncidentState, delivery: Delivery) -> None:
        if state.channel_id is not None:
            return
        base = channel_name(self.prefix, state.number, state.title)
        name = base
        for attempt in range(2, _MAX_NAME_TRIES + 2):
            try:
                response = await self.client.conversations_create(name=name, is_private=False)
                channel = response["channel"]
                break
            except SlackApiError as error:
                if error.response.get("error") != "name_taken":
                    raise
            # An earlier try may have created it and lost the answer (timeout, crash): adopt it.
            mine = await self._own_channel(name, state)
            if mine is not None:
                channel = mine
                break
            name = with_suffix(base, attempt)
        else:
            raise DeliveryError(f"every channel name up to {name} is taken", permanent=True)
        async with self.db.write(background=True) as session:
            incident = await session.get(Incident, state.id)
            assert incident is not None
            incident.channel_id, incident.channel_name = channel["id"], channel["name"]
            session.add(incident)

    async def _own_channel(self, name: str, state: IncidentState) -> dict[str, Any] | None:
        """Return the channel `name` if this bot created it after the incident was declared."""
        if self._bot_user_id is None:
            self._bot_user_id = (await self.client.auth_test()).get("user_id")
        cursor = None
        while True:
            page = await self.client.conversations_list(
                types="public_channel", exclude_archived=False, limit=1000, cursor=cursor
            )
            for channel in page.get("channels") or []:
                if channel.get("name") == name:
                    created = float(channel.get("created") or 0)
                    ours = channel.get("creator") == self._bot_user_id
                    recent = created >= state.created_at.timestamp() - 60
                    return dict(channel) if ours and recent else None
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None

    async def _invite(self, state: IncidentState, delivery: Delivery) -> None:
        users = ",".join(delivery.payload["users"])
        await self._in_channel(
            state,
            lambda: self.client.conversations_invite(channel=state.channel_id or "", users=users),
        )

    async def _topic(self, state: IncidentState, delivery: Delivery) -> None:
        await self._in_channel(
            state,
            lambda: self.client.conversations_setTopic(
                channel=state.channel_id or "", topic=render.topic(state)
            ),
        )

    async def _summary(self, state: IncidentState, delivery: Delivery) -> None:
        text, blocks = render.summary(state)
        channel = state.channel_id or ""
        async with self.db.read() as session:
            incident = await session.get(Incident, state.id)
            summary_ts = incident.summary_ts if incident else None
        if summary_ts is not None:
            await self.client.chat_update(channel=channel, ts=summary_ts, text=text, blocks=blocks)
            return
        ts = await self._post_once(channel, delivery, text=text, blocks=blocks)
        async with self.db.write(background=True) as session:
            incident = await session.get(Incident, state.id)
            assert incident is not None
            incident.summary_ts = ts
            session.add(incident)
        await self._in_channel(state, lambda: self.client.pins_add(channel=channel, timestamp=ts))

    async def _post_entry(self, state: IncidentState, delivery: Delivery) -> None:
        async with self.db.read() as session:
            row = await q.get_entry(session=session, entry_id=int(delivery.payload["entry_id"]))
        if row is None or row.slack_ts is not None:
            return
        text = render.entry(state, q.to_entry(row), public_url=self.status_page_url)
        ts = await self._post_once(state.channel_id or "", delivery, text=text)
        async with self.db.write(background=True) as session:
            fresh = await q.get_entry(session=session, entry_id=int(delivery.payload["entry_id"]))
            assert fresh is not None
            fresh.slack_ts = ts
            session.add(fresh)

    async def _announce(self, state: IncidentState, delivery: Delivery) -> None:
        if self.announce_channel is None:
            return
        async with self.db.read() as session:
            row = await q.get_entry(session=session, entry_id=int(delivery.payload["entry_id"]))
        if row is None:
            return
        text = render.announcement(state, q.to_entry(row))
        await self._post_once(self.announce_channel, delivery, text=text)

    async def _notify(self, state: IncidentState, delivery: Delivery) -> None:
        payload = delivery.payload
        text = render.declared_notice(state)
        url = payload.get("response_url")
        if not url:
            await self.client.chat_postMessage(channel=payload["user"], text=text)
            return
        body = {"response_type": "ephemeral", "replace_original": False, "text": text}
        async with self.http.post(url, json=body, timeout=aiohttp.ClientTimeout(total=10)) as res:
            if res.status == 404:  # response URLs expire after 30 minutes: fall back to a DM
                await self.client.chat_postMessage(channel=payload["user"], text=text)
            elif res.status >= 400:
                raise DeliveryError(f"response_url answered {res.status}")

    async def _notice(self, state: IncidentState, delivery: Delivery) -> None:
        await self._post_once(state.channel_id or "", delivery, text=str(delivery.payload["text"]))

    async def _postmortem(self, state: IncidentState, delivery: Delivery) -> None:
        async with self.db.read() as session:
            incident = await session.get(Incident, state.id)
            assert incident is not None
            data = await pm.load_postmortem(session=session, incident=incident)
        data = replace(
            data, names={**data.names, **await self._names(people_in(data) - set(data.names))}
        )
        markdown = render_postmortem(
            data, zone=ZoneInfo(self.display_timezone), zone_name=self.display_timezone
        )
        worst = ", ".join(f"{c} ({s.label.lower()})" for c, s in worst_components(data).items())
        channel = state.channel_id or ""
        await self._in_channel(
            state,
            lambda: self.client.files_upload_v2(
                channel=channel,
                content=markdown,
                filename=f"{state.ref}-postmortem.md",
                title=f"{state.ref} post-mortem draft",
                initial_comment=render.postmortem_message(state, data.milestones, worst),
            ),
        )
        if self.postmortem_canvas:
            try:
                await self.client.conversations_canvases_create(
                    channel_id=channel, document_content={"type": "markdown", "markdown": markdown}
                )
            except SlackApiError as error:
                if error.response.get("error") != "channel_canvas_already_exists":
                    raise

    async def _names(self, user_ids: set[str]) -> dict[str, str]:
        """Look people up in Slack, and remember them; a failed lookup leaves the ID."""
        names: dict[str, str] = {}
        for user_id in sorted(user_ids):
            try:
                user = (await self.client.users_info(user=user_id)).get("user") or {}
            except SlackApiError:
                continue
            profile = user.get("profile") or {}
            name = str(
                profile.get("real_name") or user.get("real_name") or user.get("name") or user_id
            )
            names[user_id] = name
            async with self.db.write(background=True) as session:
                await pm.remember_person(
                    session=session,
                    user_id=user_id,
                    name=name,
                    tz=user.get("tz"),
                    now=datetime.now(UTC),
                )
        return names

    async def _post_once(self, channel: str, delivery: Delivery, **message: Any) -> str:
        """Post a message stamped with its outbox row; on a retry, first look for it.

        A timeout or a crash can lose Slack's answer to a post that did happen: the stamp in
        the message metadata lets the retry find it instead of posting it twice.
        """
        stamp = {"outbox": delivery.id}
        if delivery.retrying:
            found = await self._find_posted(channel, stamp, delivery.created_at.timestamp() - 60)
            if found is not None:
                return found
        response = await self._joined(
            channel,
            lambda: self.client.chat_postMessage(
                channel=channel,
                unfurl_links=False,
                metadata={"event_type": "warroom_post", "event_payload": stamp},
                **message,
            ),
        )
        return str(response["ts"])

    async def _find_posted(self, channel: str, stamp: dict[str, Any], since: float) -> str | None:
        try:
            response = await self._joined(
                channel,
                lambda: self.client.conversations_history(
                    channel=channel, oldest=f"{since:.6f}", include_all_metadata=True, limit=200
                ),
            )
        except SlackApiError as error:
            if error.response.get("error") in _UNREADABLE:
                return None  # a channel given by name, or no history scope: post again
            raise
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_payload") == stamp:
                return str(message["ts"])
        return None

    async def _in_channel(self, state: IncidentState, call: Callable[[], Awaitable[Any]]) -> Any:
        return await self._joined(state.channel_id or "", call)

    async def _joined(self, channel: str, call: Callable[[], Awaitable[Any]]) -> Any:
        """Make the call; if the bot was removed from the channel, join and try once more."""
        try:
            return await call()
        except SlackApiError as error:
            code = error.response.get("error")
            if code in ALREADY:
                return error.response
            if code != "not_in_channel":
                raise
        await self.client.conversations_join(channel=channel)
        return await call()


_WHAT = {
    "channel.create": "create the incident channel",
    "channel.invite": "invite people to the channel",
    "channel.topic": "set the channel topic",
    "summary.refresh": "update the pinned summary",
    "entry.post": "post a timeline entry in the channel",
    "announce": "post in the announcements channel",
    "user.notify": "tell the declarer where the incident is",
    "notice": "post a notice in the channel",
    "postmortem.upload": "post the post-mortem draft",
}


def _classify(error: SlackApiError) -> DeliveryError:
    response = error.response
    code = str(response.get("error") or f"HTTP {response.status_code}")
    if response.status_code == 429 or code == "ratelimited":
        retry_after = response.headers.get("Retry-After") or response.headers.get("retry-after")
        return DeliveryError(code, retry_after=float(retry_after or 1))
    return DeliveryError(code, permanent=code in PERMANENT)
