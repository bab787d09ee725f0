"""The post-mortem draft as a file in the channel, and (if asked) as the channel's canvas.

The canvas is optional (POSTMORTEM_CANVAS) and its own delivery, owed once the file is
posted: a refused canvas (a token without `canvases:write`) is reported once and may be
retried, while the file stands and is never posted again for it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot.domain.clock import Clock
from bot.domain.deliveries import Delivery, DeliveryKind, Owed
from bot.domain.entries import is_public
from bot.domain.model import IncidentState
from bot.domain.postmortem import PostmortemData, people_in, render_postmortem, worst_components
from bot.domain.public import incident_page_url
from bot.publishers.base import DeliveryError
from bot.publishers.slack_calls import SlackCalls
from bot.slack.channel import postmortem_message
from storage import outbox
from storage import postmortem as pm
from storage.db import Database

MISSING_SCOPE = "missing_scope"
# Errors reading the channel's history that mean: it cannot be read, so post the draft again.
UNREADABLE = frozenset({"channel_not_found", MISSING_SCOPE})


class PostmortemUploader:
    """Renders the draft from storage and uploads it (and a canvas, if asked) to the channel."""

    def __init__(
        self,
        *,
        db: Database,
        calls: SlackCalls,
        zone: str,
        canvas: bool,
        clock: Clock,
        status_page_url: str | None = None,
    ) -> None:
        self.db, self.calls, self.zone, self.canvas, self.clock = db, calls, zone, canvas, clock
        self.status_page_url = status_page_url

    async def upload(self, state: IncidentState, delivery: Delivery) -> None:
        """Post the freshly rendered draft in the incident channel; then owe its canvas.

        A retry first looks for a draft posted since this one was owed (an earlier try whose
        answer was lost, or a later request's): it holds everything this one would.
        """
        channel, filename = state.channel_id or "", draft_name(state)
        if not delivery.retrying or not await self._posted_since(
            channel, filename, delivery.created_at
        ):
            await self._post_file(state, filename)
        if self.canvas:
            async with self.db.write(background=True) as session:
                owed = Owed(DeliveryKind.POSTMORTEM_CANVAS)
                outbox.enqueue(session=session, incident_id=state.id, owed=owed, now=self.clock())

    async def _post_file(self, state: IncidentState, filename: str) -> None:
        data, markdown = await self._render(state)
        worst = worst_components(data).items()
        comment = postmortem_message(
            state, data.milestones, ", ".join(f"{c} ({s.label.lower()})" for c, s in worst)
        )
        channel, client = state.channel_id or "", self.calls.client
        await self.calls.joined(
            channel,
            lambda: client.files_upload_v2(
                channel=channel,
                content=markdown,
                filename=filename,
                title=f"{state.ref} post-mortem draft",
                initial_comment=comment,
            ),
        )

    async def make_canvas(self, state: IncidentState) -> None:
        """Give the channel a canvas holding the draft, unless it has one (or canvases are off)."""
        if not self.canvas:
            return  # turned off since it was owed
        _, markdown = await self._render(state)
        try:
            await self.calls.client.conversations_canvases_create(
                channel_id=state.channel_id or "",
                document_content={"type": "markdown", "markdown": markdown},
            )
        except SlackApiError as error:
            code = error.response.get("error")
            if code == "channel_canvas_already_exists":
                return
            if code == MISSING_SCOPE:
                needed = error.response.get("needed") or "canvases:write"
                raise DeliveryError(
                    f"{MISSING_SCOPE} (needed: {needed})", permanent=True
                ) from error
            raise

    async def _posted_since(self, channel: str, filename: str, since: datetime) -> bool:
        """Return whether the bot posted a draft in the channel since `since`.

        No allowance for clock skew: a clock ahead of Slack's errs on posting twice, never on
        keeping an older draft for a fresh one.
        """
        try:
            response = await self.calls.joined(
                channel,
                lambda: self.calls.client.conversations_history(
                    channel=channel, oldest=f"{since.timestamp():.6f}", limit=200
                ),
            )
        except SlackApiError as error:
            if error.response.get("error") in UNREADABLE:
                return False  # no history scope, say: post it again
            raise
        return any(
            message.get("bot_id") and f.get("name") == filename
            for message in response.get("messages") or []
            for f in message.get("files") or []
        )

    async def _render(self, state: IncidentState) -> tuple[PostmortemData, str]:
        async with self.db.read() as session:
            data = await pm.load_postmortem_of(session=session, incident_id=state.id)
        looked_up = await self._names(people_in(data) - set(data.names))
        page = self.status_page_url if any(map(is_public, data.timeline)) else None
        data = replace(
            data,
            names={**data.names, **looked_up},
            public_url=incident_page_url(page, data.uid) if page else None,
        )
        return data, render_postmortem(data, zone=ZoneInfo(self.zone), zone_name=self.zone)

    async def _names(self, user_ids: set[str]) -> dict[str, str]:
        """Look people up in Slack, and remember them; a failed lookup leaves the ID."""
        names: dict[str, str] = {}
        for user_id in sorted(user_ids):
            try:
                user = (await self.calls.client.users_info(user=user_id)).get("user") or {}
            except SlackApiError:
                continue
            profile = user.get("profile") or {}
            name = str(
                profile.get("real_name") or user.get("real_name") or user.get("name") or user_id
            )
            names[user_id] = name
            async with self.db.write(background=True) as session:
                await pm.remember_person(
                    session=session, user_id=user_id, name=name, tz=user.get("tz"), now=self.clock()
                )
        return names


def draft_name(state: IncidentState) -> str:
    """Return the draft file's name."""
    return f"{state.ref}-postmortem.md"


def canvas_failed(ref: str, error: str) -> str:
    """Return what the channel is told when its canvas could not be made (the file stands)."""
    text = (
        f":warning: I could not make the post-mortem canvas for {ref} (Slack said: `{error}`);"
        " the draft file is posted all the same."
    )
    if error.startswith(MISSING_SCOPE):
        text += (
            " To have the canvas, add the `canvases:write` scope to the Slack app and reinstall"
            " it (or set POSTMORTEM_CANVAS=false)."
        )
    return text + " An operator can retry with `warroom outbox retry`."
