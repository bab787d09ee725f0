"""Group commit: changes that arrive together share one transaction, each rolled back alone.

A crowd typing into one incident makes many small transactions that all want the incident's
row lock: on PostgreSQL each holds it across its own COMMIT (a WAL flush), on SQLite each pays
for its own BEGIN IMMEDIATE and COMMIT. Here the first change of a key opens a transaction;
the changes that arrive for the same key while it is open join it and take turns on its
session. Each after the first runs inside a SAVEPOINT, so one that fails is rolled back alone;
the first needs none (if it fails, the transaction holds only its work and starts over). When
the last member is done, the transaction commits, and only then does each member return: an
ack still goes out only after its change is committed, and a refusal, which may rest on what
the members before it did, is said after that commit too. A failed COMMIT fails every member
(none of them happened). Plain members (updates) take no savepoint: their writes are kept
and made for the whole batch at once (storage/deferred.py).

Only one key per transaction, so two replicas never lock two incidents in opposite orders.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSessionTransaction
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.deferred import Deferred, deferred_of

# A batch's members may keep what they read under its locks here (session.info[LEARNED]), for
# the members after them; it is dropped when a member's savepoint rolls back.
LEARNED = "learned under the lock"
MAX_MEMBERS = 64  # a batch stops taking members here, so no member waits on an endless one

Opener = Callable[[], AbstractAsyncContextManager[AsyncSession]]


class _Batch:
    """One shared transaction and the members that joined it."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.session: asyncio.Future[AsyncSession] = loop.create_future()
        self.committed: asyncio.Future[None] = loop.create_future()
        self.turn = asyncio.Lock()  # one member at a time on the shared session
        self.members = self.finished = 0
        self.closed = False  # no more members: every one has finished, or it is full
        self.holds_work = False  # a member's work is in the transaction, to be committed
        self.all_finished = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def finish(self) -> None:
        self.finished += 1
        if self.finished == self.members:
            self.closed = True
            self.all_finished.set()


class GroupCommit:
    """Hands out places in shared transactions, one open batch per key."""

    def __init__(self, open_transaction: Opener) -> None:
        self._open = open_transaction
        self._batches: dict[str, _Batch] = {}

    @asynccontextmanager
    async def member(self, key: str, *, plain: bool = False) -> AsyncIterator[AsyncSession]:
        """Join (or open) the batch for `key`; yield its session, inside a savepoint of ours
        when earlier members' work is in the transaction. `plain`: the block writes only
        through storage.deferred, and takes no savepoint: unless it is alone in the batch so
        far, it writes nothing until the batch does.

        Returns once the batch has committed; then raises what our block raised (rolled back
        to our savepoint), if it did. Raises what the transaction's opening or COMMIT raised.
        """
        batch = self._join(key)
        refused: Exception | None = None
        me = object()
        async with batch.turn:
            try:
                session = await asyncio.shield(batch.session)
                deferred = deferred_of(session)
                # Alone so far, a member writes at once: deferring would cost round trips.
                deferring = plain and batch.members > 1
                if not deferring:  # it may read what the deferring members before it wrote
                    await deferred.write(session)
                # The first to write in the transaction needs no savepoint (two round trips
                # fewer when alone): if it fails, the whole transaction, only its own work,
                # is rolled back, and the next member starts a new one. A plain member that
                # does not defer is the first.
                savepoint = None
                if batch.holds_work and not deferring:
                    savepoint = await session.begin_nested()
                deferred.current, deferred.defers = (me if plain else None), deferring
                deferred.waiting = batch.members - batch.finished
                try:
                    yield session
                    await _flushed(session, plain=plain)  # inside its savepoint: its failure
                except BaseException as error:
                    # What members learned under the lock (session.info[LEARNED]) may have
                    # been learned under this savepoint: forget it with its locks.
                    session.info.pop(LEARNED, None)
                    deferred.drop(me)
                    with contextlib.suppress(Exception):  # the transaction may be gone too
                        await _undo(session, savepoint, deferred, batch)
                    if not isinstance(error, Exception):  # cancelled: no waiting
                        raise
                    refused = error
                else:
                    if savepoint is not None:
                        await savepoint.commit()
                    batch.holds_work = True
                finally:
                    deferred.current = None
            finally:
                batch.finish()
        # A refusal may rest on what the members before it did ("already the commander"):
        # it is said once that is committed too, and a failed COMMIT is said instead.
        await asyncio.shield(batch.committed)
        refused = refused or deferred.refused.get(me)
        if refused is not None:
            raise refused

    def _join(self, key: str) -> _Batch:
        batch = self._batches.get(key)
        if batch is None or batch.closed:
            batch = self._batches[key] = _Batch()
            batch.task = asyncio.create_task(self._run(key, batch), name=f"group commit {key}")
        batch.members += 1
        if batch.members >= MAX_MEMBERS:
            batch.closed = True
        return batch

    async def _run(self, key: str, batch: _Batch) -> None:
        """Open the transaction, wait for every member, commit; tell them how it went."""
        try:
            async with self._open() as session:
                batch.session.set_result(session)
                await batch.all_finished.wait()
                await deferred_of(session).write(session)
        except BaseException as error:
            for future in (batch.session, batch.committed):
                if not future.done():
                    future.set_exception(error)
            if not isinstance(error, Exception):
                raise
        else:
            batch.committed.set_result(None)
        finally:
            if self._batches.get(key) is batch:
                del self._batches[key]
            for future in (batch.session, batch.committed):
                if future.done() and not future.cancelled():
                    future.exception()  # retrieved: a batch nobody awaited logs nothing


async def _undo(
    session: AsyncSession,
    savepoint: AsyncSessionTransaction | None,
    deferred: Deferred,
    batch: _Batch,
) -> None:
    """Roll a failed member back: to its savepoint, or the whole transaction if it was the
    first. The members before it may have deferred writes: they are made now, for the next
    member reads the incident afresh."""
    if savepoint is not None or not batch.holds_work:
        await (savepoint or session).rollback()
        if savepoint is None:  # the transaction is over: IDs counted in it may not be free
            deferred.forget_ids()
    else:  # a deferring member: it wrote nothing, and what it left in the session goes
        session.expunge_all()
    if batch.holds_work:
        await deferred.write(session)


async def _flushed(session: AsyncSession, *, plain: bool) -> None:
    """Flush what the member left in the unit of work (a plain member must leave nothing)."""
    if session.new or session.dirty or session.deleted:
        if plain:
            raise RuntimeError("a plain member wrote through the unit of work")
        await session.flush()
