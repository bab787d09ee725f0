"""Signed slash commands, and timed HTTP load: latency percentiles, throughput, errors."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import hmac
import itertools
import json
import math
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass

import aiohttp

FORM = "application/x-www-form-urlencoded"
TEAM_ID, APP_ID = "T0EMULATOR", "A0WARROOM"

Request = Callable[[int], Awaitable[tuple[int, bytes]]]
Check = Callable[[int, bytes], str | None]  # (status, body) -> what was wrong, or None


@dataclass(frozen=True)
class Stats:
    """Latencies in milliseconds, throughput in requests per second."""

    n: int
    concurrency: int
    p50: float
    p99: float
    max: float
    throughput: float
    errors: int
    first_error: str | None = None


def percentile(ordered: Sequence[float], q: float) -> float:
    """Return the nearest-rank percentile `q` (0..100) of sorted values."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    """Return the median (the mean of the middle two for an even count)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


class Signer:
    """Slack's request signature (v0, HMAC-SHA256 of `v0:<timestamp>:<body>`)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()

    def headers(self, body: bytes) -> dict[str, str]:
        """Return the content type and signature headers for a form body."""
        ts = str(int(time.time()))
        digest = hmac.new(self.secret, b"v0:" + ts.encode() + b":" + body, hashlib.sha256)
        return {
            "Content-Type": FORM,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": "v0=" + digest.hexdigest(),
        }


def command_fields(
    *,
    channel_id: str,
    channel_name: str,
    user_id: str,
    user_name: str,
    text: str,
    response_url: str,
) -> dict[str, str]:
    """Return the fields of an `/incident <text>` invocation as Slack sends them (the form
    of an HTTP request, the payload of a Socket Mode envelope)."""
    return {
        "token": "emulator-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "emulator",
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": "/incident",
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"{int(time.time())}.1.bench",
    }


def reply_text(body: bytes) -> str:
    """Return the text of an ack: JSON `text`, else the body itself."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body.decode(errors="replace")
    return str(parsed.get("text") or "") if isinstance(parsed, dict) else ""


def expect_status(status: int, body: bytes) -> str | None:
    """Accept any 200."""
    return None if status == 200 else f"HTTP {status}: {body[:200]!r}"


def expect_reply(text: str) -> Check:
    """Accept a 200 whose ack text is exactly `text`."""

    def check(status: int, body: bytes) -> str | None:
        if status != 200:
            return f"HTTP {status}: {body[:200]!r}"
        got = reply_text(body)
        return None if got == text else f"reply {got[:200]!r}"

    return check


def signed_post(
    session: aiohttp.ClientSession, url: str, signer: Signer, body_of: Callable[[int], bytes]
) -> Request:
    """Return a request function that POSTs the i-th signed body to `url`."""

    async def send(i: int) -> tuple[int, bytes]:
        body = body_of(i)
        async with session.post(url, data=body, headers=signer.headers(body)) as response:
            return response.status, await response.read()

    return send


async def run_load(
    request: Request, *, n: int, concurrency: int, check: Check, limit: float
) -> Stats:
    """Send `n` requests, `concurrency` at a time; raise TimeoutError after `limit` seconds."""
    latencies: list[float] = []
    problems: list[str] = []
    indexes = itertools.count()

    async def worker() -> None:
        while (i := next(indexes)) < n:
            started = time.perf_counter()
            try:
                status, body = await request(i)
            except (aiohttp.ClientError, TimeoutError) as error:
                status, body = 0, repr(error).encode()
            latencies.append(time.perf_counter() - started)
            problem = check(status, body)
            if problem is not None:
                problems.append(problem)

    started = time.perf_counter()
    with not_collecting():
        async with asyncio.timeout(limit):
            await asyncio.gather(*(worker() for _ in range(concurrency)))
    return stats_of(latencies, problems, concurrency, time.perf_counter() - started)


@contextlib.contextmanager
def not_collecting() -> Iterator[None]:
    """Keep the load generator's cyclic garbage collector off while it times a run: one of
    its full collections (the emulators' holds every message posted: 17 ms each, late in a
    bench) would be counted as the server's latency, floor and warroom alike."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def stats_of(latencies: list[float], problems: list[str], concurrency: int, wall: float) -> Stats:
    """Return the statistics of one run: latencies in seconds, what went wrong, wall time."""
    ordered = sorted(x * 1000 for x in latencies)
    return Stats(
        n=len(ordered),
        concurrency=concurrency,
        p50=percentile(ordered, 50),
        p99=percentile(ordered, 99),
        max=ordered[-1] if ordered else math.nan,
        throughput=len(ordered) / wall if wall > 0 else math.nan,
        errors=len(problems),
        first_error=problems[0] if problems else None,
    )
