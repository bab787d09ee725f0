"""Named counters: incident numbers and the public-data version."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.deferred import refuse_if_plain
from storage.driver import Statement, driver
from storage.models import Counter

PUBLIC_VERSION = "public"
INCIDENT_NUMBER = "incident"


def _bump(insert: Callable[[type[Counter]], Any]) -> Statement:
    return Statement(
        insert(Counter)
        .values(name=bindparam("name"), value=1)
        .on_conflict_do_update(index_elements=["name"], set_={"value": Counter.value + 1})
        .returning(col(Counter.value))
    )


_BUMP = {"postgresql": _bump(pg_insert), "sqlite": _bump(sqlite_insert)}


async def bump_counter(*, session: AsyncSession, name: str) -> int:
    """Add one to a named counter and return it; the row lock serialises concurrent callers."""
    refuse_if_plain(session, "bump a counter")
    found = await driver(session)
    return int(await found.scalar(_BUMP[found.dialect.name], {"name": name}))


async def read_counter(*, session: AsyncSession, name: str) -> int:
    """Return a named counter's value (0 before its first bump)."""
    row = await session.get(Counter, name)
    return row.value if row is not None else 0
