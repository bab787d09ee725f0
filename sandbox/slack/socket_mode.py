"""Socket Mode: the app's WebSocket, envelopes sent down it, and the acks that come back."""

from __future__ import annotations

import asyncio
import json
import uuid

from aiohttp import WSMsgType, web

from sandbox.slack.args import Json


class SocketMode:
    """The connections apps.connections.open hands out, and envelopes awaiting their ack."""

    def __init__(self) -> None:
        self._sockets: list[web.WebSocketResponse] = []
        self._acks: dict[str, asyncio.Future[Json]] = {}

    @property
    def connected(self) -> bool:
        """Return whether an app is connected."""
        return bool(self._sockets)

    async def serve(self, request: web.Request) -> web.StreamResponse:
        """Hold one app connection: say hello, then match acks to the envelopes sent."""
        ws = web.WebSocketResponse(heartbeat=None)
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": len(self._sockets)})
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._ack(json.loads(message.data))
        finally:
            self._sockets.remove(ws)
        return ws

    def _ack(self, data: Json) -> None:
        future = self._acks.pop(str(data.get("envelope_id")), None)
        if future is not None and not future.done():
            future.set_result(data)

    async def send(self, kind: str, payload: Json, limit: float = 5.0) -> Json:
        """Deliver an envelope over the newest connection and return its ack."""
        envelope_id = uuid.uuid4().hex
        future: asyncio.Future[Json] = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = future
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
