"""Scans, pages, sheets, field readings and the audit of human decisions.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "establishment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("fingerprint", sa.String(8), nullable=False),
        sa.Column("proof", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "scan_file",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stored_as", sa.String(255), nullable=False),
        sa.Column("ingested_at", TZ, nullable=False),
        sa.Column("ingested_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "sheet",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("serial", sa.String(12), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("layout_id", sa.String(16), nullable=False),
        sa.Column("centre", sa.String(16), nullable=False),
        sa.Column("pages_expected", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("committed_at", TZ, nullable=True),
    )
    op.create_index("ix_sheet_status", "sheet", ["status"])
    op.create_table(
        "page",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("file_id", sa.Integer(), sa.ForeignKey("scan_file.id"), nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("serial", sa.String(12), nullable=True),
        sa.Column("page_number", sa.Integer(), nullable=True),
        sa.Column("residual_mm", sa.Float(), nullable=True),
        sa.Column("rotation", sa.Integer(), nullable=True),
        sa.Column("image", sa.LargeBinary(), nullable=True),
        sa.Column("sheet_id", sa.Integer(), sa.ForeignKey("sheet.id"), nullable=True),
        sa.UniqueConstraint("file_id", "index"),
    )
    op.create_table(
        "reading",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sheet_id", sa.Integer(), sa.ForeignKey("sheet.id"), nullable=False),
        sa.Column("page_id", sa.Integer(), sa.ForeignKey("page.id"), nullable=True),
        sa.Column("field_id", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("page_number", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("raw", sa.JSON(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("final", sa.JSON(), nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("decided_at", TZ, nullable=True),
        sa.Column("claimed_by", sa.String(64), nullable=True),
        sa.Column("claim_expires", TZ, nullable=True),
        sa.Column("crop", sa.LargeBinary(), nullable=True),
        sa.UniqueConstraint("sheet_id", "field_id"),
    )
    op.create_index("ix_reading_sheet_id", "reading", ["sheet_id"])
    op.create_index("ix_reading_status", "reading", ["status"])
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", TZ, nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reading_id", sa.Integer(), sa.ForeignKey("reading.id"), nullable=False),
        sa.Column("serial", sa.String(12), nullable=False),
        sa.Column("field_id", sa.String(80), nullable=False),
        sa.Column("machine_value", sa.JSON(), nullable=True),
        sa.Column("previous_value", sa.JSON(), nullable=True),
        sa.Column("final_value", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
    )


def downgrade() -> None:
    for table in ("audit", "reading", "page", "sheet", "scan_file", "establishment"):
        op.drop_table(table)
