"""wrk's report is read into numbers: throughput, percentiles in ms, and every kind of error."""

from __future__ import annotations

import pytest

from bench.procs import BenchError
from bench.wrk import parse_wrk

CLEAN = """Running 10s test @ http://127.0.0.1:40123/status
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.31ms    3.02ms   1.02s    91.08%
    Req/Sec     2.61k   201.88     3.07k    80.00%
  Latency Distribution
     50%  950.00us
     75%   13.16ms
     90%   15.76ms
     99%   45.12ms
  52123 requests in 10.01s, 1.20GB read
Requests/sec:   5207.09
Transfer/sec:    122.88MB
"""

FAILING = """Running 1s test @ http://127.0.0.1:40123/api/v2/summary.json
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.50s   300.00ms   1.99s    70.00%
    Req/Sec     10.00      5.00    20.00     50.00%
  Latency Distribution
     50%    1.40s
     75%    1.70s
     90%    1.90s
     99%    1.99s
  40 requests in 1.00m, 20.00KB read
  Socket errors: connect 0, read 3, write 0, timeout 12
  Non-2xx or 3xx responses: 5
Requests/sec:     39.96
Transfer/sec:     19.98KB
"""


def test_parse_wrk_clean_run_reads_units_as_ms_and_no_errors() -> None:
    run = parse_wrk(CLEAN)
    assert (run.requests, run.seconds, run.throughput) == (52123, 10.01, 5207.09)
    assert (run.p50, run.p99, run.max) == pytest.approx((0.95, 45.12, 1020.0))
    assert run.errors == 0
    assert run.bytes_read == 1.2 * 1024**3


def test_parse_wrk_counts_bad_statuses_and_socket_errors() -> None:
    run = parse_wrk(FAILING)
    assert (run.seconds, run.p50, run.p99) == (60.0, 1400.0, 1990.0)
    assert run.bad_status == 5
    assert run.socket_errors == {"connect": 0, "read": 3, "write": 0, "timeout": 12}
    assert run.errors == 20
    assert run.bytes_per_response == 512.0


def test_parse_wrk_without_a_report_raises() -> None:
    with pytest.raises(BenchError, match="wrk's output"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")
