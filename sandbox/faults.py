"""Faults an emulator's edge can be told to inject: an error status, a delay, a lost answer."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web


@dataclass
class Fault:
    method: str  # an HTTP method, or "*"
    path: str  # a path suffix, or "*"
    remaining: int
    status: int = 0  # 0 with `seconds`: a delay, then the normal answer
    seconds: float = 0.0
    retry_after: int | None = None
    after: bool = False  # the request takes effect, then this status answers (a lost answer)

    def matches(self, request: web.Request) -> bool:
        """Return whether this fault applies to the request."""
        same_method = self.method in ("*", request.method)
        return same_method and (self.path == "*" or request.path.endswith(self.path))
