"""The database under the server: SQLite under concurrent writers, PostgreSQL stopped and started.

The PostgreSQL tests stop and start a throwaway cluster of their own (throwaway_pg.py: initdb
into a temporary directory, pg_ctl on a free port), never a server they did not start: this
module's `database_url` puts them on it. They run wherever the PostgreSQL server binaries are
installed, whether or not TEST_DATABASE_URL is set, and are skipped where they are not.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from sandbox.slack_driver import DriverReply
from sandbox.slack_emulator import EmUser
from tests.conftest import ALICE, BOB, CAROL, GENERAL
from tests.reliability.checks import assert_delivered_once
from tests.reliability.process import FixedSlack, FixedStatuspage, Server
from tests.reliability.steps import channel_of, declared_number, occurrences, settle, update
from tests.reliability.store import Store
from tests.reliability.throwaway_pg import ThrowawayPostgres, server_binaries, throwaway_postgres
from tests.support import wait_until


@pytest.fixture
def postgres() -> Iterator[ThrowawayPostgres]:
    """This test's own PostgreSQL cluster, the only one it may stop and start; deleted after."""
    bindir = server_binaries()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin")
    with throwaway_postgres(bindir) as cluster:
        yield cluster


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """tests/conftest.py's, but PostgreSQL is this test's throwaway cluster, not a shared server.

    One backend only: @pytest.mark.parametrize("database_url", ["postgresql"], indirect=True).
    """
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warroom.db'}"
    cluster: ThrowawayPostgres = request.getfixturevalue("postgres")
    return cluster.url


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_concurrent_commands_all_acked_never_locked(
    server: Server, slack: FixedSlack, statuspage: FixedStatuspage, store: Store
) -> None:
    declared_number(await server.command(ALICE, GENERAL, "declare sev2 Everything at once"))
    channel = await channel_of(store, 1)
    users = [f"U0LOAD{n:02d}" for n in range(20)]
    for n, user in enumerate(users):
        slack.users[user] = EmUser(user, f"load{n}", f"Load Tester {n}")
        slack.channels[channel].members.add(user)
    commands = [
        (user, GENERAL, f"declare sev3 Parallel trouble {n}")
        if n % 2
        else (user, channel, f"update parallel note {n}")
        for n, user in enumerate(users)
    ]
    replies = await asyncio.gather(*(server.command(*c) for c in commands))

    assert [r.status for r in replies] == [200] * 20
    for (_, _, text), reply in zip(commands, replies, strict=True):
        expected = "Declaring *INC-" if text.startswith("declare") else "Update recorded on INC-1"
        assert expected in reply.text, (text, reply.text)
    await settle(store)
    numbers = sorted(i.number for i in await store.incidents())
    assert numbers == list(range(1, 12))
    notes = [e.text for e in await store.timeline() if e.kind == "update"]
    sent = [t.removeprefix("update ") for _, where, t in commands if where == channel]
    assert sorted(notes) == sorted(sent)
    logs = server.stderr() + server.stdout()
    assert "database is locked" not in logs
    await assert_delivered_once(slack, statuspage, store)


async def _pg_answers(postgres: ThrowawayPostgres) -> bool:
    try:
        conn = await asyncpg.connect(postgres.url, timeout=2)
    except (OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


async def _declares_while_postgres_stops(
    server: Server, postgres: ThrowawayPostgres, limit: int = 40
) -> list[DriverReply]:
    """Stop PostgreSQL (fast) while declaring incidents one after another; return the acks."""
    stopping = asyncio.create_task(asyncio.to_thread(postgres.stop))
    replies: list[DriverReply] = []
    while not stopping.done() and len(replies) < limit:
        replies.append(await server.command(BOB, GENERAL, f"declare sev3 Racing {len(replies)}"))
    await stopping
    return replies


CLEAR = "The incident database is not answering right now. Nothing was recorded: try again"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgres_restart_under_bot_answers_try_again_then_recovers(
    server: Server,
    slack: FixedSlack,
    statuspage: FixedStatuspage,
    store: Store,
    postgres: ThrowawayPostgres,
) -> None:
    declared_number(await server.command(ALICE, GENERAL, "declare sev2 Before the restart"))
    channel = await channel_of(store, 1)
    await settle(store)

    racing = await _declares_while_postgres_stops(server, postgres)
    down = [
        await server.command(BOB, channel, "update while the database is down"),
        await server.command(CAROL, GENERAL, "declare sev3 Declared while down"),
        await server.command(ALICE, channel, "status identified Not recorded"),
    ]
    await asyncio.to_thread(postgres.start)
    await wait_until(lambda: _pg_answers(postgres), 30, "PostgreSQL answers again")

    for reply in down:
        assert reply.status == 200, reply.body
        assert CLEAR in reply.text, reply.text
    for reply in racing:
        assert reply.status == 200, reply.body
        assert "Declaring *INC-" in reply.text or "try again" in reply.text.lower(), reply.text
    await update(server, channel, "after the database came back")
    number = declared_number(await server.command(CAROL, GENERAL, "declare sev3 After restart"))
    await settle(store)

    incidents = await store.incidents()
    titles = {i.title for i in incidents}
    accepted = {f"Racing {n}" for n, r in enumerate(racing) if "Declaring" in r.text}
    assert accepted <= titles
    assert titles - accepted == {"Before the restart", "After restart"}
    assert number == max(i.number for i in incidents)
    entries = await store.timeline()
    for incident in incidents:
        declared = [e for e in entries if e.incident_id == incident.id and e.kind == "declared"]
        assert len(declared) == 1, f"INC-{incident.number} is half-written"
    texts = [e.text for e in entries]
    assert "while the database is down" not in " ".join(texts)
    assert "after the database came back" in texts
    assert occurrences(slack, channel, "after the database came back") == 1
    await assert_delivered_once(slack, statuspage, store)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_postgres_shutting_down_answers_database_message_not_apology(
    server: Server, store: Store, postgres: ThrowawayPostgres
) -> None:
    declared_number(await server.command(ALICE, GENERAL, "declare sev2 Before the stop"))

    racing = await _declares_while_postgres_stops(server, postgres)

    assert [r.status for r in racing] == [200] * len(racing)
    unclear = [r.text for r in racing if "Declaring *INC-" not in r.text and CLEAR not in r.text]
    assert unclear == []
