"""Group commit: writes for one key at the same time share a transaction, each in a savepoint."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import Database
from storage.deferred import write_later
from storage.driver import Statement
from storage.models import ProcessedEvent
from storage.once import claim_once

T0 = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
_INSERT_KEY = Statement(insert(ProcessedEvent.__table__), ["event_id", "received_at"])  # type: ignore[attr-defined]


async def store_key(session: AsyncSession, key: str, *, plain: bool) -> None:
    """Store a key: a plain member writes through storage.deferred (deferred on PostgreSQL)."""
    if plain:
        await write_later(session, _INSERT_KEY, [{"event_id": key, "received_at": T0}])
    else:
        await claim_once(session=session, key=key, now=T0)


class Refused(Exception):
    """A change refused after it had written something (a use case's error)."""


async def stored_keys(db: Database) -> list[str]:
    """Return the keys written, in order, read outside any batch."""
    async with db.read() as session:
        query = select(ProcessedEvent.event_id).order_by(ProcessedEvent.event_id)
        return list((await session.exec(query)).all())


async def test_group_commit_writes_at_the_same_time_share_one_transaction(db: Database) -> None:
    sessions: list[object] = []
    started = asyncio.Event()

    async def write(key: str) -> None:
        async with db.write(batch="C0INC") as session:
            sessions.append(session)
            started.set()
            await claim_once(session=session, key=key, now=T0)
            await asyncio.sleep(0)  # the others join meanwhile

    await asyncio.gather(*(write(f"k{n:02d}") for n in range(8)))

    assert len({id(s) for s in sessions}) == 1
    assert await stored_keys(db) == [f"k{n:02d}" for n in range(8)]


@pytest.mark.parametrize("plain", [False, True], ids=["savepoint", "plain savepoint"])
async def test_group_commit_refused_member_rolled_back_alone_and_told_after_the_commit(
    db: Database, plain: bool
) -> None:
    seen_at_refusal: list[list[str]] = []

    async def write(key: str, *, refuse: bool = False) -> None:
        async with db.write(batch="C0INC", plain=plain) as session:
            await store_key(session, key, plain=plain)
            if refuse:
                raise Refused(key)

    async def refused(key: str) -> None:
        try:
            await write(key, refuse=True)
        except Refused:
            seen_at_refusal.append(await stored_keys(db))
            raise

    results = await asyncio.gather(write("a"), refused("b"), write("c"), return_exceptions=True)

    assert [type(r).__name__ for r in results] == ["NoneType", "Refused", "NoneType"]
    assert await stored_keys(db) == ["a", "c"]
    # The refusal came once its batch had committed: what the others did was there to see.
    assert seen_at_refusal == [["a", "c"]]


async def test_group_commit_first_member_refused_the_next_one_still_committed(
    db: Database,
) -> None:
    async def write(key: str, *, refuse: bool = False) -> None:
        async with db.write(batch="C0INC") as session:
            await claim_once(session=session, key=key, now=T0)
            await asyncio.sleep(0)  # the next member joins meanwhile
            if refuse:
                raise Refused(key)

    results = await asyncio.gather(write("a", refuse=True), write("b"), return_exceptions=True)

    assert [type(r).__name__ for r in results] == ["Refused", "NoneType"]
    assert await stored_keys(db) == ["b"]


async def test_group_commit_other_keys_get_their_own_transactions(db: Database) -> None:
    sessions: dict[str, object] = {}

    async def write(key: str) -> None:
        async with db.write(batch=key) as session:
            sessions[key] = session
            await claim_once(session=session, key=key, now=T0)
            await asyncio.sleep(0)

    await asyncio.gather(write("C0ONE"), write("C0TWO"))

    assert sessions["C0ONE"] is not sessions["C0TWO"]
    assert await stored_keys(db) == ["C0ONE", "C0TWO"]


async def test_group_commit_each_write_is_committed_when_it_returns(db: Database) -> None:
    seen: list[list[str]] = []
    for key in ("a", "b"):
        async with db.write(batch="C0INC") as session:
            await claim_once(session=session, key=key, now=T0)
        seen.append(await stored_keys(db))  # read on another connection

    assert seen == [["a"], ["a", "b"]]


async def test_group_commit_same_once_key_in_one_batch_takes_effect_once(db: Database) -> None:
    async def write(key: str) -> bool:
        async with db.write(batch="C0INC") as session:
            return await claim_once(session=session, key=key, now=T0)

    claimed = await asyncio.gather(*(write("same") for _ in range(3)))

    assert sorted(claimed) == [False, False, True]  # once, whoever came first
    assert await stored_keys(db) == ["same"]


async def test_group_commit_member_whose_write_fails_rolled_back_alone(db: Database) -> None:
    async with db.write() as session:
        await claim_once(session=session, key="taken", now=T0)

    async def write(key: str, *, clash: bool = False) -> None:
        async with db.write(batch="C0INC") as session:
            await claim_once(session=session, key=key, now=T0)
            await asyncio.sleep(0)  # the others join meanwhile
            if clash:  # the unit of work's INSERT fails: that key is stored already
                session.add(ProcessedEvent(event_id="taken", received_at=T0))

    results = await asyncio.gather(
        write("a"), write("b", clash=True), write("c"), return_exceptions=True
    )

    assert [type(r).__name__ for r in results] == ["NoneType", "IntegrityError", "NoneType"]
    assert await stored_keys(db) == ["a", "c", "taken"]


async def test_group_commit_plain_member_writing_through_the_unit_of_work_is_refused(
    db: Database,
) -> None:
    async def write(key: str, *, orm: bool = False) -> None:
        async with db.write(batch="C0INC", plain=True) as session:
            await store_key(session, key, plain=True)
            await asyncio.sleep(0)  # the others join meanwhile
            if orm:  # not plain: its savepoint would not confine a failed flush
                session.add(ProcessedEvent(event_id=key + "-orm", received_at=T0))

    results = await asyncio.gather(
        write("a"), write("b", orm=True), write("c"), return_exceptions=True
    )

    assert [type(r).__name__ for r in results] == ["NoneType", "RuntimeError", "NoneType"]
    assert await stored_keys(db) == ["a", "c"]


async def test_group_commit_plain_member_claiming_a_once_key_is_refused(db: Database) -> None:
    # A once-key must be claimed at once (a second submission is refused at once): where a
    # plain member's writes are deferred, it could not be, so a plain member may not.
    async def write(key: str, *, claim: bool = False) -> None:
        async with db.write(batch="C0INC", plain=True) as session:
            await store_key(session, key, plain=True)
            await asyncio.sleep(0)  # the others join meanwhile
            if claim:
                await claim_once(session=session, key=key + "-claimed", now=T0)

    results = await asyncio.gather(
        write("a"), write("b", claim=True), write("c"), return_exceptions=True
    )

    assert [type(r).__name__ for r in results] == ["NoneType", "RuntimeError", "NoneType"]
    assert "cannot claim a once-key" in str(results[1])
    assert await stored_keys(db) == ["a", "c"]
