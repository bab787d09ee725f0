"""The demo's database: a fresh SQLite file of its own, or the one `--database-url` names."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from sandbox.demo_print import DemoError
from storage import urls
from storage.counters import INCIDENT_NUMBER, read_counter
from storage.db import Database
from storage.reach import explain


@dataclass(frozen=True)
class DemoDatabase:
    """The URL the server is given, and how the demo names it to its user (no password)."""

    url: str
    shown: str
    given: bool

    @property
    def told(self) -> str:
        """Say which database the demo uses, and what becomes of it."""
        if self.given:
            return f"{self.shown} (--database-url); the demo's incidents stay in it"
        return (
            f"{self.shown}, a fresh SQLite file removed on exit (the demo does not read "
            "DATABASE_URL; --database-url picks another)"
        )


def demo_database(stack: AsyncExitStack, given: str | None) -> DemoDatabase:
    """Check the URL `given`, or make a temporary folder for a SQLite file that `stack` removes."""
    if given is not None:
        try:
            urls.parse(given)
        except urls.BadDatabaseUrl as error:
            raise DemoError(f"--database-url: {error}") from None
        return DemoDatabase(given, urls.shown(given), given=True)
    workdir = Path(tempfile.mkdtemp(prefix="warroom-demo-"))
    stack.callback(shutil.rmtree, workdir, ignore_errors=True)
    url = f"sqlite:///{workdir / 'warroom.db'}"
    return DemoDatabase(url, url, given=False)


@asynccontextmanager
async def opened(database: DemoDatabase) -> AsyncIterator[None]:
    """Turn the database's refusal to connect, inside the block, into one line."""
    try:
        yield
    except (OSError, SQLAlchemyError) as error:
        unusable = explain(error)
        reason = unusable.reason if unusable else str(error).splitlines()[0]
        raise DemoError(f"cannot use the database {database.shown}: {reason}") from None


async def refuse_used(db: Database, database: DemoDatabase) -> None:
    """Refuse a database that has had incidents: the script is written for INC-1."""
    async with db.read() as session:
        declared = await read_counter(session=session, name=INCIDENT_NUMBER)
    if declared:
        raise DemoError(
            f"{database.shown} already holds incidents (up to INC-{declared}); the demo "
            "numbers its incident INC-1, so give it a database with none, e.g. a new one"
        )
