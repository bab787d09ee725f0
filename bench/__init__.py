"""warroom's benchmark: real server processes measured over HTTP (see bench.run)."""
