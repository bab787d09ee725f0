"""Slack's side of the conversation: signed slash commands, interactions and events to the bot."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import aiohttp

from sandbox.slack.args import SlackError
from sandbox.slack.chat import message_obj
from sandbox.slack.driver_events import DriverReply, PeopleEvents
from sandbox.slack.driver_home import HomeTab
from sandbox.slack.interactions import FieldKey, find_button, form_state, opened_view
from sandbox.slack_emulator import APP_ID, SlackEmulator

__all__ = ["DriverReply", "SlackDriver", "slack_escape"]

Json = dict[str, Any]


def slack_escape(text: str) -> str:
    """Escape &, < and > the way Slack does before sending user text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackDriver(PeopleEvents, HomeTab):
    """Send requests to the bot exactly as Slack would, signed with the signing secret."""

    def __init__(
        self,
        *,
        bot_url: str,
        signing_secret: str,
        session: aiohttp.ClientSession,
        emulator: SlackEmulator,
        team_id: str = "T0EMULATOR",
    ) -> None:
        self.url = bot_url.rstrip("/") + "/slack/events"
        self.signing_secret = signing_secret
        self.session = session
        self.emulator = emulator
        self.team_id = team_id
        self.verification_token = "emulator-verification-token"

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """Return Slack's signature headers for body."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        base = b"v0:" + ts.encode() + b":" + body
        digest = hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}

    async def raw(self, body: bytes, headers: dict[str, str]) -> DriverReply:
        """POST body with exactly these headers to the bot."""
        started = time.perf_counter()
        async with self.session.post(self.url, data=body, headers=headers) as resp:
            text = await resp.text()
            status = resp.status
        elapsed = time.perf_counter() - started
        parsed: Json | None = None
        if text.strip():
            try:
                loaded = json.loads(text)
            except ValueError:
                loaded = None
            parsed = loaded if isinstance(loaded, dict) else None
        return DriverReply(status=status, body=text, json=parsed, elapsed=elapsed)

    async def _send(
        self, body: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> DriverReply:
        headers = {"Content-Type": content_type, **self.sign(body), **(extra or {})}
        return await self.raw(body, headers)

    async def _form(self, fields: dict[str, str]) -> DriverReply:
        return await self._send(urlencode(fields).encode(), "application/x-www-form-urlencoded")

    async def _interaction(self, payload: Json) -> DriverReply:
        return await self._form({"payload": json.dumps(payload)})

    def _user(self, user_id: str) -> Json:
        user = self.emulator.users.get(user_id)
        name = user.name if user else user_id
        return {"id": user_id, "username": name, "name": name, "team_id": self.team_id}

    def _channel_name(self, channel_id: str) -> str:
        ch = self.emulator.channels.get(channel_id)
        if ch is not None and not ch.is_im:
            return ch.name
        return "directmessage" if ch is not None or channel_id.startswith("D") else "privategroup"

    def _common(self, user_id: str) -> Json:
        return {
            "team": {"id": self.team_id, "domain": self.emulator.team_domain},
            "api_app_id": APP_ID,
            "token": self.verification_token,
            "trigger_id": self.emulator.new_trigger_id(user_id),
            "is_enterprise_install": False,
            "enterprise": None,
        }

    async def command(
        self, *, user_id: str, channel_id: str, text: str, command: str = "/incident"
    ) -> DriverReply:
        """Send a slash command invocation (a person types only where they can: a private
        channel only if they are in it)."""
        user = self.emulator.users.get(user_id)
        ch = self.emulator.channels.get(channel_id)
        if ch is not None and ch.is_private and not ch.is_im and user_id not in ch.members:
            raise PermissionError(f"{user_id} is not in private channel {channel_id}")
        return await self._form(
            {
                "token": self.verification_token,
                "team_id": self.team_id,
                "team_domain": self.emulator.team_domain,
                "channel_id": channel_id,
                "channel_name": self._channel_name(channel_id),
                "user_id": user_id,
                "user_name": user.name if user else user_id,
                "command": command,
                "text": text,
                "api_app_id": APP_ID,
                "is_enterprise_install": "false",
                "response_url": self.emulator.new_response_url(),
                "trigger_id": self.emulator.new_trigger_id(user_id),
            }
        )

    async def view_submission(
        self,
        *,
        user_id: str,
        view: dict[str, Any] | None = None,
        values: dict[str, dict[str, dict[str, Any]]] | None = None,
        callback_id: str | None = None,
        fill: Mapping[FieldKey, str | None] | None = None,
    ) -> DriverReply:
        """Submit a modal; the reply's `json` is the bot's ack (e.g. response_action errors).

        Without `view`, submit the newest view opened (views.open/push) for this user, matching
        `callback_id` if given. `fill` types into input blocks by block_id or (block_id,
        action_id), picking a static_select option by its value; other inputs keep what the
        view shows, and a form Slack's client would not send raises NotSubmittable. `values`
        is sent as view.state.values exactly as given (to send what a client never would).
        """
        if view is None:
            view = opened_view(self.emulator.state, callback_id=callback_id, user_id=user_id)
        state = form_state(view, fill or {}) if values is None or fill else {}
        state |= values or {}
        view_id = str(view.get("id") or f"V{secrets.token_hex(5).upper()}")
        submitted = {
            "type": "modal",
            "callback_id": "",
            "private_metadata": "",
            "hash": "",
            "team_id": self.team_id,
            "app_id": APP_ID,
            "root_view_id": view_id,
            **view,
            "id": view_id,
            "state": {"values": state},
        }
        payload = {
            **self._common(user_id),
            "type": "view_submission",
            "user": self._user(user_id),
            "view": submitted,
            "response_urls": [],
        }
        return await self._interaction(payload)

    async def block_action(
        self,
        *,
        user_id: str,
        channel_id: str,
        action_id: str,
        value: str | None = None,
        message_ts: str | None = None,
    ) -> DriverReply:
        """Click the button action_id on the newest message carrying it (or at message_ts).

        The action carries the button's own value unless `value` overrides it (a stale or
        forged click). Raises LookupError when no such button is in the channel.
        """
        button = find_button(self.emulator.state, channel_id, action_id, message_ts)
        element = button.element
        action: Json = {
            "type": str(element.get("type") or "button"),
            "action_id": action_id,
            "block_id": button.block_id,
            "text": {"emoji": True, **(element.get("text") or {})},
            "action_ts": f"{time.time():.6f}",
        }
        clicked = element.get("value") if value is None else value
        if clicked is not None:
            action["value"] = clicked
        if element.get("style"):
            action["style"] = element["style"]
        payload: Json = {
            **self._common(user_id),
            "type": "block_actions",
            "user": self._user(user_id),
            "container": {
                "type": "message",
                "message_ts": button.message.ts,
                "channel_id": channel_id,
                "is_ephemeral": False,
            },
            "channel": {"id": channel_id, "name": self._channel_name(channel_id)},
            "message": message_obj(self.emulator.state, button.message, with_metadata=False),
            "response_url": self.emulator.new_response_url(),
            "state": {"values": {}},
            "actions": [action],
        }
        return await self._interaction(payload)

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
    ) -> DriverReply:
        """Deliver an Events API event_callback (optionally as a retry)."""
        now = int(time.time())
        envelope = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "api_app_id": APP_ID,
            "event": {"event_ts": f"{time.time():.6f}", **event},
            "type": "event_callback",
            "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
            "event_time": now,
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.emulator.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        extra = None
        if retry_num is not None:
            extra = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return await self._send(json.dumps(envelope).encode(), "application/json", extra)

    async def message_shortcut(
        self, user_id: str, channel_id: str, message_ts: str, callback_id: str = "add_to_timeline"
    ) -> DriverReply:
        """Use a message shortcut on the message at message_ts (LookupError if it is gone)."""
        try:
            message = self.emulator.state.message(channel_id, message_ts)
        except SlackError as exc:
            raise LookupError(f"no message {message_ts} in {channel_id}") from exc
        payload: Json = {
            **self._common(user_id),
            "type": "message_action",
            "callback_id": callback_id,
            "response_url": self.emulator.new_response_url(),
            "channel": {"id": channel_id, "name": self._channel_name(channel_id)},
            "user": self._user(user_id),
            "action_ts": f"{time.time():.6f}",
            "message_ts": message_ts,
            "message": message_obj(self.emulator.state, message, with_metadata=False),
        }
        return await self._interaction(payload)
