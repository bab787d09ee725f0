"""Deferred writes: a batch's plain members write together, once, at the end.

The members of a group commit take turns on its one connection, and on PostgreSQL every
statement is a round trip: 32 updates to one incident made four each (a savepoint, the entry,
the incident, the outbox), one after another, so a crowd's batch took about 1 ms per member
while the event loop mostly waited. A plain member (one that writes only through this module,
as updates do) instead leaves its writes here, and the batch writes them all at once: one
`executemany` per statement (asyncpg sends each as one pipelined batch), and one UPDATE per
row however many members changed it, with its columns as the last of them left them. A new
entry's ID is taken beforehand: on PostgreSQL from its sequence, for as many members as are
waiting at once; on SQLite, whose one write lock the transaction holds, it is the next after
the greatest stored (and after those taken since).

What is kept here is written before anything could read it: before a member that is not plain
takes its turn, after a member fails (the next one reads the incident afresh), and before the
COMMIT. If writing it all at once fails, that is rolled back and each member's writes are made
again on their own, under a savepoint each: the member whose writes fail is refused, alone.
A member that failed before it was done leaves nothing here (its writes are dropped), and has
written nothing else: a deferring member writes nothing at once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import exc, text
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.driver import Driver, Row, Statement, driver

# The UPDATE of one row, from the columns changed (by one member, or merged over several).
Update = Callable[[Row], tuple[Statement, Row]]
# Rows to update, by key: how, and the columns to write (merged in the members' order).
Updates = dict[Hashable, tuple[Update, dict[str, object]]]

_KEPT = "deferred writes"


@dataclass
class _Writes:
    """One member's writes: rows to insert (and whether the others rely on it, see
    write_later), and row updates (by key, in order)."""

    inserts: list[tuple[Statement, Row, bool]] = field(default_factory=list)
    updates: Updates = field(default_factory=dict)


class Deferred:
    """The writes the batch's members left, in the order they were made, and IDs taken ahead."""

    def __init__(self) -> None:
        self.members: dict[object, _Writes] = {}
        self.current: object | None = None  # the plain member whose turn it is
        self.defers = False  # its writes are kept (else, alone in the batch, made at once)
        self.waiting = 1  # members of the batch not done yet: how many IDs to take at once
        self._ids: dict[str, list[int]] = {}  # PostgreSQL: taken from the sequence, unused
        self._next: dict[str, int] = {}  # SQLite: the next free ID, found after each write
        self.refused: dict[object, Exception] = {}  # members whose writes failed, with why

    def insert(
        self, statement: Statement, rows: Sequence[Row], shared: Sequence[bool] = ()
    ) -> None:
        """Keep rows to insert, for the member whose turn it is."""
        flags = shared or [False] * len(rows)
        self._mine().inserts.extend((statement, *each) for each in zip(rows, flags, strict=True))

    def update(self, key: Hashable, changed: Row, how: Update) -> None:
        """Keep the columns `changed` of the row `key`, written by `how`."""
        _merge(self._mine().updates, key, how, changed)

    async def take_id(self, statements: Driver, table: str) -> int:
        """Return an ID for a new row of `table`: on SQLite the next after the greatest stored
        and those taken since; on PostgreSQL the next of a block taken from its sequence for
        the waiting members (an ID not used leaves a gap: IDs are unique, not dense)."""
        if statements.dialect.name == "sqlite":
            if table not in self._next:
                greatest = await statements.scalar(_greatest(table), {})
                self._next[table] = int(greatest or 0) + 1
            self._next[table] += 1
            return self._next[table] - 1
        block = self._ids.setdefault(table, [])
        if not block:
            row = {"table": table, "n": max(1, self.waiting)}
            block.extend(await statements.column(_IDS, row))
            block.reverse()
        return block.pop()

    def drop(self, member: object) -> None:
        """Forget a failed member's writes."""
        self.members.pop(member, None)

    def forget_ids(self) -> None:
        """Forget the free IDs found on SQLite (after a write, or when the transaction, and
        its lock, is over: others may have written since)."""
        self._next.clear()

    async def write(self, session: AsyncSession) -> None:
        """Write what is kept; a member whose own writes fail is in `refused`, with why."""
        members, self.members = self.members, {}
        if not members:
            return
        self.forget_ids()
        statements = await driver(session)
        await statements.execute(_ALL, {})
        try:
            self.refused.update(await _write_each(statements, members))
        except BaseException as error:
            # None of it stays, and every member of it is refused; if even that cannot be
            # undone, the transaction is gone, and its COMMIT fails them all.
            await statements.execute(_UNDO_ALL, {})
            self.refused.update(dict.fromkeys(members, _as_exception(error)))
            if not isinstance(error, Exception):  # cancelled
                raise

    def _mine(self) -> _Writes:
        assert self.current is not None, "only a deferring member keeps writes"
        return self.members.setdefault(self.current, _Writes())


async def _write_each(
    statements: Driver, members: dict[object, _Writes]
) -> dict[object, Exception]:
    """Make the members' writes together; if that fails, each member's on its own (under a
    savepoint each), and return those whose writes failed, with why."""
    try:
        await _write_all(statements, list(members.values()))
        return {}
    except Exception as error:
        _unless_gone(error)
    await statements.execute(_UNDO_ALL, {})
    refused: dict[object, Exception] = {}
    for member, writes in members.items():
        await statements.execute(_ONE, {})
        try:
            await _write_all(statements, [writes])
        except Exception as error:
            _unless_gone(error)
            await statements.execute(_UNDO_ONE, {})
            refused[member] = error
            shared = [each for each in writes.inserts if each[2]]
            await _write_all(statements, [_Writes(inserts=shared)])
    return refused


def _unless_gone(error: Exception) -> None:
    """Raise `error` again if the connection is gone: then the batch fails as one."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        raise error


def _as_exception(error: BaseException) -> Exception:
    """Return what a member is told when its writes were undone by `error`."""
    return error if isinstance(error, Exception) else RuntimeError("the batch was cancelled")


def _merge(updates: Updates, key: Hashable, how: Update, changed: Row) -> None:
    """Add the columns `changed` of row `key` to those already to write, the latest winning."""
    _, columns = updates.get(key, (how, {}))
    updates[key] = (how, {**columns, **changed})


async def _write_all(statements: Driver, members: list[_Writes]) -> None:
    """Make the members' writes: each statement's rows as one batch, then each row's UPDATE
    once, with its columns merged in the members' order."""
    inserts: dict[Statement, list[Row]] = {}
    updates: Updates = {}
    for writes in members:
        for statement, row, _ in writes.inserts:
            inserts.setdefault(statement, []).append(row)
        for key, (how, changed) in writes.updates.items():
            _merge(updates, key, how, changed)
    for statement, rows in inserts.items():
        await statements.execute_many(statement, rows)
    for how, changed in updates.values():
        await statements.execute(*how(changed))


def kept(session: AsyncSession) -> Deferred | None:
    """Return where the member whose turn it is keeps its writes; None: it writes at once."""
    found = session.info.get(_KEPT)
    if isinstance(found, Deferred) and found.current is not None and found.defers:
        return found
    return None


def refuse_if_plain(session: AsyncSession, what: str) -> None:
    """Refuse a write that must be made at once (it returns what it found) in a plain member,
    whose writes are kept for later where they are deferred."""
    found = session.info.get(_KEPT)
    if isinstance(found, Deferred) and found.current is not None:
        raise RuntimeError(f"a plain change cannot {what}: it writes only through storage.deferred")


def deferred_of(session: AsyncSession) -> Deferred:
    """Return the batch's deferred writes (the batch's session keeps them)."""
    found = session.info.get(_KEPT)
    if not isinstance(found, Deferred):
        found = session.info[_KEPT] = Deferred()
    return found


async def write_later(
    session: AsyncSession, statement: Statement, rows: Sequence[Row], shared: Sequence[bool] = ()
) -> None:
    """Insert rows now, or with the batch's other writes when the member defers its writes.

    A `shared` row is one the batch's other members rely on and did not write themselves (a
    re-render owed once per transaction): it is written even if the member's own writes fail.
    """
    found = kept(session)
    if found is not None:
        found.insert(statement, rows, shared)
    elif len(rows) == 1:
        await (await driver(session)).execute(statement, rows[0])
    elif rows:
        await (await driver(session)).execute_many(statement, rows)


@functools.cache
def _greatest(table: str) -> Statement:
    """Return the statement reading the greatest ID stored in `table` (one of ours)."""
    return Statement(text(f"SELECT max(id) FROM {table}"))  # a table name of ours, not input


_IDS = Statement(
    text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)")
)
_ALL = Statement(text("SAVEPOINT deferred_writes"))
_UNDO_ALL = Statement(text("ROLLBACK TO SAVEPOINT deferred_writes"))
_ONE = Statement(text("SAVEPOINT deferred_member"))
_UNDO_ONE = Statement(text("ROLLBACK TO SAVEPOINT deferred_member"))
