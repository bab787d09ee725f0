"""Creating the incident channel: a free name, and adopting one a lost answer created."""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.model import IncidentState
from bot.domain.text import channel_name, with_suffix
from bot.publishers.base import DeliveryError

_MAX_NAME_TRIES = 10


class ChannelMaker:
    """Creates `#inc-7-title`, or `#inc-7-title-2` ... when the name is taken; private for a
    private incident (only its creator, the bot, is in it until people are invited)."""

    def __init__(self, client: AsyncWebClient, prefix: str) -> None:
        self.client, self.prefix = client, prefix
        self._bot_user_id: str | None = None

    async def create(self, state: IncidentState) -> dict[str, Any]:
        """Return the new channel (id, name), or the one an earlier try created."""
        base = channel_name(self.prefix, state.number, state.title)
        name = base
        for attempt in range(2, _MAX_NAME_TRIES + 2):
            try:
                response = await self.client.conversations_create(
                    name=name, is_private=state.private
                )
                return dict(response["channel"])
            except SlackApiError as error:
                if error.response.get("error") != "name_taken":
                    raise
            # An earlier try may have created it and lost the answer (timeout, crash): adopt it.
            mine = await self._own_channel(name, state)
            if mine is not None:
                return mine
            name = with_suffix(base, attempt)
        raise DeliveryError(f"every channel name up to {name} is taken", permanent=True)

    async def _own_channel(self, name: str, state: IncidentState) -> dict[str, Any] | None:
        """Return the channel `name` if this bot created it after the incident was declared."""
        if self._bot_user_id is None:
            self._bot_user_id = (await self.client.auth_test()).get("user_id")
        cursor, kind = None, "private_channel" if state.private else "public_channel"
        while True:
            page = await self.client.conversations_list(
                types=kind, exclude_archived=False, limit=1000, cursor=cursor
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
