"""driving the response: the update cadence and clock, and the stakeholder headline

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 04:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cadence_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("cadence_custom", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("last_update_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("next_update_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_incident_remind_at", ["remind_at"])
        batch_op.add_column(sa.Column("headline_ts", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("statuspage_url", sa.String(length=300), nullable=True))
    with op.batch_alter_table("timeline_entry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("mirrored", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("timeline_entry", schema=None) as batch_op:
        batch_op.drop_column("mirrored")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("statuspage_url")
        batch_op.drop_column("headline_ts")
        batch_op.drop_index("ix_incident_remind_at")
        batch_op.drop_column("remind_at")
        batch_op.drop_column("next_update_at")
        batch_op.drop_column("last_update_at")
        batch_op.drop_column("cadence_custom")
        batch_op.drop_column("cadence_seconds")
