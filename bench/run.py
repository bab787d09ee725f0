"""warroom's benchmark: real server processes, measured over HTTP on 127.0.0.1, in one run.

Usage:

    .venv/bin/python -m bench.run                 # the full run, a few minutes
    .venv/bin/python -m bench.run --smoke         # small n, for CI (tests/bench)
    .venv/bin/python -m bench.run --out FILE.md   # where the report goes (bench/results.md)

What runs, each in its own process so memory and CPU are per process:

- `bench.emulators`: the Slack and Statuspage emulators, with a small control API the bench
  reads the emulated workspace through (channels, messages, when a channel became ready).
- `bench.floor_app`: the floor, a bare Bolt app served by aiohttp exactly as warroom is, whose
  `/incident` only acks (Bolt's default runner: the ack is polled for every 10 ms).
- `warroom serve` (`python -m bot serve`) on a fresh SQLite database, wired to the emulators;
  then a second `warroom serve` on a database holding 1,000 resolved public incidents.

What is measured (the report says how, and against which target):

1. `/incident update` acks, signed like Slack signs them, at concurrency 1 and 32 (n=400 each
   after 20 warm-ups): p50, p99, max, throughput, errors. The same for the floor's `/incident`.
2. That every update was recorded (database) and posted, once, in the incident channel
   (emulator), and how long after the last ack the last one was posted.
3. Declare to ready: from sending `declare` to the incident channel existing with its first
   message (the pinned summary), seen by a 1 ms poll in the emulator process; median of 20.
4. The post-mortem draft of an incident with 10,000 timeline entries, rendered in-process.
5. `GET /api/v2/summary.json` and `GET /status` with 1,000 incidents in history.
6. Peak memory of each server: VmHWM at the end, and VmRSS sampled every 100 ms.

The exit status is 0 when every measurement was taken, whether or not targets were met; it is 1
when one could not be taken (a server did not start, a phase timed out ...). All children are
stopped and the temporary directory removed on the way out, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import shutil
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from bench import report as r
from bench.data import build_history, time_postmortem
from bench.emulators import COMPONENTS
from bench.phases import SMOKE, Bench, Sizes
from bench.procs import ROOT, BenchError, Children
from bench.rows import Results
from bench.servers import Servers

METHOD = [
    "every server is its own process, started as in production (`python -m bot serve`), on "
    "127.0.0.1; the load comes from this process over one aiohttp session (keep-alive, at most "
    "64 connections); the emulators run in a third process",
    "ack latency is the client's time from sending the signed request to having read the whole "
    "response; percentiles are nearest-rank; throughput is requests / wall time of the run",
    "an error is a non-200, or (warroom) an ack other than `Update recorded on INC-<n>.`",
    "updates are posted by warroom's outbox relay after the ack; the bench counts their unique "
    "markers in the emulated channel, and the recorded ones in the database; each warroom run "
    "(warm-up, @1, @32) starts once the previous run's updates are all delivered (outbox "
    "empty), so no run inherits another's backlog",
    "declare to ready is timed with CLOCK_MONOTONIC, shared by the bench and emulator "
    "processes; each declare starts when the previous one's outbox is empty",
    "warroom/floor ratios below 1 mean warroom is faster",
]


async def measure(sizes: Sizes, workdir: Path) -> Results:
    """Run every phase and return what was measured."""
    results = Results(sizes)
    results.postmortem = time_postmortem(sizes.postmortem_entries, sizes.postmortem_repeat)
    history_db = workdir / "history.db"
    started = time.monotonic()
    await build_history(
        f"sqlite:///{history_db}",
        resolved=sizes.history,
        open_=sizes.open_incidents,
        components=COMPONENTS,
        now=datetime.now(UTC),
    )
    results.history_seconds = time.monotonic() - started
    children = Children(workdir)
    connector = aiohttp.TCPConnector(limit=64)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        servers = Servers(children, session, secrets.token_hex(16))
        bench = Bench(sizes, session, servers)
        sampler = asyncio.create_task(children.sample_forever(), name="rss sampler")
        try:
            await servers.start_emulators()
            results.floor, results.children["floor"] = await bench.floor()
            db = workdir / "bench.db"
            server, url = await servers.start_warroom("warroom", db)
            results.children["warroom"] = server
            try:
                results.updates = await bench.updates(server, url, db)
                results.ready = await bench.declare_to_ready(url, db)
            finally:
                server.stop()
            pages, url = await servers.start_warroom("warroom-pages", history_db)
            results.children["warroom-pages"] = pages
            try:
                results.summary = await bench.page(url + "/api/v2/summary.json")
                results.status = await bench.page(url + "/status")
            finally:
                pages.stop()
        finally:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
            children.stop_all()
    return results


def _terminated(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the report and write it to --out; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="small n: checks the bench runs")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.md")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else Sizes()
    # On SIGTERM, unwind like Ctrl-C does: children stopped, temporary directory removed.
    signal.signal(signal.SIGTERM, _terminated)
    workdir = Path(tempfile.mkdtemp(prefix="warroom-bench-"))
    before = r.CpuSnapshot.take()
    try:
        results = asyncio.run(measure(sizes, workdir))
    except (BenchError, TimeoutError, aiohttp.ClientError, OSError) as error:
        sys.stderr.write(f"bench: a measurement could not be taken: {error!r}\n")
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    method = [
        *METHOD,
        f"the history database was built with storage functions in {results.history_seconds:.1f} s",
    ]
    noise = r.noise_line(before, r.CpuSnapshot.take())
    text = r.render(results.rows(), smoke=args.smoke, method=method, noise=noise)
    sys.stdout.write(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
