"""private incidents: a flag on the incident, and who its members are

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 13:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("private", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "incident_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "user_id", name="uq_incident_member"),
    )
    op.create_index("ix_incident_member_user_id", "incident_member", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_incident_member_user_id", table_name="incident_member")
    op.drop_table("incident_member")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("private")
