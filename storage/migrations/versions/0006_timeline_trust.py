"""a timeline you can trust: one order per incident, captured messages followed, archived channels

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("entry_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("channel_archived", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("timeline_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("source_channel", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("edited_ts", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("deleted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Existing entries keep the order people saw: by time, then by row.
    op.execute(
        "UPDATE timeline_entry SET seq = (SELECT ranked.n FROM (SELECT id, ROW_NUMBER() OVER"
        " (PARTITION BY incident_id ORDER BY at, id) AS n FROM timeline_entry) AS ranked"
        " WHERE ranked.id = timeline_entry.id)"
    )
    op.execute(
        "UPDATE incident SET entry_count = (SELECT COALESCE(MAX(seq), 0) FROM timeline_entry"
        " WHERE timeline_entry.incident_id = incident.id)"
    )
    with op.batch_alter_table("timeline_entry", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_entry_seq", ["incident_id", "seq"])
        batch_op.create_index("ix_entry_source_message", ["source_channel", "source_ts"])


def downgrade() -> None:
    with op.batch_alter_table("timeline_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_entry_source_message")
        batch_op.drop_constraint("uq_entry_seq", type_="unique")
        batch_op.drop_column("deleted")
        batch_op.drop_column("edited_ts")
        batch_op.drop_column("source_channel")
        batch_op.drop_column("seq")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("channel_archived")
        batch_op.drop_column("entry_count")
