"""The benchmark still runs end to end (small n). Its numbers are not asserted: only that it
measures everything and reports each row with a number."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Each combination's rows: the write path over SQLite or PostgreSQL, HTTP or Socket Mode.
COMBO_ROWS = (
    "ack p50 @1 (ms)",
    "ack p99 @32 (ms)",
    "ratio warroom/floor, p50 @1",
    "ratio warroom/floor, p99 @32",
    "server CPU per ack @32 (ms)",
    "errors",
    "updates recorded & posted",
    "last update posted after the last ack (s)",
    "declare to ready after the burst, median (ms)",
)
SQLITE = ("SQLite, HTTP", "SQLite, Socket Mode")
POSTGRES = ("PostgreSQL, HTTP", "PostgreSQL, Socket Mode")
OTHER_ROWS = (
    "post-mortem render, median (ms)",
    "/status, first GET after start (ms)",
    "longest event-loop stall while the page is rebuilt (ms)",
    "GET /status.css p99 while the page is rebuilt (ms)",
    "peak RSS VmHWM, updates server (MiB)",
    "peak RSS VmHWM, pages server (MiB)",
    "peak RSS sampled, updates server (MiB)",
    "peak RSS sampled, pages server (MiB)",
)
# The public page under wrk, against the static floor; and the acks sent meanwhile.
PAGE_ROWS = (
    *(
        f"{path}: {row}"
        for path in ("/status", "summary.json")
        for row in (
            "requests/s @64 (wrk)",
            "p99 @64 (ms)",
            "errors @64",
            "ratio warroom/floor, requests/s @64",
        )
    ),
    "ack p99 while /status is hammered (ms)",
    "ack max while /status is hammered (ms)",
)
NO_WRK = "status page load @64 (wrk)"
# Rows measured on the floor too: their floor cell must hold a number as well.
WITH_FLOOR = ("ack p50 @1", "ack p99 @32", "server", "errors", "peak", "requests/s @64", "p99 @64")
NUMBER = re.compile(r"^\d[\d,]*(\.\d+)?(/\d+)?$")


def _table(text: str) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("| Measurement"):
            cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
            rows[cells[0]] = cells[1:]
    return rows


def test_bench_run_smoke_reports_every_row_with_numbers(tmp_path: Path) -> None:
    out = tmp_path / "r.md"
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=480,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    text = out.read_text()
    assert text == done.stdout
    table = _table(text)
    # PostgreSQL runs where the tests have one (CI); elsewhere the report says it did not.
    combos = SQLITE + (POSTGRES if os.environ.get("TEST_DATABASE_URL") else ())
    rows = [f"{combo}: {row}" for combo in combos for row in COMBO_ROWS] + list(OTHER_ROWS)
    # wrk runs where it is installed (CI installs it); elsewhere one line says it did not.
    if shutil.which("wrk"):
        rows += PAGE_ROWS
    else:
        assert "wrk is not installed" in table[NO_WRK][-1]
    for name in rows:
        assert name in table, f"row {name!r} missing from:\n{text}"
        warroom, floor, _target, result, _notes = table[name]
        assert NUMBER.match(warroom), f"{name}: warroom {warroom!r} is not a number"
        if name.split(": ")[-1].startswith(WITH_FLOOR):
            assert NUMBER.match(floor), f"{name}: floor {floor!r} is not a number"
        assert result in {"PASS", "MISS", "—"}, f"{name}: result {result!r}"
    assert "machine:" in text
    assert "Python 3." in text
