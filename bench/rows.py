"""The report's rows: what one run measured, against its targets."""

from __future__ import annotations

from dataclasses import replace

from bench import report as r
from bench.load import Stats, median
from bench.page_rows import page_rows
from bench.pages import PageResults
from bench.phases import Acks, Combo, Sizes, Updates
from bench.procs import Child

MIB = 1024 * 1024
RSS_TARGET_MIB = 150.0


def _mib(value: int | None) -> float | None:
    return value / MIB if value is not None else None


class Results:
    """Everything one run measured, turned into the report's rows."""

    def __init__(self, sizes: Sizes) -> None:
        self.sizes = sizes
        self.floors: dict[Combo, Acks] = {}  # measured just before each combination
        self.combos: dict[Combo, Updates] = {}
        self.postmortem: tuple[list[float], int] = ([], 0)
        self.history_seconds = 0.0
        self.pages: PageResults | None = None
        self.children: dict[str, Child] = {}
        self.skipped: list[str] = []  # why a combination did not run

    def rows(self) -> list[r.Row]:
        """Return the table rows."""
        assert self.pages is not None
        rows = [row for combo, u in self.combos.items() for row in self._combo_rows(combo, u)]
        pages = page_rows(self.pages, self.sizes)
        return [*rows, self._postmortem_row(), *pages, *self._rss_rows()]

    def _combo_rows(self, combo: Combo, u: Updates) -> list[r.Row]:
        floor = self.floors[combo]
        f1, f32, w1, w32 = floor.c1, floor.c32, u.acks.c1, u.acks.c32
        n = (
            f"n={self.sizes.n} after {self.sizes.warmup} warm-ups; floor: bare Bolt, same "
            "transport, measured just before"
        )
        at32 = (
            f"p50 {r.num(w32.p50)} vs {r.num(f32.p50)}; max {r.num(w32.max)} vs "
            f"{r.num(f32.max)}; {r.num(w32.throughput, 0)} vs {r.num(f32.throughput, 0)} acks/s"
        )
        cpu_ok = u.acks.cpu_ms <= floor.cpu_ms + 1.0
        ready = median(u.ready)
        ready_notes = (
            f"n={len(u.ready)}, min {r.num(min(u.ready))}, max {r.num(max(u.ready))}; the first "
            "declared as the burst's last ack came back, with its updates still being posted"
            if u.ready
            else ""
        )
        rows = [
            r.Row(r.ACK_P50_1, r.num(w1.p50), r.num(f1.p50), "≤ floor", _le(w1.p50, f1.p50), n),
            r.Row(
                r.ACK_P99_32,
                r.num(w32.p99),
                r.num(f32.p99),
                "≤ 1.5 x floor",
                _le(w32.p99, 1.5 * f32.p99),
                at32,
            ),
            r.Row(
                r.RATIO_P50_1, r.num(w1.p50 / f1.p50), target="≤ 1.00", result=_le(w1.p50, f1.p50)
            ),
            r.Row(
                r.RATIO_P99_32,
                r.num(w32.p99 / f32.p99),
                target="≤ 1.50",
                result=_le(w32.p99, 1.5 * f32.p99),
            ),
            r.Row(
                r.CPU_32,
                r.num(u.acks.cpu_ms),
                r.num(floor.cpu_ms),
                "≤ floor + 1",
                r.verdict(cpu_ok),
                "user + system time of the server process over the run at 32, per ack "
                "(warroom's includes its outbox relay, at work meanwhile)",
            ),
            _errors(w1, w32, f1, f32),
            self._posted_row(u),
            r.Row(
                r.DRAIN,
                r.num(u.drain_seconds, 1),
                target="≤ 10",
                result=r.verdict(u.drain_seconds <= 10),
                notes="Slack emulated, answering at once",
            ),
            r.Row(
                r.READY,
                r.num(ready),
                target="< 150",
                result=r.verdict(ready < 150),
                notes=ready_notes,
            ),
        ]
        return [replace(row, name=f"{combo.name}: {row.name}") for row in rows]

    def _posted_row(self, u: Updates) -> r.Row:
        duplicates = u.posted_total - u.posted
        ok = u.recorded == u.sent and u.posted == u.sent and duplicates == 0
        notes = (
            f"recorded {u.recorded}, posted {u.posted} (+{duplicates} duplicates) of {u.sent} "
            "sent (warm-ups included)"
        )
        value = f"{min(u.recorded, u.posted)}/{u.sent}"
        return r.Row(r.POSTED, value, target="all, once", result=r.verdict(ok), notes=notes)

    def _postmortem_row(self) -> r.Row:
        times, size = self.postmortem
        value = median(times)
        notes = (
            f"{self.sizes.postmortem_entries:,} entries of mixed kinds, "
            f"median of {len(times)}; draft {size / MIB:.1f} MiB"
        )
        return r.Row(
            r.POSTMORTEM, r.num(value), target="< 300", result=r.verdict(value < 300), notes=notes
        )

    def _rss_rows(self) -> list[r.Row]:
        floor = self.children.get("floor")  # the HTTP floor, beside warroom on SQLite, HTTP
        rows: list[r.Row] = []
        for label, hwm_name, sampled_name in (
            ("warroom", r.RSS_UPDATES, r.RSS_SAMPLED_UPDATES),
            ("warroom-pages", r.RSS_PAGES, r.RSS_SAMPLED_PAGES),
        ):
            child = self.children.get(label)
            hwm = _mib(child.hwm if child else None)
            sampled = _mib(child.rss_peak if child else None)
            rows.append(
                r.Row(
                    hwm_name,
                    r.num(hwm, 1),
                    r.num(_mib(floor.hwm if floor else None), 1),
                    f"< {RSS_TARGET_MIB:.0f}",
                    r.verdict(hwm is not None and hwm < RSS_TARGET_MIB),
                    "MiB; VmHWM from /proc/<pid>/status just before the server was stopped",
                )
            )
            rows.append(
                r.Row(
                    sampled_name,
                    r.num(sampled, 1),
                    r.num(_mib(floor.rss_peak if floor else None), 1),
                    notes="MiB; highest VmRSS sampled every 100 ms",
                )
            )
        rows.sort(key=lambda row: r.ROW_NAMES.index(row.name))
        return rows


def _le(value: float, bound: float) -> str:
    return r.verdict(value <= bound)


def _errors(w1: Stats, w32: Stats, f1: Stats, f32: Stats) -> r.Row:
    first = w1.first_error or w32.first_error
    notes = f"at 1 and 32; warroom's first: {first}" if first else "at 1 and 32"
    if f1.first_error or f32.first_error:
        notes += f"; floor's first: {f1.first_error or f32.first_error}"
    ours, floors = w1.errors + w32.errors, f1.errors + f32.errors
    return r.Row(r.ERRORS, str(ours), str(floors), "0", r.verdict(ours == 0), notes)
