"""The floor: a bare Bolt app served the way warroom is served, whose `/incident` only acks.

Usage: `SLACK_SIGNING_SECRET=... SLACK_API_URL=http://127.0.0.1:N/api/ python -m bench.floor_app
--port 3001`; with `--socket` (and SLACK_APP_TOKEN) it takes its commands over Socket Mode, as
warroom does with SLACK_APP_TOKEN set, and serves only /healthz over HTTP, once connected.
Bolt's defaults are kept (`process_before_response=False`: the async runner starts
the listener as a task and polls for its ack every 10 ms), so this is the least a Bolt app served
by aiohttp costs per slash command. The token is set through the client so the one auth.test
Bolt makes goes to the local Slack emulator, never to slack.com. `AsyncApp` has no
`token_verification_enabled` (only the sync `App` does): the async app never checks its token
at construction; it calls auth.test once, on the first request (a warm-up), then caches it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

BOLT = web.AppKey("bolt", AsyncApp)


def build_bolt(*, token: str, signing_secret: str, api_url: str) -> AsyncApp:
    """Return the floor Bolt app: signature checked, no token check at start, ack only."""
    bolt = AsyncApp(
        client=AsyncWebClient(token=token, base_url=api_url),
        signing_secret=signing_secret,
        request_verification_enabled=True,
    )

    @bolt.command("/incident")
    async def handle_incident_command(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()

    return bolt


async def handle_slack_events_http(request: web.Request) -> web.StreamResponse:
    """Hand the request to Bolt, as handlers/http.py does."""
    response = await request.app[BOLT].async_dispatch(await to_bolt_request(request))
    return await to_aiohttp_response(response)


async def handle_healthz_http(_: web.Request) -> web.Response:
    """Answer 200: the floor has nothing to check."""
    return web.json_response({"status": "ok"})


def create_app(bolt: AsyncApp) -> web.Application:
    """Build the aiohttp application around the Bolt app."""
    app = web.Application(client_max_size=1024 * 1024)
    app[BOLT] = bolt
    app.router.add_post("/slack/events", handle_slack_events_http)
    app.router.add_get("/healthz", handle_healthz_http)
    return app


async def serve_socket_mode(bolt: AsyncApp, app_token: str, host: str, port: int) -> None:
    """Connect over Socket Mode, then answer /healthz until killed."""
    handler = AsyncSocketModeHandler(bolt, app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    runner = web.AppRunner(create_app(bolt), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    await asyncio.Event().wait()


def main() -> None:
    """Serve the floor app on 127.0.0.1."""
    parser = argparse.ArgumentParser(prog="python -m bench.floor_app")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--socket", action="store_true", help="take commands over Socket Mode")
    args = parser.parse_args()
    bolt = build_bolt(
        token=os.environ.get("SLACK_BOT_TOKEN", "xoxb-emulator"),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        api_url=os.environ.get("SLACK_API_URL", "http://127.0.0.1:9/api/"),
    )
    if args.socket:
        asyncio.run(serve_socket_mode(bolt, os.environ["SLACK_APP_TOKEN"], args.host, args.port))
        return
    web.run_app(create_app(bolt), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
