"""Shared fixtures: sample centres, a fresh establishment home, the in-process CLI."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bordereau.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
LYON = SAMPLES / "centres" / "lyon-os.yaml"
MARSEILLE = SAMPLES / "centres" / "marseille-neuromusculaire.yaml"


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(args: Sequence[str], env: dict[str, str] | None = None) -> Result:
    """Run ``bordereau ARGS`` in process; stdout and stderr kept apart."""
    runner = CliRunner()
    result = runner.invoke(app, list(args), prog_name="bordereau", env=env)
    return Result(result.exit_code, result.stdout, result.stderr)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def cli():  # type: ignore[no-untyped-def]
    return run_cli


PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def pg_url() -> object:
    """A fresh PostgreSQL database on the real server, dropped afterwards."""
    import os
    import uuid

    from sqlalchemy import create_engine, text

    admin_url = os.environ.get("BORDEREAU_TEST_PG", PG_ADMIN_URL)
    name = f"bordereau_test_{uuid.uuid4().hex[:10]}"
    # client_encoding: on a SQL_ASCII cluster the server would send bytes, not text
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT",
                          connect_args={"client_encoding": "utf8"})
    with admin.connect() as connection:
        # UTF-8 whatever the cluster's default (a cluster made without a locale is SQL_ASCII)
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    yield url
    from bordereau.base.engine import Database

    Database.close_all()
    with admin.connect() as connection:
        connection.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name})
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(autouse=True)
def close_databases() -> object:
    """Dispose every engine a test opened (unclosed connections warn, warnings fail)."""
    yield
    from bordereau.base.engine import Database

    Database.close_all()
