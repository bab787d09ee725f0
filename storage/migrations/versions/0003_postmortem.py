"""post-mortem: milestones, follow-up actions, people, public summary

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 16:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("detected_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("mitigated_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("postmortem_public", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("postmortem_published_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "number", name="uq_follow_up_number"),
    )
    op.create_index("ix_follow_up_incident_id", "follow_up", ["incident_id"])
    op.create_table(
        "person",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("person")
    op.drop_index("ix_follow_up_incident_id", table_name="follow_up")
    op.drop_table("follow_up")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        for column in (
            "postmortem_published_at",
            "postmortem_public",
            "mitigated_at",
            "detected_at",
            "started_at",
        ):
            batch_op.drop_column(column)
