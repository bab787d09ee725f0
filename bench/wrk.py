"""HTTP load from wrk (a separate C process, so the bench's own loop is not what is measured)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import shutil
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bench.procs import BenchError

THREADS, CONNECTIONS = 2, 64
# wrk prints times in us, ms, s, m or h, and sizes in B, KB, MB ... (powers of 1,024).
_TIME = {"us": 0.001, "ms": 1.0, "s": 1_000.0, "m": 60_000.0, "h": 3_600_000.0}
_SIZE = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_NUMBER = r"([\d.]+)"
T = TypeVar("T")


@dataclass(frozen=True)
class WrkRun:
    """What wrk reported for one run: latencies in ms, throughput in requests per second."""

    requests: int
    seconds: float
    throughput: float
    p50: float
    p99: float
    max: float
    bad_status: int  # responses other than 2xx or 3xx
    socket_errors: dict[str, int]  # connect, read, write, timeout
    bytes_read: float

    @property
    def errors(self) -> int:
        """Return the failed requests: bad statuses plus socket errors (timeouts included)."""
        return self.bad_status + sum(self.socket_errors.values())

    @property
    def bytes_per_response(self) -> float:
        """Return the mean bytes read per response, headers included."""
        return self.bytes_read / self.requests if self.requests else math.nan


def wrk_path() -> str | None:
    """Return where wrk is installed, None when it is not."""
    return shutil.which("wrk")


def _sockets(pid: int) -> int:
    """Return how many sockets the process holds open (0 once it is gone)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return 0
    count = 0
    for fd in fds:
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
    return count


async def _connected(process: asyncio.subprocess.Process, connections: int) -> None:
    """Wait until wrk holds its connections (it prints nothing to a pipe before the end)."""
    deadline = time.monotonic() + 5.0
    while process.returncode is None and time.monotonic() < deadline:
        if _sockets(process.pid) >= connections:
            return
        await asyncio.sleep(0.01)
    # Not there in 5 s: let wrk's own report tell why (its connect errors).


def _duration_ms(value: str, unit: str) -> float:
    return float(value) * _TIME[unit]


def _find(pattern: str, text: str) -> re.Match[str]:
    found = re.search(pattern, text, re.MULTILINE)
    if found is None:
        raise BenchError(f"wrk's output has no {pattern!r}:\n{text}")
    return found


def parse_wrk(text: str) -> WrkRun:
    """Read what `wrk --latency` printed."""
    p50 = _find(rf"^\s+50%\s+{_NUMBER}(us|ms|s|m|h)$", text)
    p99 = _find(rf"^\s+99%\s+{_NUMBER}(us|ms|s|m|h)$", text)
    latency_max = _find(rf"^\s+Latency\s+\S+\s+\S+\s+{_NUMBER}(us|ms|s|m|h)\s", text)
    done = _find(rf"^\s+(\d+) requests in {_NUMBER}(s|m|h), {_NUMBER}(B|KB|MB|GB|TB) read", text)
    bad = re.search(r"^\s+Non-2xx or 3xx responses: (\d+)", text, re.MULTILINE)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    counts = [int(n) for n in sockets.groups()] if sockets else [0, 0, 0, 0]
    return WrkRun(
        requests=int(done.group(1)),
        seconds=_duration_ms(done.group(2), done.group(3)) / 1000,
        throughput=float(_find(rf"^Requests/sec:\s+{_NUMBER}", text).group(1)),
        p50=_duration_ms(*p50.groups()),
        p99=_duration_ms(*p99.groups()),
        max=_duration_ms(*latency_max.groups()),
        bad_status=int(bad.group(1)) if bad else 0,
        socket_errors=dict(zip(("connect", "read", "write", "timeout"), counts, strict=True)),
        bytes_read=float(done.group(4)) * _SIZE[done.group(5)],
    )


async def run_wrk(
    url: str,
    *,
    seconds: float,
    headers: Sequence[str] = (),
    meanwhile: Callable[[asyncio.Event], Coroutine[object, object, T]] | None = None,
) -> tuple[WrkRun, T | None]:
    """Run `wrk -t2 -c64 --latency` against `url` for `seconds`; while it runs, `meanwhile`
    (started once wrk holds its connections, told by the event when wrk is done) may work.
    Return wrk's figures and what `meanwhile` returned."""
    path = wrk_path()
    if path is None:
        raise BenchError("wrk is not installed")
    argv = [path, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "--latency"]
    for header in headers:
        argv += ["-H", header]
    process = await asyncio.create_subprocess_exec(
        *argv, url, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    assert process.stdout is not None
    done = asyncio.Event()
    side: asyncio.Task[T] | None = None
    try:
        async with asyncio.timeout(seconds + 60):
            if meanwhile is not None:
                await _connected(process, CONNECTIONS)
                side = asyncio.create_task(meanwhile(done))
            output = (await process.stdout.read()).decode(errors="replace")
            await process.wait()
            done.set()
            extra = await side if side else None
    finally:
        if side is not None and not side.done():
            side.cancel()
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0:
        raise BenchError(f"wrk {url} exited with {process.returncode}:\n{output}")
    return parse_wrk(output), extra
