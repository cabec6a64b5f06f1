"""Sheet kinds up to 32 characters (``annexe_traitements`` has 18): ``sheet.kind`` and
``record.kind`` widened; existing values are unchanged.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":  # SQLite does not enforce VARCHAR lengths
        return
    for table in ("sheet", "record"):
        op.alter_column(table, "kind", type_=sa.String(32), existing_type=sa.String(16),
                        existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for table in ("sheet", "record"):
        op.alter_column(table, "kind", type_=sa.String(16), existing_type=sa.String(32),
                        existing_nullable=False)
