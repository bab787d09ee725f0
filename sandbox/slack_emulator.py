"""In-process fake of Slack's Web API, faithful to its shapes, for tests and the offline demo.

`SlackEmulator` composes the parts in `sandbox.slack`: the workspace state, one module of
method handlers per API family (dispatched by `web_api`), Socket Mode, and queued faults.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from aiohttp import web

from sandbox.server import LocalServer, Shared
from sandbox.slack import files, home, interactions, people, render, response_urls, views, web_api
from sandbox.slack.args import Json
from sandbox.slack.faults import Fault, FaultKind, FaultQueue
from sandbox.slack.socket_mode import SocketMode
from sandbox.slack.workspace import APP_ID, BOT_ID, EmChannel, EmMessage, EmUser, Workspace

__all__ = ["APP_ID", "BOT_ID", "EmChannel", "EmMessage", "EmUser", "Json", "SlackEmulator"]


class SlackEmulator(LocalServer):
    """A fake Slack workspace answering the Web API over HTTP."""

    bot_token = Shared[str]()
    app_token = Shared[str]()
    team_id = Shared[str]()
    bot_user_id = Shared[str]()
    users = Shared[dict[str, EmUser]]()
    channels = Shared[dict[str, EmChannel]]()
    messages = Shared[list[EmMessage]]()
    pins = Shared[dict[str, list[str]]]()
    ephemerals = Shared[list[Json]]()
    responses = Shared[list[Json]]()
    views = Shared[list[Json]]()
    calls = Shared[list[tuple[str, Json]]]()
    call_times = Shared[list[float]]()
    files = Shared[dict[str, Json]]()
    canvases = Shared[dict[str, str]]()
    usergroups = Shared[dict[str, set[str]]]()
    usergroup_handles = Shared[dict[str, str]]()
    bookmarks = Shared[dict[str, list[Json]]]()
    trigger_ttl = Shared[float]()
    team_domain = Shared[str]()
    scopes = Shared[frozenset[str] | None]()
    rate_scale = Shared[float]()
    rate_limited = Shared[list[tuple[str, str | None, float]]]()
    homes = Shared[dict[str, Json]]()  # user id -> the Home view published for them

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-emulator",
        app_token: str = "xapp-emulator",
        team_id: str = "T0EMULATOR",
        bot_user_id: str = "UWARROOM",
        users: Iterable[EmUser] = (),
        channels: Iterable[tuple[str, str]] = (),
        team_domain: str = "warroom-emulator",
        scopes: Iterable[str] | None = None,
        rate_scale: float = 1.0,
    ) -> None:
        """Start empty but for these people and channels.

        `scopes`: the bot token's granted scopes (None: all). `rate_scale` multiplies Slack's
        rate-limit windows (0.01: 100 times faster; 0: no limits); below 1, Retry-After is sent
        as decimal seconds ("0.013"), since a scaled window can be shorter than a second (see
        `sandbox.slack.limits`). Every 429 the limits give is in `rate_limited`.
        """
        self.state = Workspace(
            bot_token=bot_token,
            app_token=app_token,
            team_id=team_id,
            bot_user_id=bot_user_id,
            users=users,
            channels=channels,
            base_url=lambda: self.base_url,
            team_domain=team_domain,
            scopes=None if scopes is None else frozenset(scopes),
            rate_scale=rate_scale,
        )
        self._faults = FaultQueue()
        self._socket = SocketMode()

    def make_app(self) -> web.Application:
        """Build the aiohttp application serving the emulated endpoints."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{url_id}", partial(response_urls.receive, self.state))
        app.router.add_post("/upload/{file_id}", partial(files.receive_upload, self.state))
        app.router.add_get("/socket", self._socket.serve)
        return app

    async def _api(self, request: web.Request) -> web.StreamResponse:
        self.remember_base(request)
        return await web_api.answer(self.state, self._faults, request)

    @property
    def api_url(self) -> str:
        """Return the Web API base URL for slack_sdk's base_url."""
        return self.base_url + "/api/"

    # ----- Socket Mode ----------------------------------------------------------------
    @property
    def socket_connected(self) -> bool:
        """Return whether an app is connected over Socket Mode."""
        return self._socket.connected

    async def socket_send(self, kind: str, payload: Json, limit: float = 5.0) -> Json:
        """Deliver an envelope (`slash_commands`, `interactive`, `events_api`); return its ack."""
        return await self._socket.send(kind, payload, limit)

    # ----- helpers for tests and the demo ----------------------------------------------
    def channel_by_name(self, name: str) -> EmChannel | None:
        """Find a (possibly archived) channel by name."""
        return self.state.channel_by_name(name)

    def history(self, channel_id: str) -> list[EmMessage]:
        """Return a channel's messages, oldest first, thread replies included."""
        return self.state.history(channel_id)

    def add_message(
        self,
        channel_id: str,
        user_id: str,
        text: str,
        thread_ts: str | None = None,
        *,
        broadcast: bool = False,
    ) -> EmMessage:
        """Post a message as a (human) user, bypassing the API; `broadcast` also shows a reply."""
        return self.state.append(
            channel_id, user_id, text, None, thread_ts, None, broadcast=broadcast
        )

    def message_json(self, channel_id: str, ts: str) -> Json:
        """Return a message as the API shows it now: a snapshot for the driver's events."""
        return people.message_json(self.state, channel_id, ts)

    def edit_message(self, channel_id: str, ts: str, text: str) -> EmMessage:
        """Edit a message as its author would, marking it edited at a fresh timestamp."""
        return people.edit_message(self.state, channel_id, ts, text)

    def delete_message(self, channel_id: str, ts: str) -> EmMessage:
        """Delete a message as a person would; later reads answer message_not_found."""
        return people.delete_message(self.state, channel_id, ts)

    def add_reaction(self, channel_id: str, ts: str, user_id: str, name: str) -> EmMessage:
        """React to a message as a person would."""
        return people.add_reaction(self.state, channel_id, ts, user_id, name)

    def archive_channel(self, channel_id: str) -> EmChannel:
        """Archive a channel as a person would."""
        return people.set_archived(self.state, channel_id, True)

    def unarchive_channel(self, channel_id: str) -> EmChannel:
        """Unarchive a channel as a person would (the bot's token cannot)."""
        return people.set_archived(self.state, channel_id, False)

    def new_response_url(self) -> str:
        """Issue a response URL whose POSTs are recorded in responses."""
        return response_urls.new_response_url(self.state)

    def new_trigger_id(self, user_id: str | None = None) -> str:
        """Issue a single-use trigger id for views.open, for what `user_id` did, if given."""
        return views.new_trigger_id(self.state, user_id)

    def opened_view(self, *, callback_id: str | None = None, user_id: str | None = None) -> Json:
        """Return the newest view opened for user_id / with callback_id, as it stands now."""
        return interactions.opened_view(self.state, callback_id=callback_id, user_id=user_id)

    def home_text(self, user_id: str) -> str:
        """Return what the person's Home tab shows now, as they read it ("" if nothing)."""
        return home.home_text(self.state, user_id)

    def transcript(self, channel_id: str) -> str:
        """Render a channel as a person would read it."""
        return render.transcript(self.state, channel_id)

    def render_message(self, message: EmMessage) -> str:
        """Render one message as a person would read it, as `transcript` does."""
        return render.message(self.state, message)

    def render_text(self, text: str) -> str:
        """Return Slack markup as a person reads it."""
        return render.render_text(self.state, text)

    # ----- faults ------------------------------------------------------------------------
    def fail(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next `times` calls of method with {"ok": false, "error": error}."""
        self._faults.add(Fault(method, FaultKind.FAIL, error=error, remaining=times))

    def rate_limit(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next `times` calls of method with HTTP 429 and Retry-After."""
        self._faults.add(Fault(method, FaultKind.RATE_LIMIT, number=retry_after, remaining=times))

    def http_error(self, method: str, status: int = 503, times: int = 1) -> None:
        """Answer the next `times` calls of method with an HTML error page."""
        self._faults.add(Fault(method, FaultKind.HTTP, number=status, remaining=times))

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """Sleep before answering the next `times` calls of method."""
        self._faults.add(Fault(method, FaultKind.DELAY, number=seconds, remaining=times))

    def clear_faults(self) -> None:
        """Drop every queued fault."""
        self._faults.clear()
