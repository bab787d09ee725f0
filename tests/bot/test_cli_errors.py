"""Everything an operator can get wrong about the database gets one line, never a traceback;
commands that read never create a database; PostgreSQL URLs work as hosting providers give
them."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.bot.test_cli import REPO, run_cli
from tests.support import PG_URL, free_port, wait_until

NOT_ANSWERING = "postgresql://nope@127.0.0.1:1/x"
COMMANDS = (["migrate"], ["outbox"], ["postmortem", "INC-1"], ["outbox", "retry", "99"])


def on_server(database: str, query: str = "") -> str:
    """Return TEST_DATABASE_URL's server with another database name and query."""
    assert PG_URL is not None
    parts = urlsplit(PG_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", query, ""))


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert result.returncode != 0
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_database_not_answering_is_one_line(tmp_path: Path, command: list[str]) -> None:
    line = one_line(run_cli(command, tmp_path, {"DATABASE_URL": NOT_ANSWERING}))
    assert line.startswith(f"warroom: cannot use the database in DATABASE_URL ({NOT_ANSWERING})")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:x.db", "DATABASE_URL must be sqlite:///relative/path.db or sqlite:////abs"),
        ("mysql://x@y/z", "DATABASE_URL must be sqlite:///relative/path.db or"),
        ("postgresql://u@h/d?sslmode=sometimes", "DATABASE_URL's sslmode must be one of"),
    ],
)
def test_malformed_database_url_is_one_line_naming_it(
    tmp_path: Path, url: str, expected: str
) -> None:
    line = one_line(run_cli(["migrate"], tmp_path, {"DATABASE_URL": url}))
    assert line.startswith(f"warroom: configuration error: {expected}"), line


def test_sqlite_in_a_missing_folder_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/nonexistent/dir/x.db"
    line = one_line(run_cli(["migrate"], tmp_path, {"DATABASE_URL": url}))
    assert line == (
        f"warroom: DATABASE_URL points into {tmp_path}/nonexistent/dir, a folder that does not "
        "exist: create it, or set DATABASE_URL to another path."
    )


@pytest.mark.parametrize("command", [["outbox"], ["postmortem", "INC-1"]], ids=" ".join)
def test_reading_command_never_creates_a_database(tmp_path: Path, command: list[str]) -> None:
    line = one_line(run_cli(command, tmp_path))  # the default: ./warroom.db
    assert line.startswith("warroom: there is no database at warroom.db (DATABASE_URL)")
    assert not (tmp_path / "warroom.db").exists()


def test_database_commands_need_no_slack_settings(tmp_path: Path) -> None:
    result = run_cli(["migrate"], tmp_path)  # no SLACK_* at all
    assert result.returncode == 0, result.stderr
    assert result.stdout == "The database is up to date.\n"
    assert result.stderr == ""  # Alembic's progress lines are not printed here
    outbox = run_cli(["outbox", "retry", "99"], tmp_path)
    assert outbox.returncode == 1
    assert "warroom: no such delivery: 99 (see `warroom outbox`)." in outbox.stderr


@pytest.mark.parametrize("command", ["serve", "migrate", "outbox", "postmortem"])
def test_help_names_the_variables_and_dotenv(tmp_path: Path, command: str) -> None:
    result = run_cli([command, "--help"], tmp_path)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "DATABASE_URL" in text
    assert ".env" in text


pg = pytest.mark.skipif(PG_URL is None, reason="PostgreSQL only, and TEST_DATABASE_URL is not set")


@pg
def test_postgres_database_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    url = on_server("warroom_no_such_database")
    line = one_line(run_cli(["outbox"], tmp_path, {"DATABASE_URL": url}))
    assert line.endswith('database "warroom_no_such_database" does not exist.')


@pg
@pytest.mark.parametrize(
    "query", ["sslmode=disable", "sslmode=prefer&connect_timeout=5&application_name=warroom"]
)
def test_postgres_url_with_libpq_parameters_works(tmp_path: Path, query: str) -> None:
    assert PG_URL is not None
    url = on_server(urlsplit(PG_URL).path.lstrip("/"), query).replace("postgresql:", "postgres:")
    result = run_cli(["migrate"], tmp_path, {"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "The database is up to date.\n"


@pg
def test_postgres_tls_refused_is_one_line(tmp_path: Path) -> None:
    assert PG_URL is not None
    url = on_server(urlsplit(PG_URL).path.lstrip("/"), "sslmode=verify-full&sslrootcert=/nope")
    line = one_line(run_cli(["migrate"], tmp_path, {"DATABASE_URL": url}))
    assert line.startswith("warroom: cannot use the database in DATABASE_URL (")


async def test_serve_waits_for_a_database_that_is_starting_one_line_per_try(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {
        "DATABASE_URL": f"postgresql://nobody@127.0.0.1:{port}/x",
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s3cret",
        "PORT": str(free_port()),
        "PYTHONPATH": str(REPO),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve",
        cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    lines: list[str] = []
    try:

        async def two_tries() -> bool:
            lines.append((await process.stderr.readline()).decode())  # type: ignore[union-attr]
            return len(lines) >= 2

        await wait_until(two_tries, 20, "two attempts reported")
    finally:
        process.terminate()
        await process.wait()
    for attempt, line in enumerate(lines, start=1):
        assert line.startswith("warroom: the database in DATABASE_URL is not answering yet (")
        assert line.rstrip().endswith(f"(attempt {attempt} of 30).")
