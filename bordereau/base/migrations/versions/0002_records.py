"""Committed records: patients, versioned records, coded record items.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "patient",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ipp", sa.String(20), nullable=False, unique=True),
        sa.Column("ins", sa.String(15), nullable=True),
        sa.Column("nom_naissance", sa.String(80), nullable=True),
        sa.Column("premier_prenom", sa.String(80), nullable=True),
        sa.Column("nom_utilise", sa.String(80), nullable=True),
        sa.Column("sexe_code", sa.String(8), nullable=True),
        sa.Column("sexe_system", sa.String(64), nullable=True),
        sa.Column("date_naissance", sa.String(10), nullable=True),
        sa.Column("lieu_naissance", sa.String(5), nullable=True),
        sa.Column("commune_residence", sa.String(5), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "record",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("sheet_id", sa.Integer(), sa.ForeignKey("sheet.id"), nullable=False),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("committed_at", TZ, nullable=False),
        sa.Column("committed_by", sa.String(64), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("pages", sa.JSON(), nullable=False),
        sa.UniqueConstraint("sheet_id", "version"),
    )
    for column in ("current", "patient_id", "sheet_id"):
        op.create_index(f"ix_record_{column}", "record", [column])
    op.create_table(
        "record_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("record_id", sa.Integer(), sa.ForeignKey("record.id"), nullable=False),
        sa.Column("patient_id", sa.Integer(), sa.ForeignKey("patient.id"), nullable=False),
        sa.Column("entity", sa.String(24), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(80), nullable=False),
        sa.Column("code", sa.String(40), nullable=True),
        sa.Column("system", sa.String(64), nullable=True),
        sa.Column("display", sa.String(200), nullable=True),
        sa.Column("text", sa.String(200), nullable=True),
    )
    for column in ("entity", "item", "patient_id", "record_id"):
        op.create_index(f"ix_record_item_{column}", "record_item", [column])


def downgrade() -> None:
    for table in ("record_item", "record", "patient"):
        op.drop_table(table)
