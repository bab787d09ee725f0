"""The report's rows for the public status page: load against the floor, acks, stalls."""

from __future__ import annotations

from dataclasses import replace

from bench import report as r
from bench.load import median, percentile
from bench.pages import ACK_EVERY, SUMMARY, PageLoad, PageResults
from bench.phases import Sizes
from bench.stalls import STATUS
from bench.wrk import CONNECTIONS, THREADS

KIB = 1024
RPS_SHARE = 0.5  # warroom's requests/s at least half the floor's
ACK_LIMIT_MS = 3000.0  # Slack's 3 s, which the acks must stay well inside
STALL_LIMIT_MS = 50.0
LABELS = dict(zip((STATUS, SUMMARY), r.PAGE_PATHS, strict=True))


def page_rows(pages: PageResults, sizes: Sizes) -> list[r.Row]:
    """Return the status page's rows, in table order."""
    history = f"{sizes.history:,} resolved + {sizes.open_incidents} open public incidents, SQLite"
    summary_first = pages.cold[SUMMARY]
    rows = [
        r.Row(
            r.COLD_STATUS,
            r.num(pages.cold[STATUS]),
            notes=f"{history}; the first request after /healthz answered (the page is rendered "
            f"then, unless at start); summary.json's first: {r.num(summary_first)} ms",
        )
    ]
    if not pages.loads:
        rows.append(
            r.Row(r.NO_WRK, "n/a", notes="not measured: wrk is not installed (apt-get install wrk)")
        )
    for path, load in pages.loads.items():
        rows += [replace(row, name=f"{LABELS[path]}: {row.name}") for row in _load_rows(load)]
    if pages.acks is not None:
        rows += _ack_rows(pages, sizes)
    return [*rows, *_stall_rows(pages)]


def _load_rows(load: PageLoad) -> list[r.Row]:
    ours, floor = load.warroom, load.floor
    ok = ours.throughput >= RPS_SHARE * floor.throughput
    how = (
        f"wrk -t{THREADS} -c{CONNECTIONS} -d{ours.seconds:.0f}s, Accept-Encoding: gzip; "
        f"{ours.requests:,} vs {floor.requests:,} requests; body {load.body_bytes / KIB:.1f} "
        f"KiB, ≈{ours.bytes_per_response / KIB:.1f} vs {floor.bytes_per_response / KIB:.1f} KiB "
        "read per response; floor: bare aiohttp serving warroom's bytes and headers from memory"
    )
    sockets = ", ".join(f"{k} {ours.socket_errors[k]}" for k in ours.socket_errors)
    return [
        r.Row(
            r.PAGE_RPS,
            r.num(ours.throughput, 0),
            r.num(floor.throughput, 0),
            f"≥ {RPS_SHARE} x floor",
            r.verdict(ok),
            how,
        ),
        r.Row(
            r.PAGE_P99,
            r.num(ours.p99),
            r.num(floor.p99),
            notes=f"p50 {r.num(ours.p50)} vs {r.num(floor.p50)}; max {r.num(ours.max)} vs "
            f"{r.num(floor.max)}",
        ),
        r.Row(
            r.PAGE_ERRORS,
            str(ours.errors),
            str(floor.errors),
            "0",
            r.verdict(ours.errors == 0),
            f"warroom's: non-2xx/3xx {ours.bad_status}; sockets: {sockets} (wrk's 2 s timeout)",
        ),
        r.Row(
            r.PAGE_RATIO,
            r.num(ours.throughput / floor.throughput if floor.throughput else None),
            target=f"≥ {RPS_SHARE:.2f}",
            result=r.verdict(ok),
            notes="warroom's requests/s over the floor's: 1 is as fast as the floor",
        ),
    ]


def _ack_rows(pages: PageResults, sizes: Sizes) -> list[r.Row]:
    acks = pages.acks
    assert acks is not None
    notes = (
        f"/incident update, signed HTTP, one sent every {ACK_EVERY * 1000:.0f} ms (not waiting "
        f"for the one before) while wrk hammers /status ({sizes.wrk_seconds:g} s), to the same "
        f"server: n={acks.n}, p50 {r.num(acks.p50)}, "
        f"errors {acks.errors}" + (f", first: {acks.first_error}" if acks.first_error else "")
    )
    return [
        r.Row(
            r.HAMMERED_ACK_P99,
            r.num(acks.p99),
            target=f"< {ACK_LIMIT_MS:.0f}",
            result=r.verdict(acks.p99 < ACK_LIMIT_MS and acks.errors == 0),
            notes=notes,
        ),
        r.Row(
            r.HAMMERED_ACK_MAX,
            r.num(acks.max),
            target=f"< {ACK_LIMIT_MS:.0f}",
            result=r.verdict(acks.max < ACK_LIMIT_MS and acks.errors == 0),
        ),
    ]


def _stall_rows(pages: PageResults) -> list[r.Row]:
    stalls = pages.stalls
    ordered = sorted(stalls.probes)
    longest = ordered[-1] if ordered else None
    return [
        r.Row(
            r.STALL_MAX,
            r.num(longest),
            target=f"< {STALL_LIMIT_MS:.0f}",
            result=r.verdict(longest is not None and longest < STALL_LIMIT_MS),
            notes=f"the slowest of {len(ordered):,} GET /status.css, one every 5 ms, while "
            f"{len(stalls.seen_after)} public changes were rebuilt; each change served "
            f"{r.num(median(stalls.seen_after), 0)} ms after it was written (median)",
        ),
        r.Row(
            r.STALL_P99,
            r.num(percentile(ordered, 99)),
            notes=f"median {r.num(median(ordered))} ms: a request's own cost",
        ),
    ]
