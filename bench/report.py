"""The benchmark's one table: measurement, warroom, floor, target, PASS/MISS, notes."""

from __future__ import annotations

import math
import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

PASS, MISS, INFO = "PASS", "MISS", "—"

# Row names, in table order; the smoke test checks every one of them is present. The write
# path's rows come once per combination, after its name: "SQLite, HTTP: ack p50 @1 (ms)".
ACK_P50_1 = "ack p50 @1 (ms)"
ACK_P99_32 = "ack p99 @32 (ms)"
RATIO_P50_1 = "ratio warroom/floor, p50 @1"
RATIO_P99_32 = "ratio warroom/floor, p99 @32"
CPU_32 = "server CPU per ack @32 (ms)"
ERRORS = "errors"
POSTED = "updates recorded & posted"
DRAIN = "last update posted after the last ack (s)"
READY = "declare to ready after the burst, median (ms)"
COMBO_ROWS = (
    ACK_P50_1,
    ACK_P99_32,
    RATIO_P50_1,
    RATIO_P99_32,
    CPU_32,
    ERRORS,
    POSTED,
    DRAIN,
    READY,
)
COMBOS = ("SQLite, HTTP", "SQLite, Socket Mode", "PostgreSQL, HTTP", "PostgreSQL, Socket Mode")
POSTMORTEM = "post-mortem render, median (ms)"
COLD_STATUS = "/status, first GET after start (ms)"
# The public page under wrk at 64 connections against the static floor, per path:
# "/status: requests/s @64 (wrk)".
PAGE_PATHS = ("/status", "summary.json")
PAGE_RPS = "requests/s @64 (wrk)"
PAGE_P99 = "p99 @64 (ms)"
PAGE_ERRORS = "errors @64"
PAGE_RATIO = "ratio warroom/floor, requests/s @64"
PAGE_ROWS = (PAGE_RPS, PAGE_P99, PAGE_ERRORS, PAGE_RATIO)
HAMMERED_ACK_P99 = "ack p99 while /status is hammered (ms)"
HAMMERED_ACK_MAX = "ack max while /status is hammered (ms)"
NO_WRK = "status page load @64 (wrk)"  # the one line when wrk is not installed
STALL_MAX = "longest event-loop stall while the page is rebuilt (ms)"
STALL_P99 = "GET /status.css p99 while the page is rebuilt (ms)"
RSS_UPDATES = "peak RSS VmHWM, updates server (MiB)"
RSS_PAGES = "peak RSS VmHWM, pages server (MiB)"
RSS_SAMPLED_UPDATES = "peak RSS sampled, updates server (MiB)"
RSS_SAMPLED_PAGES = "peak RSS sampled, pages server (MiB)"
ROW_NAMES = (
    POSTMORTEM,
    COLD_STATUS,
    *(f"{path}: {row}" for path in PAGE_PATHS for row in PAGE_ROWS),
    HAMMERED_ACK_P99,
    HAMMERED_ACK_MAX,
    NO_WRK,
    STALL_MAX,
    STALL_P99,
    RSS_UPDATES,
    RSS_PAGES,
    RSS_SAMPLED_UPDATES,
    RSS_SAMPLED_PAGES,
)


@dataclass(frozen=True)
class CpuSnapshot:
    """CPU seconds the whole machine and this benchmark (with its children) had used."""

    machine_busy: float
    machine_total: float
    ours: float
    load: float

    @classmethod
    def take(cls) -> CpuSnapshot:
        """Read /proc/stat and this process's times (children count once reaped)."""
        tick = os.sysconf("SC_CLK_TCK")
        try:
            values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:9]]
        except (OSError, ValueError):
            values = [0] * 8
        idle = values[3] + values[4]  # idle + iowait
        times = os.times()
        ours = times.user + times.system + times.children_user + times.children_system
        return cls((sum(values) - idle) / tick, sum(values) / tick, ours, os.getloadavg()[0])


def noise_line(before: CpuSnapshot, after: CpuSnapshot) -> str:
    """Describe how busy other processes kept the machine while the benchmark ran."""
    total = after.machine_total - before.machine_total
    other = max(0.0, after.machine_busy - before.machine_busy - (after.ours - before.ours))
    share = 100 * other / total if total > 0 else math.nan
    return (
        f"- other processes used {other:.0f} CPU-s while this ran ({share:.0f}% of the "
        f"machine's capacity; 1-minute load average {before.load:.2f} at the start, "
        f"{after.load:.2f} at the end): the higher, the noisier these numbers"
    )


@dataclass(frozen=True)
class Row:
    name: str
    warroom: str
    floor: str = INFO
    target: str = INFO
    result: str = INFO
    notes: str = ""


def num(value: float | None, digits: int = 2) -> str:
    """Format a number for the table (n/a when missing)."""
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:,.{digits}f}"


def verdict(ok: bool) -> str:
    """Return PASS or MISS."""
    return PASS if ok else MISS


def cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def machine_lines(smoke: bool) -> list[str]:
    """Return the lines describing where and when the run happened."""
    cores = os.cpu_count() or 0
    return [
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}"
        + (" (smoke run: small n, numbers are not meaningful)" if smoke else ""),
        f"- machine: {platform.platform()}; CPU: {cpu_model()}; cores: {cores}",
        f"- Python {platform.python_version()} ({platform.python_implementation()}); "
        f"slack_bolt {_version('slack_bolt')}, aiohttp {_version('aiohttp')}, "
        f"SQLAlchemy {_version('SQLAlchemy')}, aiosqlite {_version('aiosqlite')}",
    ]


def render(rows: list[Row], *, smoke: bool, method: list[str], noise: str) -> str:
    """Return the whole report as Markdown."""
    head = ["Measurement", "warroom", "floor", "Target", "Result", "Notes"]
    lines = [
        "# warroom benchmark",
        "",
        *machine_lines(smoke),
        noise,
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---", "---:", "---:", "---", "---", "---"]) + "|",
    ]
    for row in rows:
        cells = [row.name, row.warroom, row.floor, row.target, row.result, row.notes]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    misses = [row.name for row in rows if row.result == MISS]
    lines += [
        "",
        f"Targets missed: {', '.join(misses)}." if misses else "Every target is met.",
        "",
        "How it was measured:",
        "",
        *(f"- {line}" for line in method),
    ]
    return "\n".join(lines) + "\n"
