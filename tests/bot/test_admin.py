"""`warroom outbox`: operators see what is owed and can retry what was given up."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.domain.deliveries import DeliveryKind, Owed
from bot.domain.model import Severity
from storage.claims import Outcome, settle_all
from storage.db import Database
from storage.incidents import create_incident
from storage.migrate import migrate
from storage.outbox import DEAD, PENDING, enqueue, list_undelivered

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, db_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env |= {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s3cret",
        "DATABASE_URL": db_url,
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "outbox", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_outbox_lists_dead_rows_and_retry_requeues_them(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    db = Database(url)
    await migrate(db)
    now = datetime.now(UTC)
    async with db.write() as session:
        incident = await create_incident(
            session=session,
            title="t",
            severity=Severity.SEV2,
            declared_by="U1",
            origin_channel_id=None,
            now=now,
        )
        row = enqueue(
            session=session,
            incident_id=incident.id,
            owed=Owed(DeliveryKind.INCIDENT_SYNC),
            now=now,
        )
        await session.flush()
        row_id = row.id
    assert row_id is not None
    refused = Outcome(row_id, DEAD, 7, "Statuspage refused the API key (401)")
    async with db.write() as session:
        await settle_all(session=session, outcomes=[refused], now=now)

    listed = cli(db_url=url)
    assert listed.returncode == 0, listed.stderr
    assert "dead" in listed.stdout
    assert "INC-1" in listed.stdout
    assert "Statuspage refused the API key (401)" in listed.stdout

    retried = cli("retry", str(row_id), db_url=url)
    assert retried.returncode == 0, retried.stderr
    assert "1 dead deliveries queued again" in retried.stdout
    async with db.read() as session:
        [again] = await list_undelivered(session=session)
    assert again.id == row_id
    assert again.status == PENDING
    assert again.incident_number == 1
    assert again.attempts == 0
    await db.dispose()


async def test_outbox_empty_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    db = Database(url)
    await migrate(db)
    await db.dispose()
    result = cli(db_url=url)
    assert result.returncode == 0
    assert "The outbox is empty" in result.stdout
