"""The Slack and Statuspage emulators in their own process, plus a small control API.

Run by bench.run as `python -m bench.emulators --slack-port A --statuspage-port B
--control-port C`; it serves until SIGTERM or SIGINT. Kept out of the bench process so the
emulators' work (the bot's outbox traffic) never competes with the load generator for its GIL
or event loop, and out of the measured server's process for the same reason.

The control API (127.0.0.1:C) lets the bench read the emulated workspace:

- `GET /bench/health`: 200 once everything listens.
- `POST /bench/response_url`: a fresh slash-command response URL.
- `GET /bench/channel?name=N`: the channel's ID and message count (404 if absent).
- `GET /bench/markers?channel=C&prefix=P`: how many messages in C carry `P-<digits>` markers,
  as distinct markers and in total (duplicates would mean a message was posted twice).
- `POST /bench/watch?on=1|0`: start or stop a 1 ms poll that notes when each channel the bot
  created first holds a message (on only while declares are timed: it costs CPU).
- `GET /bench/ready?contains=X&timeout=S`: waits until a channel the bot created, whose name
  contains X, holds its first message; answers the `time.monotonic()` at which the 1 ms poll
  first saw that. CLOCK_MONOTONIC is system-wide on Linux, so the bench compares it with its
  own clock.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
import time

from aiohttp import web

from bench.load import not_collecting
from sandbox.slack_emulator import EmUser, SlackEmulator
from sandbox.statuspage_emulator import StatuspageEmulator

GENERAL, ANNOUNCE = "C0GENERAL", "C0ANNOUNCE"
ALICE, BOB = "U0ALICE", "U0BOB"
USERS = [EmUser(ALICE, "alice", "Alice Ng"), EmUser(BOB, "bob", "Bob Okafor")]
COMPONENTS = ("API", "Checkout", "Dashboard")
BOT_TOKEN, APP_TOKEN = "xoxb-emulator", "xapp-emulator"
STATUSPAGE_KEY, STATUSPAGE_PAGE = "sp-emulator-key", "pg0emulator01"
POLL = 0.001
MAX_WAIT = 60.0


class Watcher:
    """Notes when each channel the bot created first holds a message, polling every 1 ms."""

    def __init__(self, slack: SlackEmulator) -> None:
        self.slack = slack
        self.ready: dict[str, float] = {}
        self._seen = 0
        self._with_messages: set[str] = set()

    def check(self) -> None:
        """Record the channels that became ready since the last check."""
        now = time.monotonic()
        messages = self.slack.messages
        for message in messages[self._seen :]:
            self._with_messages.add(message.channel)
        self._seen = len(messages)
        for channel in self.slack.channels.values():
            if (
                channel.creator == self.slack.bot_user_id
                and not channel.is_im
                and channel.name not in self.ready
                and channel.id in self._with_messages
            ):
                self.ready[channel.name] = now

    def find(self, contains: str) -> tuple[str, float] | None:
        """Return the ready channel whose name contains `contains`, and when it became ready."""
        return next(((n, t) for n, t in self.ready.items() if contains in n), None)


class Control:
    """The /bench/* routes."""

    def __init__(self, slack: SlackEmulator) -> None:
        self.slack = slack
        self.watcher = Watcher(slack)
        self._poller: asyncio.Task[None] | None = None

    def app(self) -> web.Application:
        """Build the control application."""
        app = web.Application()
        app.router.add_get("/bench/health", self.health)
        app.router.add_post("/bench/response_url", self.response_url)
        app.router.add_get("/bench/channel", self.channel)
        app.router.add_get("/bench/markers", self.markers)
        app.router.add_get("/bench/ready", self.ready)
        app.router.add_post("/bench/watch", self.watch)
        app.router.add_post("/bench/socket_load", self.socket_load)
        app.router.add_get("/bench/socket", self.socket)
        return app

    async def close(self) -> None:
        """Stop the poll, if it runs."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None

    async def watch(self, request: web.Request) -> web.Response:
        if request.query.get("on") == "1":
            if self._poller is None:
                self.watcher.check()
                self._poller = asyncio.create_task(_poll_forever(self.watcher), name="poll")
        else:
            await self.close()
        return web.json_response({"watching": self._poller is not None})

    async def health(self, _: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def response_url(self, _: web.Request) -> web.Response:
        return web.json_response({"url": self.slack.new_response_url()})

    async def channel(self, request: web.Request) -> web.Response:
        found = self.slack.channel_by_name(request.query.get("name", ""))
        if found is None:
            return web.json_response({"error": "not found"}, status=404)
        count = sum(1 for m in self.slack.messages if m.channel == found.id)
        return web.json_response({"id": found.id, "name": found.name, "messages": count})

    async def markers(self, request: web.Request) -> web.Response:
        channel, prefix = request.query.get("channel", ""), request.query.get("prefix", "")
        if not prefix:
            return web.json_response({"error": "prefix required"}, status=400)
        pattern = re.compile(re.escape(prefix) + r"-(\d+)")
        found = [
            (marker, float(m.ts))
            for m in self.slack.messages
            if m.channel == channel
            for marker in set(pattern.findall(m.text))
        ]
        return web.json_response(
            {
                "distinct": len({marker for marker, _ in found}),
                "total": len(found),
                "last_ts": max((ts for _, ts in found), default=0.0),
            }
        )

    async def socket(self, _: web.Request) -> web.Response:
        return web.json_response({"connected": self.slack.socket_connected})

    async def socket_load(self, request: web.Request) -> web.Response:
        """Send n slash commands down the app's Socket Mode connection, c at a time; answer each
        one's time from sending the envelope to reading its ack frame, and the ack texts."""
        spec = await request.json()
        n, concurrency, command = int(spec["n"]), int(spec["concurrency"]), dict(spec["command"])
        start = int(spec.get("start", 0))
        if not self.slack.socket_connected:
            return web.json_response({"error": "no app connected over Socket Mode"}, status=409)
        latencies: list[float] = []
        replies: list[str] = []
        indexes = iter(range(n))

        async def worker() -> None:
            for i in indexes:
                payload = {
                    **command,
                    "text": str(command["text"]).replace("{i}", f"{start + i:05d}"),
                }
                started = time.perf_counter()
                try:
                    ack = await self.slack.socket_send("slash_commands", payload, limit=30.0)
                except TimeoutError:
                    ack = {"payload": {"text": "(no ack within 30 s)"}}
                latencies.append(time.perf_counter() - started)
                body = ack.get("payload")
                replies.append(str(body.get("text") or "") if isinstance(body, dict) else "")

        started = time.perf_counter()
        with not_collecting():
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
        return web.json_response({"latencies": latencies, "replies": replies, "wall": wall})

    async def ready(self, request: web.Request) -> web.Response:
        contains = request.query.get("contains", "")
        try:
            timeout = min(float(request.query.get("timeout", "10")), MAX_WAIT)
        except ValueError:
            timeout = 10.0
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.watcher.check()
            hit = self.watcher.find(contains) if contains else None
            if hit is not None:
                return web.json_response({"name": hit[0], "at": hit[1]})
            await asyncio.sleep(POLL)
        return web.json_response({"error": "not ready"}, status=504)


async def _poll_forever(watcher: Watcher) -> None:
    while True:
        watcher.check()
        await asyncio.sleep(POLL)


async def serve(*, slack_port: int, statuspage_port: int, control_port: int) -> None:
    """Serve both emulators and the control API until SIGTERM or SIGINT."""
    slack = SlackEmulator(
        bot_token=BOT_TOKEN,
        app_token=APP_TOKEN,
        users=USERS,
        channels=[(GENERAL, "general"), (ANNOUNCE, "incidents")],
        rate_scale=0,  # the benchmark measures warroom, not Slack's rate limits
    )
    statuspage = StatuspageEmulator(
        api_key=STATUSPAGE_KEY,
        page_id=STATUSPAGE_PAGE,
        components=COMPONENTS,
        page_name="Bench Status",
    )
    await slack.start(port=slack_port)
    await statuspage.start(port=statuspage_port)
    control = Control(slack)
    runner = web.AppRunner(control.app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", control_port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await control.close()
        await runner.cleanup()
        await statuspage.stop()
        await slack.stop()


def main() -> None:
    """Parse the ports and serve."""
    parser = argparse.ArgumentParser(prog="python -m bench.emulators")
    parser.add_argument("--slack-port", type=int, required=True)
    parser.add_argument("--statuspage-port", type=int, required=True)
    parser.add_argument("--control-port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(
        serve(
            slack_port=args.slack_port,
            statuspage_port=args.statuspage_port,
            control_port=args.control_port,
        )
    )


if __name__ == "__main__":
    main()
