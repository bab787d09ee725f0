"""A PostgreSQL cluster of a test's own: initdb into a temporary directory, pg_ctl on a free port.

A test that stops or kills PostgreSQL does it to such a cluster, never to a server it did not
start (other test sessions use the machine's shared one at the same time). initdb refuses to run
as root: as root (CI), initdb and pg_ctl run as the `postgres` OS user, who owns the directory.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tests.support import free_port

SERVER_ROOT = Path("/usr/lib/postgresql")  # Debian and Ubuntu: <version>/bin/{initdb,pg_ctl}
OS_USER = "postgres"
TOOLS = ("initdb", "pg_ctl", "createdb")


def server_binaries() -> Path | None:
    """Return the directory of the newest installed initdb, pg_ctl and createdb, or None.

    Looks in /usr/lib/postgresql/<version>/bin first, then on PATH (links followed).
    """
    found = [
        bindir
        for bindir in SERVER_ROOT.glob("*/bin")
        if all((bindir / tool).is_file() for tool in TOOLS)
    ]
    if found:
        return max(found, key=lambda p: _version(p.parent.name))
    initdb = shutil.which("initdb")
    bindir = Path(initdb).resolve().parent if initdb else None
    if bindir is not None and all((bindir / tool).is_file() for tool in TOOLS):
        return bindir
    return None


def _version(name: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in name.split("."))
    except ValueError:
        return (-1,)


class ThrowawayPostgres:
    """One initialised cluster in `root`, served on 127.0.0.1:`port` (trust auth, no fsync)."""

    def __init__(self, bindir: Path, root: Path, database: str = "warroom") -> None:
        self.bindir, self.root, self.database = bindir, root, database
        self.data = root / "data"
        self.log = root / "postgres.log"
        self.port = free_port()

    @property
    def url(self) -> str:
        """Return the URL of the test's database on this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    def init(self) -> None:
        """Create the cluster (superuser `postgres`, trust authentication)."""
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        """Start the server and return once it accepts connections."""
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._pg_ctl("-l", str(self.log), "-o", options, "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast: open sessions are cut off) and return once it is down."""
        self._pg_ctl("-m", mode, "-w", "-t", "30", "stop")

    def running(self) -> bool:
        """Return whether the server's postmaster is running."""
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def create_database(self) -> None:
        """Create the test's database."""
        self._run(
            "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", self.database
        )

    def _pg_ctl(self, *args: str) -> None:
        self._run("pg_ctl", "-D", str(self.data), *args)

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", OS_USER, "--", *command]
        done = subprocess.run(  # the server logs to self.log: no pipe stays open after pg_ctl
            command, cwd=self.root, capture_output=True, text=True, timeout=60, check=False
        )
        if check and done.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} exited with {done.returncode}:\n"
                f"{done.stdout}{done.stderr}\n{log}"
            )
        return done


@contextlib.contextmanager
def throwaway_postgres(bindir: Path, database: str = "warroom") -> Iterator[ThrowawayPostgres]:
    """Initialise and start a cluster with an empty `database`; stop it (immediate) and delete it
    at the end, whatever the test did to it."""
    root = Path(tempfile.mkdtemp(prefix="warroom-pg-"))  # not under pytest's 0700 directories
    try:
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam(OS_USER)
            except KeyError:
                raise RuntimeError(
                    f"initdb refuses root and there is no {OS_USER!r} user"
                ) from None
            os.chown(root, owner.pw_uid, owner.pw_gid)
        cluster = ThrowawayPostgres(bindir, root, database)
        cluster.init()
        cluster.start()
        try:
            cluster.create_database()
            yield cluster
        finally:
            if cluster.running():
                cluster.stop("immediate")
    finally:
        shutil.rmtree(root, ignore_errors=True)
