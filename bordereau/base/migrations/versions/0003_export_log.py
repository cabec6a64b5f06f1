"""Export log: which record versions went out, when, to which file.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("records", sa.JSON(), nullable=False),
        sa.Column("document_id", sa.String(64), nullable=False),
        sa.Column("document_version", sa.Integer(), nullable=False),
        sa.Column("file", sa.String(512), nullable=False),
        sa.Column("exported_by", sa.String(64), nullable=False),
    )
    op.create_index("ix_export_log_patient_id", "export_log", ["patient_id"])


def downgrade() -> None:
    op.drop_table("export_log")
