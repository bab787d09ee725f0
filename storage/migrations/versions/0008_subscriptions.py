"""status page subscriptions: email subscribers (double opt-in) and webhooks

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subscriber",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("confirm_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("kind", "address", name="uq_subscriber_address"),
    )
    op.create_index("ix_subscriber_confirm_hash", "subscriber", ["confirm_hash"])
    op.create_table(
        "subscriber_notice",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("timeline_entry.id"), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), sa.ForeignKey("subscriber.id"), nullable=False),
        sa.UniqueConstraint("entry_id", "subscriber_id", name="uq_notice"),
    )
    op.create_index("ix_subscriber_notice_subscriber_id", "subscriber_notice", ["subscriber_id"])
    op.create_table(
        "subscribe_attempt",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_subscribe_attempt_at", "subscribe_attempt", ["at"])


def downgrade() -> None:
    op.drop_table("subscribe_attempt")
    op.drop_table("subscriber_notice")
    op.drop_table("subscriber")
