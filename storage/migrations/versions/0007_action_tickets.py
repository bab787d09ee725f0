"""follow-up actions: priority, due date, public flag, the tickets they became

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 10:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("github_number", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("jira_key", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("ticket_url", sa.String(length=300), nullable=True))
        batch_op.add_column(
            sa.Column("due_reminded", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        for name in (
            "due_reminded",
            "ticket_url",
            "jira_key",
            "github_number",
            "public",
            "due_on",
            "priority",
        ):
            batch_op.drop_column(name)
