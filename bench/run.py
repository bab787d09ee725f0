"""warroom's benchmark: real server processes, measured over HTTP on 127.0.0.1, in one run.

Usage:

    .venv/bin/python -m bench.run                 # the full run, a few minutes
    .venv/bin/python -m bench.run --smoke         # small n, for CI (tests/bench)
    .venv/bin/python -m bench.run --out FILE.md   # where the report goes (bench/results.md)

What runs, each in its own process so memory and CPU are per process:

- `bench.emulators`: the Slack and Statuspage emulators, with a small control API the bench
  reads the emulated workspace through (channels, messages, when a channel became ready), and
  sends Socket Mode load through (envelopes down the app's WebSocket, timed to their ack frame).
- `bench.floor_app`: the floor, a bare Bolt app served by aiohttp exactly as warroom is (or over
  Socket Mode, `--socket`), whose `/incident` only acks (Bolt's default runner: the ack is
  polled for every 10 ms).
- `warroom serve` (`python -m bot serve`) four times, each on a fresh database: SQLite and
  PostgreSQL (a database of its own on the local server, when it answers), each over HTTP and
  over Socket Mode; then once more (the pages server) on a SQLite database holding 1,000
  resolved and 3 open public incidents.
- `bench.static_app`: the status page's floor, a bare aiohttp process serving from memory the
  very bytes and headers the pages server answered for `/status` and `/api/v2/summary.json`.
- `wrk` (Debian's package; when it is not installed, one row says so and the rest still runs),
  the HTTP load on the status page: `wrk -t2 -c64 --latency -H 'Accept-Encoding: gzip'`.

What is measured (the report says how, and against which target):

1. For each of the four: `/incident update` acks at concurrency 1 and 32 (n=400 each after 20
   warm-ups; over HTTP signed like Slack signs them, over Socket Mode as envelopes): p50, p99,
   max, throughput, errors, the server's CPU per ack, against the floor on the same transport.
2. That every update was recorded (database) and posted, once, in the incident channel
   (emulator), and how long after the last ack the last one was posted.
3. Declare to ready, right after that burst (its updates may still be being posted): from
   sending `declare` to the incident channel existing with its first message (the pinned
   summary), seen by a 1 ms poll in the emulator process; median of 20.
4. The post-mortem draft of an incident with 10,000 timeline entries, rendered in-process.
5. The public status page of the pages server: the first `GET /status` after start; then for
   `/status` and `/api/v2/summary.json`, requests/s, p99 and errors under wrk at 64
   connections (10 s each), against the static floor serving the same bytes; `/incident update`
   acks sent every 200 ms to the same server while wrk hammers its `/status`; and the longest
   stall of its event loop (a `GET /status.css` every 5 ms) while the page is rebuilt after 10
   public changes.
6. Peak memory of each server: VmHWM at the end, and VmRSS sampled every 100 ms.

The exit status is 0 when every measurement was taken, whether or not targets were met; it is 1
when one could not be taken (a server did not start, a phase timed out ...). All children are
stopped and the temporary directory removed on the way out, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
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
from bench.pages import PageBench
from bench.phases import SMOKE, Bench, Combo, Sizes
from bench.procs import ROOT, BenchError, Children
from bench.rows import Results
from bench.servers import PostgresStore, Servers, SqliteStore, Store

METHOD = [
    "every server is its own process, started as in production (`python -m bot serve`), on "
    "127.0.0.1; HTTP load comes from this process over one aiohttp session (keep-alive, at most "
    "64 connections); Socket Mode load from the emulators' process, down the app's WebSocket; the "
    "emulators run in a third process",
    "ack latency is the client's time from sending the signed request (or the envelope) to "
    "having read the whole response (or the ack frame); percentiles are nearest-rank; "
    "throughput is requests / wall time of the run; the load generators (this process, the "
    "emulators' for Socket Mode) keep their garbage collector off while they time a run, so "
    "that their own pauses are not counted as a server's latency",
    "an error is a non-200, or (warroom) an ack other than `Update recorded on INC-<n>.`",
    "the floor (a bare Bolt app that only acks, on the same transport) is measured just before "
    "each combination, so the two runs of a ratio share the machine's state of the moment",
    "CPU per ack is the server process's user + system time over the run at 32, divided by its "
    "acks: warroom's includes whatever its outbox relay did meanwhile",
    "updates are posted by warroom's outbox relay after the ack; the bench counts their unique "
    "markers in the emulated channel, and the recorded ones in the database; each warroom run "
    "(warm-up, @1, @32) starts once the previous run's updates are all delivered (outbox "
    "empty); the time to the last post is from the last ack of the run at 32 to the Slack ts "
    "of the last update posted",
    "declare to ready is timed with CLOCK_MONOTONIC, shared by the bench and emulator "
    "processes; the first declare is sent as the burst's last ack comes back, each next one as "
    "soon as the one before is ready",
    "warroom/floor ratios below 1 mean warroom is faster, but for requests/s, where 1 is as "
    "fast as the floor",
    "the status page: the bench first GETs /status and /api/v2/summary.json from the pages "
    "server twice (as is, and with Accept-Encoding: gzip; raw bytes, never decompressed), and "
    "the static floor (bench.static_app) replays those statuses, headers (all but length, date, "
    "server and hop-by-hop ones, which aiohttp sets) and bodies from memory, the gzip variant "
    "to clients accepting gzip; neither writes an access log (warroom's aiohttp access logger "
    "is below INFO, the floor has none); wrk -t2 -c64 --latency with Accept-Encoding: gzip "
    "then loads warroom and the floor in turn, on the same 2 cores; an error is a non-2xx/3xx "
    "or a socket error (connect, read, write, or wrk's 2 s timeout); percentiles are wrk's",
    "while wrk loads warroom's /status, a signed `/incident update` is sent to the same server "
    "every 200 ms (each without waiting for the one before), in the channel of an incident "
    "declared there first (the pages server, not an updates server: the acks share the process, "
    "event loop and database with the page being hammered); acks are timed like the others",
    "event-loop stall: the pages server is sent GET /status.css (a cheap route) one after "
    "the other, at most one every 5 ms, while the bench writes a public status message on an "
    "open incident with the storage functions and bumps the public version, as a command "
    "would (from the bench's process: warroom sees it as another replica's change, at its next "
    "poll of the version), then polls /status (If-None-Match of its ETag, when it has one) "
    "every 50 ms until another page is served, and probes 0.5 s more before the next change "
    "(a first change, unprobed, warms the bench's own writer); the longest probe is the "
    "longest the event loop was unavailable, give or take a probe's own cost (its median is "
    "in the notes)",
]


COMBOS = [
    Combo(backend, socket) for backend in ("SQLite", "PostgreSQL") for socket in (False, True)
]


def postgres_admin_url() -> str:
    """Return where to create the PostgreSQL combinations' databases."""
    return (
        os.environ.get("BENCH_POSTGRES_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or "postgresql://postgres@127.0.0.1:5432/postgres"
    )


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
            for index, combo in enumerate(COMBOS):
                # The floor right before each combination: a shared machine's speed drifts
                # over a run, and a ratio should compare two runs made under the same drift.
                acks, child = await bench.floor(socket=combo.socket)
                results.floors[combo], results.children[child.label] = acks, child
                await _measure_combo(results, bench, servers, combo, workdir / f"bench-{index}.db")
            history = SqliteStore(history_db)
            pages, url = await servers.start_warroom("warroom-pages", history)
            results.children["warroom-pages"] = pages
            try:
                results.pages = await PageBench(bench, workdir).measure(url, history)
            finally:
                pages.stop()
        finally:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
            children.stop_all()
    return results


async def _measure_combo(
    results: Results, bench: Bench, servers: Servers, combo: Combo, sqlite_path: Path
) -> None:
    """Measure the write path of one combination on a fresh database of its own."""
    postgres = None
    if combo.backend == "PostgreSQL":
        postgres = await PostgresStore.create(postgres_admin_url())
        if postgres is None:
            results.skipped.append(f"{combo.name}: PostgreSQL did not answer")
            return
    store: Store = postgres or SqliteStore(sqlite_path)
    label = "warroom" if not results.combos else f"warroom-{len(results.combos)}"
    server, url = await servers.start_warroom(label, store, socket=combo.socket)
    results.children[label] = server
    try:
        results.combos[combo] = await bench.updates(server, url, store, socket=combo.socket)
    finally:
        server.stop()
        if postgres is not None:
            await postgres.drop()


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
        *(f"not run: {why}" for why in results.skipped),
    ]
    noise = r.noise_line(before, r.CpuSnapshot.take())
    text = r.render(results.rows(), smoke=args.smoke, method=method, noise=noise)
    sys.stdout.write(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
