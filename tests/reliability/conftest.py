"""Process-level fixtures: the real `warroom serve` as a subprocess, emulators on fixed ports,
and direct reads of the database. Databases, `http` and the in-process `bot` come from
tests/conftest.py; the classes behind these fixtures live in process.py and store.py."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import ANNOUNCE, GENERAL, USERS
from tests.reliability.process import FixedSlack, FixedStatuspage, Server, ServerFactory
from tests.reliability.store import Store
from tests.support import free_port


@pytest.fixture
async def slack() -> AsyncIterator[FixedSlack]:
    """The Slack emulator (three people, #general, #incidents) on a fixed free port."""
    emulator = FixedSlack(
        free_port(), users=USERS, channels=[(GENERAL, "general"), (ANNOUNCE, "incidents")]
    )
    await emulator.up()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def statuspage() -> AsyncIterator[FixedStatuspage]:
    """The Atlassian Statuspage emulator (API, ChatGPT, Sora) on a fixed free port."""
    emulator = FixedStatuspage(free_port())
    await emulator.up()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """Direct database reads for the test's checks."""
    reader = Store(database_url)
    yield reader
    await reader.db.dispose()


@pytest.fixture
def make_server(
    tmp_path: Path,
    database_url: str,
    slack: FixedSlack,
    statuspage: FixedStatuspage,
    http: aiohttp.ClientSession,
) -> Iterator[ServerFactory]:
    """Build (not start) servers on this test's database and emulators; all killed at the end.

    make_server(name="replica-2", env={"OUTBOX_LEASE": "5"}) -> Server
    """
    made: list[Server] = []
    secret = secrets.token_hex(16)

    def factory(name: str = "server", env: dict[str, str] | None = None) -> Server:
        server = Server(
            workdir=tmp_path,
            name=name,
            database_url=database_url,
            slack=slack,
            statuspage=statuspage,
            http=http,
            signing_secret=secret,
            env=env,
        )
        made.append(server)
        return server

    yield factory
    for server in made:
        server.kill9()


@pytest.fixture
async def server(make_server: ServerFactory) -> Server:
    """One started server (SIGKILLed at teardown)."""
    started = make_server()
    await started.start()
    return started
