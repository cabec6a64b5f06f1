"""Alembic migrations of the base (applied in code by ``base.engine``)."""
