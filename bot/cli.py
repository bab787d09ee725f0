"""The command line around the database: one line for every way it can fail, never a traceback.

Commands that only read (`postmortem`, `outbox`) never create a database; `serve` waits a while
for a database that is still starting (platforms start the app and the database together).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn

from storage import urls
from storage.db import Database
from storage.migrate import migrate
from storage.reach import Unusable, reach

START_ATTEMPTS = 30  # with pauses growing to 5 s: about two and a half minutes


def fail(message: str) -> NoReturn:
    """Print one line and exit with status 1."""
    sys.stderr.write(f"warroom: {message}\n")
    raise SystemExit(1)


def check_file(url: str, *, create: bool) -> None:
    """Refuse a SQLite URL whose folder (to create) or file (to read) is not there."""
    path = urls.parse(url).sqlite_path
    if path is None:
        return
    if create and not path.parent.resolve().is_dir():
        fail(
            f"DATABASE_URL points into {path.parent}, a folder that does not exist: "
            "create it, or set DATABASE_URL to another path."
        )
    if not create and not path.exists():
        fail(
            f"there is no database at {path} (DATABASE_URL): set DATABASE_URL to warroom's "
            "database (see .env), or create one with `warroom migrate`."
        )


def _unusable(url: str, error: Unusable) -> str:
    return f"cannot use the database in DATABASE_URL ({urls.shown(url)}): {error.reason}."


def with_database(
    url: str, work: Callable[[Database], Awaitable[object]], *, create: bool = False
) -> None:
    """Open the database (migrated), run `work` on it, close it; fail in one line."""
    check_file(url, create=create)

    async def run() -> None:
        db = Database(url)
        try:
            await reach(db)
            await migrate(db)
            await work(db)
        finally:
            await db.dispose()

    try:
        asyncio.run(run())
    except Unusable as error:
        fail(_unusable(url, error))


async def _wait(url: str, first_pause: float) -> None:
    pause = first_pause
    for attempt in range(1, START_ATTEMPTS + 1):
        db = Database(url)
        try:
            await reach(db)
            return
        except Unusable as error:
            if error.lasting or attempt == START_ATTEMPTS:
                fail(_unusable(url, error))
            sys.stderr.write(
                f"warroom: the database in DATABASE_URL is not answering yet ({error.reason}); "
                f"trying again in {pause:g} s (attempt {attempt} of {START_ATTEMPTS}).\n"
            )
        finally:
            await db.dispose()
        await asyncio.sleep(pause)
        pause = min(pause * 2, 5.0)


def wait_for_database(url: str, *, first_pause: float = 1.0) -> None:
    """Return once the database answers; say so in one line per failed attempt."""
    check_file(url, create=True)
    asyncio.run(_wait(url, first_pause))
