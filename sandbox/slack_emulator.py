"""In-process fake of Slack's Web API, faithful to its shapes, for tests and the offline demo."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import string
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import WSMsgType, web

from sandbox.server import LocalServer

Json = dict[str, Any]
BOT_ID = "B0WARROOM"
APP_ID = "A0WARROOM"
_ALNUM = string.ascii_uppercase + string.digits
_NAME_RE = re.compile(r"[a-z0-9_-]+")
_TOKEN_RE = re.compile(r"<([^<>]*)>")
_DOWN_PAGE = "<html><body><h1>Slack is temporarily unavailable</h1></body></html>"


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(10))


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _ts_key(ts: Any) -> Decimal:
    try:
        return Decimal(str(ts))
    except InvalidOperation as exc:
        raise _Fail("invalid_ts_oldest") from exc


class _Fail(Exception):
    """A Slack API error: answered as 200 {"ok": false, "error": ...}."""

    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []


def _arg(p: Json, key: str) -> str:
    value = p.get(key)
    if value is None or value == "":
        raise _Fail("invalid_arguments", [f"[ERROR] missing required field: {key}"])
    return str(value)


def _decoded(p: Json, key: str, error: str) -> Any:
    value = p.get(key)
    if isinstance(value, str):
        if not value:
            return None
        try:
            return json.loads(value)
        except ValueError as exc:
            raise _Fail(error) from exc
    return value


def _check_blocks(blocks: Any) -> list[Json] | None:
    if blocks is None:
        return None
    if not isinstance(blocks, list) or len(blocks) > 50:
        raise _Fail("invalid_blocks", ["[ERROR] blocks must be an array of at most 50 items"])
    for i, b in enumerate(blocks):
        if not isinstance(b, dict) or not isinstance(b.get("type"), str):
            raise _Fail("invalid_blocks", [f"[ERROR] missing type [json-pointer:/blocks/{i}]"])
        text = b.get("text")
        text = str(text.get("text", "")) if isinstance(text, dict) else ""
        limit = {"section": 3000, "header": 150}.get(b["type"])
        too_many = len(b.get("fields") or []) > 10 or len(b.get("elements") or []) > 25
        if (limit and len(text) > limit) or too_many:
            raise _Fail("invalid_blocks", [f"[ERROR] too long [json-pointer:/blocks/{i}]"])
        if b["type"] == "section" and not text and not b.get("fields"):
            raise _Fail("invalid_blocks", [f"[ERROR] text or fields required [/blocks/{i}]"])
    return blocks


def _check_view(view: Any) -> Json:
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        raise _Fail("invalid_arguments", ["[ERROR] view.type must be modal or home"])
    for key in ("title", "submit", "close"):
        part = view.get(key)
        if isinstance(part, dict) and len(str(part.get("text", ""))) > 24:
            raise _Fail("invalid_arguments", [f"[ERROR] must be less than 25 characters [/{key}]"])
    if view["type"] == "modal" and not isinstance(view.get("title"), dict):
        raise _Fail("invalid_arguments", ["[ERROR] missing required field: title"])
    if len(view.get("blocks") or []) > 100 or len(str(view.get("private_metadata", ""))) > 3000:
        raise _Fail("invalid_arguments", ["[ERROR] view too large"])
    _check_blocks(view.get("blocks", []))
    return view


def _block_lines(blocks: list[Json]) -> list[str]:
    lines: list[str] = []
    for b in blocks:
        text = b.get("text")
        if isinstance(text, dict) and text.get("text"):
            lines.append(str(text["text"]))
        lines.extend(str(f.get("text", "")) for f in b.get("fields") or [] if isinstance(f, dict))
        elements = [e for e in b.get("elements") or [] if isinstance(e, dict)]
        if b.get("type") == "context":
            lines.append(" · ".join(str(e["text"]) for e in elements if "text" in e))
        elif b.get("type") == "actions":
            labels = [e["text"].get("text") for e in elements if isinstance(e.get("text"), dict)]
            lines.append(" ".join(f"[{label}]" for label in labels))
    return [line for line in lines if line]


@dataclass
class EmUser:
    id: str
    name: str
    real_name: str
    tz: str = "UTC"
    tz_offset: int = 0
    is_bot: bool = False


@dataclass
class EmChannel:
    id: str
    name: str
    creator: str
    created: int
    topic: str = ""
    purpose: str = ""
    members: set[str] = field(default_factory=set)
    is_archived: bool = False
    is_private: bool = False
    is_im: bool = False


@dataclass
class EmMessage:
    channel: str
    ts: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None
    thread_ts: str | None
    metadata: dict[str, Any] | None
    edited: bool = False
    reactions: dict[str, list[str]] = field(default_factory=dict)
    files: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Fault:
    method: str
    kind: str
    error: str = ""
    number: float = 0.0
    remaining: int = 1


class SlackEmulator(LocalServer):
    """A fake Slack workspace answering the Web API over HTTP."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-emulator",
        app_token: str = "xapp-emulator",
        team_id: str = "T0EMULATOR",
        bot_user_id: str = "UWARROOM",
        users: Iterable[EmUser] = (),
        channels: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.bot_token, self.team_id, self.bot_user_id = bot_token, team_id, bot_user_id
        self.app_token = app_token
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_acks: dict[str, asyncio.Future[Json]] = {}
        self.users: dict[str, EmUser] = {bot_user_id: EmUser(bot_user_id, "warroom", "Warroom")}
        self.users[bot_user_id].is_bot = True
        self.users.update({u.id: u for u in users})
        now = int(time.time())
        self.channels: dict[str, EmChannel] = {
            cid: EmChannel(cid, name, bot_user_id, now, members=set(self.users))
            for cid, name in channels
        }
        self.messages: list[EmMessage] = []
        self.pins: dict[str, list[str]] = {}
        self.ephemerals: list[Json] = []
        self.responses: list[Json] = []
        self.views: list[Json] = []
        self.calls: list[tuple[str, Json]] = []
        self.files: dict[str, Json] = {}
        self.canvases: dict[str, str] = {}  # channel id -> the channel canvas's markdown
        self.usergroups: dict[str, set[str]] = {}  # user group id (S...) -> member user ids
        self.trigger_ttl = 3.0
        self._faults: list[_Fault] = []
        self._triggers: dict[str, float] = {}
        self._response_ids: set[str] = set()
        self._open_views: dict[str, Json] = {}
        self._uploaded: set[str] = set()
        self._last_us = 0
        self._methods: dict[str, Callable[[Json], Json]] = {
            "auth.test": self._auth_test,
            "conversations.create": self._create,
            "conversations.invite": self._invite,
            "conversations.join": self._join,
            "conversations.setTopic": lambda p: self._set_text(p, "topic"),
            "conversations.setPurpose": lambda p: self._set_text(p, "purpose"),
            "conversations.info": lambda p: {"channel": self._channel_obj(self._channel(p))},
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "conversations.archive": self._archive,
            "conversations.list": self._list,
            "conversations.members": self._members,
            "chat.postMessage": self._post,
            "chat.update": self._update,
            "chat.postEphemeral": self._ephemeral,
            "pins.add": self._pin,
            "pins.list": self._pins_list,
            "reactions.add": self._react,
            "users.info": lambda p: {"user": self._user_obj(self._user(_arg(p, "user")))},
            "usergroups.users.list": self._usergroup_users,
            "users.list": lambda p: {
                "members": [self._user_obj(u) for u in self.users.values()],
                "response_metadata": {"next_cursor": ""},
            },
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "conversations.canvases.create": self._channel_canvas,
        }

    # ----- lifecycle -------------------------------------------------------------------
    def make_app(self) -> web.Application:
        """Build the aiohttp application serving the emulated endpoints."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{url_id}", self._response)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        return app

    # ----- Socket Mode ----------------------------------------------------------------
    async def _socket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": len(self._sockets)})
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                future = self._socket_acks.pop(str(data.get("envelope_id")), None)
                if future is not None and not future.done():
                    future.set_result(data)
        finally:
            self._sockets.remove(ws)
        return ws

    @property
    def socket_connected(self) -> bool:
        """Return whether an app is connected over Socket Mode."""
        return bool(self._sockets)

    async def socket_send(self, kind: str, payload: Json, limit: float = 5.0) -> Json:
        """Deliver an envelope (`slash_commands`, `interactive`, `events_api`); return its ack."""
        envelope_id = uuid.uuid4().hex
        future: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
        self._socket_acks[envelope_id] = future
        await self._sockets[-1].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0,
            }
        )
        async with asyncio.timeout(limit):
            return await future

    @property
    def api_url(self) -> str:
        """Return the Web API base URL for slack_sdk's base_url."""
        return self.base_url + "/api/"

    # ----- helpers for tests and the demo ----------------------------------------------
    def channel_by_name(self, name: str) -> EmChannel | None:
        """Find a (possibly archived) channel by name."""
        name = name.removeprefix("#")
        return next((c for c in self.channels.values() if c.name == name and not c.is_im), None)

    def history(self, channel_id: str) -> list[EmMessage]:
        """Return a channel's messages, oldest first, thread replies included."""
        return [m for m in self.messages if m.channel == channel_id]

    def add_message(
        self, channel_id: str, user_id: str, text: str, thread_ts: str | None = None
    ) -> EmMessage:
        """Post a message as a (human) user, bypassing the API."""
        return self._append(channel_id, user_id, text, None, thread_ts, None)

    def new_response_url(self) -> str:
        """Issue a response URL whose POSTs are recorded in responses."""
        url_id = uuid.uuid4().hex
        self._response_ids.add(url_id)
        return f"{self.base_url}/response/{url_id}"

    def new_trigger_id(self) -> str:
        """Issue a single-use trigger id for views.open."""
        trigger = f"{int(time.time())}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"
        self._triggers[trigger] = time.monotonic()
        return trigger

    def fail(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next `times` calls of method with {"ok": false, "error": error}."""
        self._faults.append(_Fault(method, "fail", error=error, remaining=times))

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next `times` calls of method with HTTP 429 and Retry-After."""
        self._faults.append(_Fault(method, "429", number=retry_after, remaining=times))

    def http_error(self, method: str, status: int = 503, times: int = 1) -> None:
        """Answer the next `times` calls of method with an HTML error page."""
        self._faults.append(_Fault(method, "http", number=status, remaining=times))

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """Sleep before answering the next `times` calls of method."""
        self._faults.append(_Fault(method, "delay", number=seconds, remaining=times))

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        self._faults.clear()

    def transcript(self, channel_id: str) -> str:
        """Render a channel as a person would read it."""
        pinned = set(self.pins.get(channel_id, []))
        out: list[str] = []
        for m in self.history(channel_id):
            body = "\n".join(_block_lines(m.blocks)) if m.blocks else ""
            body = self.render_text(body or m.text)
            body += "".join(f"\n[file: {f.get('title') or f.get('name')}]" for f in m.files)
            user = self.users.get(m.user)
            line = f"[{time.strftime('%H:%M', time.gmtime(float(m.ts)))}] "
            line += f"{user.name if user else m.user}: {body}"
            line += " (edited)" if m.edited else ""
            line = ("📌 " if m.ts in pinned else "") + line
            out.append(("↳ " if m.thread_ts not in (None, m.ts) else "") + line)
        return "\n\n".join(out)

    def render_text(self, text: str) -> str:
        """Return Slack markup as a person reads it."""

        def repl(match: re.Match[str]) -> str:
            target, _, label = match.group(1).partition("|")
            if target.startswith("@"):
                user = self.users.get(target[1:])
                return "@" + (user.name if user else label.lstrip("@") or target[1:])
            if target.startswith("#"):
                ch = self.channels.get(target[1:])
                return "#" + (label or (ch.name if ch else target[1:]))
            if target.startswith("!"):
                special = target[1:]
                return f"@{special}" if special in ("channel", "here", "everyone") else label
            return f"{label} ({target})" if label else target

        text = _TOKEN_RE.sub(repl, text)
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    # ----- HTTP plumbing ---------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.StreamResponse:
        if self._base is None:
            self._base = f"{request.scheme}://{request.host}"
        method = request.match_info["method"]
        params: Json = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    body = {}
                params.update(body if isinstance(body, dict) else {})
            else:
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() or params.pop("token", None)
        params.pop("token", None)
        self.calls.append((method, params))
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        if method == "apps.connections.open":
            if token != self.app_token:
                return web.json_response({"ok": False, "error": "invalid_auth"})
            ws_url = self.base_url.replace("http://", "ws://") + "/socket"
            return web.json_response({"ok": True, "url": ws_url})
        if token != self.bot_token:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        fault = next((f for f in self._faults if f.method in (method, "*")), None)
        if fault is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
            if fault.kind == "delay":
                await asyncio.sleep(fault.number)
            elif fault.kind == "fail":
                return web.json_response({"ok": False, "error": fault.error})
            elif fault.kind == "429":
                return web.json_response(
                    {"ok": False, "error": "ratelimited"},
                    status=429,
                    headers={"Retry-After": str(int(fault.number))},
                )
            else:
                return web.Response(
                    status=int(fault.number), text=_DOWN_PAGE, content_type="text/html"
                )
        handler = self._methods.get(method)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method", "req_method": method})
        try:
            result = handler(params)
        except _Fail as exc:
            failure: Json = {"ok": False, "error": exc.error}
            if exc.messages:
                failure["response_metadata"] = {"messages": exc.messages}
            return web.json_response(failure)
        return web.json_response({"ok": True, **result})

    async def _response(self, request: web.Request) -> web.StreamResponse:
        url_id = request.match_info["url_id"]
        if url_id not in self._response_ids:
            return web.Response(status=404, text="no_service")
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return web.Response(status=400, text="invalid_payload")
        self.responses.append({**body, "_url_id": url_id})
        return web.Response(text="ok")

    async def _upload(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file_id"]
        if file_id not in self.files:
            return web.Response(status=404, text="file_not_found")
        data = b""
        if request.content_type.startswith("multipart/"):
            part = (await request.post()).get("file")
            if isinstance(part, web.FileField):
                data = part.file.read()
            elif isinstance(part, str):
                data = part.encode()
        else:
            data = await request.read()
        self.files[file_id]["content"] = data
        self._uploaded.add(file_id)
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    # ----- model helpers -----------------------------------------------------------------
    def _next_ts(self) -> str:
        self._last_us = max(int(time.time() * 1_000_000), self._last_us + 1)
        return f"{self._last_us // 1_000_000}.{self._last_us % 1_000_000:06d}"

    def _append(
        self,
        channel: str,
        user: str,
        text: str,
        blocks: list[Json] | None,
        thread_ts: str | None,
        metadata: Json | None,
    ) -> EmMessage:
        msg = EmMessage(channel, self._next_ts(), user, text, blocks, thread_ts, metadata)
        self.messages.append(msg)
        return msg

    def _user(self, user_id: str) -> EmUser:
        if user_id not in self.users:
            raise _Fail("user_not_found")
        return self.users[user_id]

    def _channel(self, p: Json, key: str = "channel") -> EmChannel:
        ch = self.channels.get(_arg(p, key))
        if ch is None or (ch.is_private and self.bot_user_id not in ch.members):
            raise _Fail("channel_not_found")
        return ch

    def _writable(self, ch: EmChannel) -> EmChannel:
        if ch.is_archived:
            raise _Fail("is_archived")
        if self.bot_user_id not in ch.members:
            raise _Fail("not_in_channel")
        return ch

    def _target(self, ref: str) -> EmChannel:
        ch = self.channels.get(ref) or self.channel_by_name(ref)
        if ch is None and ref[:1] in "UW" and ref in self.users:
            ch = next((c for c in self.channels.values() if c.is_im and ref in c.members), None)
            if ch is None:
                ch = EmChannel(
                    _new_id("D"),
                    ref,
                    ref,
                    int(time.time()),
                    is_private=True,
                    members={ref, self.bot_user_id},
                    is_im=True,
                )
                self.channels[ch.id] = ch
        return self._writable(self._channel({"channel": ch.id if ch else ref}))

    def _message(self, channel_id: str, ts: str) -> EmMessage:
        found = next((m for m in self.messages if m.channel == channel_id and m.ts == ts), None)
        if found is None:
            raise _Fail("message_not_found")
        return found

    def _content(self, p: Json) -> tuple[str, list[Json] | None]:
        text = str(p.get("text") or "")
        blocks = _check_blocks(_decoded(p, "blocks", "invalid_blocks_format"))
        if not text.strip() and not blocks and not p.get("attachments"):
            raise _Fail("no_text")
        if len(text) > 40_000:
            raise _Fail("msg_too_long")
        return text, blocks

    def _metadata(self, p: Json) -> Json | None:
        meta = _decoded(p, "metadata", "invalid_metadata_format")
        if meta is not None and not (
            isinstance(meta, dict)
            and meta.get("event_type")
            and isinstance(meta.get("event_payload"), dict)
        ):
            raise _Fail("invalid_metadata_format")
        return meta

    def _channel_obj(self, ch: EmChannel) -> Json:
        if ch.is_im:
            user = next(iter(ch.members - {self.bot_user_id}), ch.name)
            return {
                "id": ch.id,
                "is_im": True,
                "user": user,
                "created": ch.created,
                "is_archived": False,
                "is_org_shared": False,
            }
        return {
            "id": ch.id,
            "name": ch.name,
            "name_normalized": ch.name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": ch.is_private,
            "created": ch.created,
            "creator": ch.creator,
            "is_archived": ch.is_archived,
            "is_general": ch.name == "general",
            "is_member": self.bot_user_id in ch.members,
            "topic": {"value": ch.topic, "creator": "", "last_set": 0},
            "purpose": {"value": ch.purpose, "creator": "", "last_set": 0},
            "num_members": len(ch.members),
        }

    def _message_obj(self, m: EmMessage, with_metadata: bool = True) -> Json:
        out: Json = {
            "type": "message",
            "user": m.user,
            "text": m.text,
            "ts": m.ts,
            "team": self.team_id,
        }
        if m.user == self.bot_user_id:
            out |= {"bot_id": BOT_ID, "app_id": APP_ID}
        if m.blocks is not None:
            out["blocks"] = m.blocks
        replies = [r for r in self.messages if r.thread_ts == m.ts and r.ts != m.ts]
        if m.thread_ts or replies:
            out["thread_ts"] = m.thread_ts or m.ts
        if replies:
            out |= {"reply_count": len(replies), "latest_reply": replies[-1].ts}
        if m.metadata is not None and with_metadata:
            out["metadata"] = m.metadata
        if m.edited:
            out["edited"] = {"user": m.user, "ts": m.ts}
        if m.reactions:
            out["reactions"] = [
                {"name": n, "users": u, "count": len(u)} for n, u in m.reactions.items()
            ]
        if m.ts in self.pins.get(m.channel, []):
            out["pinned_to"] = [m.channel]
        if m.files:
            out |= {"files": m.files, "upload": True}
        return out

    def _usergroup_users(self, p: Json) -> Json:
        group = _arg(p, "usergroup")
        if group not in self.usergroups:
            raise _Fail("no_such_subteam")
        return {"users": sorted(self.usergroups[group])}

    def _user_obj(self, u: EmUser) -> Json:
        try:
            label = datetime.now(ZoneInfo(u.tz)).tzname() or u.tz
        except (ZoneInfoNotFoundError, ValueError):
            label = u.tz
        return {
            "id": u.id,
            "team_id": self.team_id,
            "name": u.name,
            "real_name": u.real_name,
            "deleted": False,
            "tz": u.tz,
            "tz_label": label,
            "tz_offset": u.tz_offset,
            "is_bot": u.is_bot,
            "is_admin": False,
            "is_app_user": False,
            "profile": {
                "real_name": u.real_name,
                "display_name": u.name,
                "real_name_normalized": u.real_name,
                "display_name_normalized": u.name,
            },
        }

    # ----- Web API methods ---------------------------------------------------------------
    def _auth_test(self, p: Json) -> Json:
        return {
            "url": "https://emulator.slack.test/",
            "team": "Emulator",
            "user": "warroom",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _create(self, p: Json) -> Json:
        name = str(p.get("name") or "")
        if not name:
            raise _Fail("invalid_name_required")
        if len(name) > 80:
            raise _Fail("invalid_name_maxlength")
        if not _NAME_RE.fullmatch(name):
            raise _Fail("invalid_name_specials")
        if not name.strip("-_"):
            raise _Fail("invalid_name_punctuation")
        if self.channel_by_name(name) is not None:
            raise _Fail("name_taken")
        ch = EmChannel(
            _new_id("C"),
            name,
            self.bot_user_id,
            int(time.time()),
            members={self.bot_user_id},
            is_private=_truthy(p.get("is_private")),
        )
        self.channels[ch.id] = ch
        return {"channel": self._channel_obj(ch)}

    def _invite(self, p: Json) -> Json:
        ch = self._writable(self._channel(p))
        raw = p.get("users")
        listed = ",".join(map(str, raw)) if isinstance(raw, list) else _arg(p, "users")
        ids = [u.strip() for u in listed.split(",") if u.strip()]
        if self.bot_user_id in ids:
            raise _Fail("cant_invite_self")
        for user_id in ids:
            self._user(user_id)
        if not ids or ch.members.issuperset(ids):
            raise _Fail("already_in_channel" if ids else "no_user")
        ch.members.update(ids)
        return {"channel": self._channel_obj(ch)}

    def _join(self, p: Json) -> Json:
        ch = self._channel(p)
        if ch.is_private or ch.is_im:
            raise _Fail("method_not_supported_for_channel_type")
        if ch.is_archived:
            raise _Fail("is_archived")
        already = self.bot_user_id in ch.members
        ch.members.add(self.bot_user_id)
        out: Json = {"channel": self._channel_obj(ch)}
        return out | ({"warning": "already_in_channel"} if already else {})

    def _set_text(self, p: Json, key: str) -> Json:
        ch = self._channel(p)
        if key not in p:
            raise _Fail("invalid_arguments", [f"[ERROR] missing required field: {key}"])
        if len(str(p[key])) > 250:
            raise _Fail("too_long")
        setattr(self._writable(ch), key, str(p[key]))
        return {"channel": self._channel_obj(ch)}

    def _archive(self, p: Json) -> Json:
        ch = self._channel(p)
        if ch.is_archived:
            raise _Fail("already_archived")
        if ch.name == "general":
            raise _Fail("cant_archive_general")
        ch.is_archived = True
        return {}

    def _list(self, p: Json) -> Json:
        skip = _truthy(p.get("exclude_archived"))
        chans = [
            self._channel_obj(c)
            for c in self.channels.values()
            if not c.is_im
            and not (skip and c.is_archived)
            and (not c.is_private or self.bot_user_id in c.members)
        ]
        return {"channels": chans, "response_metadata": {"next_cursor": ""}}

    def _members(self, p: Json) -> Json:
        members = sorted(self._channel(p).members)
        return {"members": members, "response_metadata": {"next_cursor": ""}}

    def _history(self, p: Json) -> Json:
        ch = self._channel(p)
        try:
            limit = int(p.get("limit") or 100)
        except ValueError as exc:
            raise _Fail("invalid_limit") from exc
        oldest, latest = _ts_key(p.get("oldest") or 0), _ts_key(p.get("latest") or "1e12")
        inclusive = _truthy(p.get("inclusive"))
        found = [
            m
            for m in reversed(self.history(ch.id))
            if m.thread_ts in (None, m.ts)
            and (
                oldest <= _ts_key(m.ts) <= latest if inclusive else oldest < _ts_key(m.ts) < latest
            )
        ]
        meta = _truthy(p.get("include_all_metadata"))
        return {
            "messages": [self._message_obj(m, meta) for m in found[:limit]],
            "has_more": len(found) > limit,
            "pin_count": len(self.pins.get(ch.id, [])),
            "response_metadata": {"next_cursor": ""},
        }

    def _replies(self, p: Json) -> Json:
        ch, ts = self._channel(p), _arg(p, "ts")
        try:
            parent = self._message(ch.id, ts)
        except _Fail as exc:
            raise _Fail("thread_not_found") from exc
        thread = [parent, *(m for m in self.history(ch.id) if m.thread_ts == ts and m.ts != ts)]
        meta = _truthy(p.get("include_all_metadata"))
        return {"messages": [self._message_obj(m, meta) for m in thread], "has_more": False}

    def _post(self, p: Json) -> Json:
        ch = self._target(_arg(p, "channel"))
        text, blocks = self._content(p)
        thread_ts = str(p["thread_ts"]) if p.get("thread_ts") else None
        msg = self._append(ch.id, self.bot_user_id, text, blocks, thread_ts, self._metadata(p))
        return {"channel": ch.id, "ts": msg.ts, "message": self._message_obj(msg)}

    def _update(self, p: Json) -> Json:
        ch = self._channel(p)
        msg = self._message(ch.id, _arg(p, "ts"))
        if msg.user != self.bot_user_id:
            raise _Fail("cant_update_message")
        if ch.is_archived:
            raise _Fail("is_archived")
        if p.get("text") is None and p.get("blocks") is None:
            raise _Fail("no_text")
        blocks = _check_blocks(_decoded(p, "blocks", "invalid_blocks_format"))
        if p.get("text") is not None:
            msg.text = str(p["text"])
        if blocks is not None:
            msg.blocks = blocks or None
        if p.get("metadata"):
            msg.metadata = self._metadata(p)
        msg.edited = True
        return {"channel": ch.id, "ts": msg.ts, "text": msg.text, "message": self._message_obj(msg)}

    def _ephemeral(self, p: Json) -> Json:
        ch, user = self._channel(p), self._user(_arg(p, "user"))
        text, blocks = self._content(p)
        if user.id not in ch.members:
            raise _Fail("user_not_in_channel")
        self._writable(ch)
        self.ephemerals.append({"channel": ch.id, "user": user.id, "text": text, "blocks": blocks})
        return {"message_ts": self._next_ts()}

    def _pin(self, p: Json) -> Json:
        ch = self._writable(self._channel(p))
        msg = self._message(ch.id, _arg(p, "timestamp"))
        pinned = self.pins.setdefault(ch.id, [])
        if msg.ts in pinned:
            raise _Fail("already_pinned")
        pinned.append(msg.ts)
        return {}

    def _pins_list(self, p: Json) -> Json:
        ch = self._channel(p)
        return {
            "items": [
                {
                    "type": "message",
                    "channel": ch.id,
                    "created_by": self.bot_user_id,
                    "message": self._message_obj(self._message(ch.id, ts)),
                }
                for ts in self.pins.get(ch.id, [])
            ]
        }

    def _react(self, p: Json) -> Json:
        ch = self._channel(p)
        msg = self._message(ch.id, _arg(p, "timestamp"))
        users = msg.reactions.setdefault(_arg(p, "name").strip(":"), [])
        if self.bot_user_id in users:
            raise _Fail("already_reacted")
        users.append(self.bot_user_id)
        return {}

    def _views_open(self, p: Json) -> Json:
        trigger = _arg(p, "trigger_id")
        issued = self._triggers.pop(trigger, None)
        if issued is None:
            raise _Fail("invalid_trigger_id")
        if time.monotonic() - issued > self.trigger_ttl:
            raise _Fail("expired_trigger_id")
        view = self._store_view(_check_view(_decoded(p, "view", "invalid_arguments")), None)
        self.views.append({"trigger_id": trigger, "view": view})
        return {"view": view}

    def _views_update(self, p: Json) -> Json:
        view_id = p.get("view_id") or next(
            (
                v["id"]
                for v in self._open_views.values()
                if p.get("external_id") and v.get("external_id") == p.get("external_id")
            ),
            None,
        )
        if view_id not in self._open_views:
            raise _Fail("not_found")
        view = _check_view(_decoded(p, "view", "invalid_arguments"))
        return {"view": self._store_view(view, str(view_id))}

    def _store_view(self, view: Json, view_id: str | None) -> Json:
        view_id = view_id or _new_id("V")
        stored: Json = {
            "team_id": self.team_id,
            "callback_id": "",
            "private_metadata": "",
            "external_id": "",
            "state": {"values": {}},
            "root_view_id": view_id,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            **view,
            "id": view_id,
            "hash": f"{time.time():.6f}.{secrets.token_hex(4)}",
        }
        self._open_views[view_id] = stored
        return stored

    def _upload_url(self, p: Json) -> Json:
        name, length = _arg(p, "filename"), _arg(p, "length")
        if not length.isdigit():
            raise _Fail("invalid_arguments", ["[ERROR] length must be an integer"])
        file_id = _new_id("F")
        self.files[file_id] = {
            "id": file_id,
            "name": name,
            "title": name,
            "content": b"",
            "channel": None,
        }
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _channel_canvas(self, p: Json) -> Json:
        channel = self._channel(p, "channel_id")
        if channel.id in self.canvases:
            raise _Fail("channel_canvas_already_exists")
        content = _decoded(p, "document_content", "invalid_arguments") or {}
        self.canvases[channel.id] = str(content.get("markdown", ""))
        return {"canvas_id": _new_id("F")}

    def _complete_upload(self, p: Json) -> Json:
        items = _decoded(p, "files", "invalid_arguments")
        if (
            not isinstance(items, list)
            or not items
            or not all(isinstance(i, dict) and i.get("id") in self._uploaded for i in items)
        ):
            raise _Fail("invalid_arguments", ["[ERROR] files were not uploaded"])
        target = p.get("channel_id") or str(p.get("channels") or "").split(",")[0]
        ch = self._target(str(target)) if target else None
        files = [self.files[i["id"]] for i in items]
        for item, f in zip(items, files, strict=True):
            f["title"] = item.get("title") or f["name"]
            f["channel"] = ch.id if ch else None
        if ch is not None:
            thread_ts = str(p["thread_ts"]) if p.get("thread_ts") else None
            msg = self._append(
                ch.id, self.bot_user_id, str(p.get("initial_comment") or ""), None, thread_ts, None
            )
            msg.files = [{"id": f["id"], "name": f["name"], "title": f["title"]} for f in files]
        return {
            "files": [
                {
                    "id": f["id"],
                    "name": f["name"],
                    "title": f["title"],
                    "size": len(f["content"]),
                    "channels": [ch.id] if ch else [],
                }
                for f in files
            ]
        }
