"""Faults queued by tests: Slack errors, 429s with Retry-After, HTML error pages, delays."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import Enum
from typing import assert_never

from aiohttp import web

_DOWN_PAGE = "<html><body><h1>Slack is temporarily unavailable</h1></body></html>"


class FaultKind(Enum):
    FAIL = "fail"  # 200 {"ok": false, "error": error}
    RATE_LIMIT = "429"  # 429 ratelimited, Retry-After: number
    HTTP = "http"  # HTML error page with status number
    DELAY = "delay"  # sleep number seconds, then answer normally


@dataclass
class Fault:
    method: str  # a Web API method, or "*" for any
    kind: FaultKind
    error: str = ""
    number: float = 0.0
    remaining: int = 1


class FaultQueue:
    """Faults in the order queued; the first that matches a call is spent on it."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault."""
        self._faults.append(fault)

    def clear(self) -> None:
        """Drop every queued fault."""
        self._faults.clear()

    def take(self, method: str) -> Fault | None:
        """Spend one use of the first fault matching method, if any."""
        fault = next((f for f in self._faults if f.method in (method, "*")), None)
        if fault is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
        return fault


async def act(fault: Fault) -> web.StreamResponse | None:
    """Play the fault: return the answer it stands for, or None to answer normally after it."""
    match fault.kind:
        case FaultKind.DELAY:
            await asyncio.sleep(fault.number)
            return None
        case FaultKind.FAIL:
            return web.json_response({"ok": False, "error": fault.error})
        case FaultKind.RATE_LIMIT:
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(int(fault.number))},
            )
        case FaultKind.HTTP:
            return web.Response(status=int(fault.number), text=_DOWN_PAGE, content_type="text/html")
        case _:
            assert_never(fault.kind)
