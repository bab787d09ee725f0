"""Helpers every suite shares: which databases to test against, free ports, and waiting for a
condition instead of sleeping."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import socket
import time
from collections.abc import Awaitable, Callable, Collection, Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from storage.db import async_url

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]
POLL = 0.02


# Slack's clock in tests: the emulator's rate-limit windows run this much faster than Slack's,
# and the bot paces its posts to match (SLACK_POST_INTERVAL), so the limits stay enforced.
RATE_SCALE = 0.02

MANIFEST = Path(__file__).resolve().parent.parent / "slack-manifest.yml"


def manifest_scopes() -> frozenset[str]:
    """Return the bot scopes the app manifest asks for: the emulated token gets exactly these."""
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    return frozenset(manifest["oauth_config"]["scopes"]["bot"])


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_until(
    predicate: Callable[[], bool | Awaitable[bool]], limit: float = 20.0, what: str = ""
) -> None:
    """Poll predicate every 20 ms until it holds; fail after `limit` seconds."""
    deadline = time.monotonic() + limit
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"not true after {limit:g}s: {what or predicate!r}")
        await asyncio.sleep(POLL)


# ----- the bot's own work in this event loop ------------------------------------------------

BOT_PACKAGES = frozenset({"bot", "handlers"})


def bot_work(ignore: Collection[asyncio.Task[Any]] = ()) -> list[asyncio.Task[Any]]:
    """Return the unfinished tasks of this event loop that run the bot's code, but `ignore`.

    A listener acks first and hands the rest of its work to a task; the relay delivers in
    tasks of its own. A bot served in the test's process shares the test's loop, so its tasks
    are found by the module their coroutine comes from. Pass the bot's loops (the relay, the
    reminders: the tasks still running once it has started) as `ignore`: they never finish.
    """
    current = asyncio.current_task()
    return [
        task
        for task in asyncio.all_tasks()
        if task is not current
        and task not in ignore
        and not task.done()
        and _runs_bot_code(task.get_coro())
    ]


def _runs_bot_code(coro: Any) -> bool:
    frame = getattr(coro, "cr_frame", None)
    module = str(frame.f_globals.get("__name__", "")) if frame is not None else ""
    return module.partition(".")[0] in BOT_PACKAGES


# ----- PostgreSQL ---------------------------------------------------------------------------


async def reset_postgres(url: str) -> None:
    """Drop every table so each test starts from an empty PostgreSQL database."""
    engine = create_async_engine(async_url(url))
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def private_database(url: str) -> str:
    """Create a database of this test session's own next to `url`'s and return its URL.

    Other test sessions (other people's, at the same time) reset `url`'s schema whenever they
    like. Falls back to `url` itself when this role may not create databases.
    """
    parsed = make_url(url)
    name = f"{parsed.database or 'warroom'}_session_{os.getpid()}"
    admin = parsed.set(drivername="postgresql").render_as_string(hide_password=False)

    async def create() -> None:
        conn = await asyncpg.connect(admin, timeout=10)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    try:
        _run_aside(create())
    except (OSError, asyncpg.PostgresError):
        return url
    return parsed.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str, *, via: str) -> None:
    """Drop the database of `url`, connecting through `via`'s server; never fail."""
    name = make_url(url).database
    admin = make_url(via).set(drivername="postgresql").render_as_string(hide_password=False)

    async def drop() -> None:
        conn = await asyncpg.connect(admin, timeout=10)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    with contextlib.suppress(OSError, asyncpg.PostgresError):
        _run_aside(drop())


def _run_aside(work: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to the end on its own loop in a thread (a test's loop may be running)."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work).result(timeout=60)
