"""The unit of work owes subscribers one fan-out per public update, whatever their number."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlmodel import select

from bot.domain import entries as e
from bot.domain.components import ComponentStatus
from bot.domain.model import Status
from bot.service.context import Context
from bot.service.unit import change
from storage import subscribers as q
from storage.db import Database
from storage.models import OutboxRow
from tests.service.conftest import CHANNEL
from tests.storage.records import ALICE, T0


async def owed_kinds(db: Database) -> Counter[str]:
    async with db.read() as session:
        return Counter(row.kind for row in (await session.exec(select(OutboxRow))).all())


@pytest.fixture(autouse=True)
async def subscribers(db: Database) -> None:
    async with db.write() as session:
        for n in range(40):
            await q.add_webhook(session=session, url=f"https://h{n}.example/x", secret="k", now=T0)


@pytest.mark.parametrize(
    ("fact", "text", "fan_outs"),
    [
        (e.StatusChanged(Status.IDENTIFIED, Status.INVESTIGATING), "Found it", 1),
        (e.Resolved(Status.IDENTIFIED, public=True), "", 1),
        (e.ImpactSet(("API",), ComponentStatus.PARTIAL_OUTAGE), "", 0),  # a bare component change
        (e.Updated(), "SECRET-INTERNAL-NOTE", 0),  # internal
        (e.PublicNameSet(None), "Elevated errors", 0),  # a rename is no news
    ],
)
async def test_record_public_update_owes_one_fan_out_not_one_per_subscriber(
    db: Database, ctx: Context, fact: e.Fact, text: str, fan_outs: int
) -> None:
    async with change(ctx, CHANNEL) as work:
        await work.record(ALICE, fact, text)
    owed = await owed_kinds(db)
    assert owed["subscribers.fanout"] == fan_outs
    assert owed["subscriber.webhook"] == owed["subscriber.mail"] == 0
