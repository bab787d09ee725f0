"""Uploading the post-mortem draft, with people's names looked up in Slack."""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from slack_sdk.errors import SlackApiError

from bot.domain.clock import Clock
from bot.domain.model import IncidentState
from bot.domain.postmortem import people_in, render_postmortem, worst_components
from bot.publishers.slack_calls import SlackCalls
from bot.slack.channel import postmortem_message
from storage import postmortem as pm
from storage.db import Database


class PostmortemUploader:
    """Renders the draft from storage and uploads it (and a canvas, if asked) to the channel."""

    def __init__(
        self, *, db: Database, calls: SlackCalls, zone: str, canvas: bool, clock: Clock
    ) -> None:
        self.db, self.calls, self.zone, self.canvas, self.clock = db, calls, zone, canvas, clock

    async def upload(self, state: IncidentState) -> None:
        """Post the freshly rendered draft in the incident channel."""
        async with self.db.read() as session:
            data = await pm.load_postmortem_of(session=session, incident_id=state.id)
        looked_up = await self._names(people_in(data) - set(data.names))
        data = replace(data, names={**data.names, **looked_up})
        markdown = render_postmortem(data, zone=ZoneInfo(self.zone), zone_name=self.zone)
        worst = ", ".join(f"{c} ({s.label.lower()})" for c, s in worst_components(data).items())
        channel, client = state.channel_id or "", self.calls.client
        await self.calls.joined(
            channel,
            lambda: client.files_upload_v2(
                channel=channel,
                content=markdown,
                filename=f"{state.ref}-postmortem.md",
                title=f"{state.ref} post-mortem draft",
                initial_comment=postmortem_message(state, data.milestones, worst),
            ),
        )
        if self.canvas:
            try:
                await client.conversations_canvases_create(
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
