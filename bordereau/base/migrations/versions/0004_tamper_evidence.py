"""Tamper evidence: the audit becomes a keyed hash chain (each row carries its sequence
number, the previous row's hash and its own), records and patients carry a keyed hash of
their values, and one row holds the chain's head.

Existing rows are sealed when the base is first opened after this migration (sealing needs
the establishment's secret, which the migration does not have).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit") as batch:
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(64), nullable=True))
        batch.create_index("ix_audit_seq", ["seq"], unique=True)
    with op.batch_alter_table("record") as batch:
        batch.add_column(sa.Column("mac", sa.String(64), nullable=True))
    with op.batch_alter_table("patient") as batch:
        batch.add_column(sa.Column("mac", sa.String(64), nullable=True))
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("mac", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_head")
    with op.batch_alter_table("patient") as batch:
        batch.drop_column("mac")
    with op.batch_alter_table("record") as batch:
        batch.drop_column("mac")
    with op.batch_alter_table("audit") as batch:
        batch.drop_index("ix_audit_seq")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("seq")
