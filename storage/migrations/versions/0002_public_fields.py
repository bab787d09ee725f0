"""public fields: incident uid, public name, Statuspage incident id

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 16:40:00
"""

import secrets
import string
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _uid() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(12))


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("uid", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("public_name", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("statuspage_id", sa.String(length=32), nullable=True))
    connection = op.get_bind()
    for (incident_id,) in connection.execute(sa.text("SELECT id FROM incident")).all():
        connection.execute(
            sa.text("UPDATE incident SET uid = :uid WHERE id = :id"),
            {"uid": _uid(), "id": incident_id},
        )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.alter_column("uid", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_unique_constraint("uq_incident_uid", ["uid"])


def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_constraint("uq_incident_uid", type_="unique")
        batch_op.drop_column("statuspage_id")
        batch_op.drop_column("public_name")
        batch_op.drop_column("uid")
