"""The driver's Home tab: a person opens it (app_home_opened) or presses one of its buttons.

API-RULES 1.6 marks `app_home_opened`'s shape not verified; it follows Slack's event page
(api.slack.com/events/app_home_opened): user, channel (the app's DM with them), tab, and the
view published for them, if any. A Home button's block_actions carries the view (container
type `view`) and a trigger_id, and no response_url.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from sandbox.slack.args import Json
from sandbox.slack.driver_events import DriverReply

if TYPE_CHECKING:
    from sandbox.slack_emulator import SlackEmulator


class HomeTab(ABC):
    """Open people's Home tabs and press their buttons, as Slack would tell the app."""

    emulator: SlackEmulator

    @abstractmethod
    async def event(
        self, event: Json, *, event_id: str | None = None, retry_num: int | None = None
    ) -> DriverReply:
        """Deliver an Events API event_callback."""

    @abstractmethod
    async def _interaction(self, payload: Json) -> DriverReply: ...

    @abstractmethod
    def _common(self, user_id: str) -> Json: ...

    @abstractmethod
    def _user(self, user_id: str) -> Json: ...

    async def open_home(self, user_id: str, tab: str = "home") -> DriverReply:
        """Deliver `app_home_opened`: the person opened the app's Home (or Messages) tab."""
        ws = self.emulator.state
        event: Json = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": ws.dm(user_id).id,
            "tab": tab,
            "event_ts": f"{time.time():.6f}",
        }
        if user_id in ws.homes:
            event["view"] = ws.homes[user_id]
        return await self.event(event)

    async def home_action(self, user_id: str, action_id: str) -> DriverReply:
        """Press the button `action_id` on the person's Home (LookupError if it is not there)."""
        view = self.emulator.state.homes.get(user_id)
        found = next(
            (
                (block, element)
                for block in (view or {}).get("blocks") or []
                if block.get("type") == "actions"
                for element in block.get("elements") or []
                if element.get("action_id") == action_id
            ),
            None,
        )
        if view is None or found is None:
            raise LookupError(f"no {action_id} button on {user_id}'s Home")
        block, element = found
        action: Json = {
            "type": "button",
            "action_id": action_id,
            "block_id": block.get("block_id") or "",
            "text": element.get("text") or {},
            "action_ts": f"{time.time():.6f}",
        }
        if element.get("value") is not None:
            action["value"] = element["value"]
        payload: Json = {
            **self._common(user_id),
            "type": "block_actions",
            "user": self._user(user_id),
            "container": {"type": "view", "view_id": view["id"]},
            "view": view,
            "actions": [action],
        }
        return await self._interaction(payload)
