"""Child processes of the benchmark: free ports, start, wait for health, memory, stop."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
_PASS_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")

try:  # optional: psutil reads RSS the same way, through /proc
    psutil: Any = importlib.import_module("psutil")
except ImportError:
    psutil = None


class BenchError(Exception):
    """A measurement could not be taken at all (a server did not start, ...)."""


def free_port() -> int:
    """Return a port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    """Return a minimal environment (no inherited SLACK_* or DATABASE_URL) plus `extra`."""
    env = {k: os.environ[k] for k in _PASS_THROUGH if k in os.environ}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM the child if the benchmark dies without cleaning up."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _status_kib(pid: int, key: str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def _rss_bytes(pid: int) -> int | None:
    if psutil is not None:
        try:
            return int(psutil.Process(pid).memory_info().rss)
        except (psutil.Error, OSError):  # the process is gone
            return None
    kib = _status_kib(pid, "VmRSS")
    return kib * 1024 if kib is not None else None


@dataclass
class Child:
    """One server process and what was observed of its memory."""

    label: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    rss_peak: int = 0  # bytes, the highest VmRSS sampled every 100 ms
    hwm: int | None = None  # bytes, VmHWM read just before stopping

    @property
    def pid(self) -> int:
        """Return the process ID."""
        return self.popen.pid

    def alive(self) -> bool:
        """Return whether the process still runs."""
        return self.popen.poll() is None

    def sample(self) -> None:
        """Read VmRSS once and keep the highest value."""
        rss = _rss_bytes(self.pid) if self.alive() else None
        if rss is not None:
            self.rss_peak = max(self.rss_peak, rss)

    def cpu_seconds(self) -> float:
        """Return the CPU time (user + system, all threads) the process has used so far."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return math.nan
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def tail(self, lines: int = 25) -> str:
        """Return the end of the process's output, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, grace: float = 5.0) -> None:
        """Record the peak memory, then SIGTERM (SIGKILL after `grace` seconds)."""
        if self.alive():
            self.sample()
            kib = _status_kib(self.pid, "VmHWM")
            if kib is not None:
                self.hwm = kib * 1024
            self.popen.terminate()
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=grace)


class Children:
    """Every process the benchmark started; all are stopped by `stop_all`."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started: list[Child] = []

    def start(self, label: str, argv: Sequence[str], env: Mapping[str, str]) -> Child:
        """Start a process in the work directory, its output going to a log file there."""
        log_path = self.workdir / f"{label}.log"
        with log_path.open("wb") as log:
            popen = subprocess.Popen(
                list(argv),
                cwd=self.workdir,  # so no stray .env is found by the bot's load_dotenv
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            )
        child = Child(label, popen, log_path)
        self.started.append(child)
        return child

    async def sample_forever(self, interval: float = 0.1) -> None:
        """Sample every live child's RSS every `interval` seconds until cancelled."""
        while True:
            for child in self.started:
                child.sample()
            await asyncio.sleep(interval)

    def stop_all(self) -> None:
        """Stop every child that still runs."""
        for child in reversed(self.started):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                child.stop()


async def wait_http(
    session: aiohttp.ClientSession, url: str, child: Child, *, limit: float = 30.0
) -> float:
    """Poll `url` until it answers 200; return the seconds it took. Raise if the child dies."""
    started = time.monotonic()
    deadline = started + limit
    while time.monotonic() < deadline:
        if not child.alive():
            raise BenchError(f"{child.label} exited with {child.popen.returncode}:\n{child.tail()}")
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (aiohttp.ClientError, TimeoutError):
            pass
        await asyncio.sleep(0.05)
    raise BenchError(f"{child.label} did not answer {url} in {limit:.0f} s:\n{child.tail()}")
