"""Shared fixtures: sample centres, a fresh establishment home, the in-process CLI."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer
import typer.main
import typer.testing
from typer._click.core import Command
from typer.testing import CliRunner

from bordereau.cli import app
from bordereau.ocr.engine import REPLAY_VAR, EngineSpec

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
LYON = SAMPLES / "centres" / "lyon-os.yaml"
MARSEILLE = SAMPLES / "centres" / "marseille-neuromusculaire.yaml"
RECORDINGS = ROOT / "tests" / "recordings"  # recorded Tesseract output (docs/testing.md)


# The longest test files, longest first (docs/testing.md, "Suite time": CPU seconds of each
# file alone plus its waits, 2026-12-01). They are collected first so that ``./dev.sh
# test``'s workers (pytest-xdist, one file per worker, files handed out in collection
# order) start them early and finish together; the short files fill the end.
LONGEST_FILES = (
    "test_races.py", "test_ingest_concurrent.py", "test_base_failures.py", "test_printed.py",
    "test_pages.py", "test_watch.py", "test_adapt.py", "test_samples_end_to_end.py",
    "test_scan_queue.py", "test_simulate.py", "test_review_app.py", "test_ingest.py",
    "test_reading_grossesse.py", "test_reading_identite.py", "test_digits.py",
    "test_bad_entries.py", "test_trust_model.py", "test_loso_fields.py",
    "test_reading_traitements.py", "test_queue.py", "test_generate.py",
    "test_fillable.py", "test_label_reduced.py", "test_mixing.py", "test_tamper.py",
    "test_bad_input_corpus.py", "test_crash.py", "test_letters.py", "test_review_sheet.py",
    "test_reader_processes.py", "test_blank.py", "test_reading.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first, the others after in their usual order (a stable sort)."""
    rank = {name: n for n, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the fork server that racing processes come from (``tests/races.py``), if one
    was started, and wait for it: nothing is left running, and its processes' CPU time
    counts in the run's (``time``, docs/testing.md). ``_stop`` is the standard library's
    own way to stop it (its tests use it); without it, the server ends with this process."""
    from multiprocessing import forkserver

    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is not None:
        stop()


def needs(*packages: str) -> None:
    """Skip unless ``packages`` are installed, without importing them (importing
    scikit-learn costs 3.5 CPU-s; ``bordereau.corpora`` reads its digits without it)."""
    import importlib.util

    for package in packages:
        if importlib.util.find_spec(package) is None:
            pytest.skip(f"{package} is not installed")


def replay(data_set: str) -> EngineSpec:
    """The replay engine of a test data set's recording (records with BORDEREAU_OCR_RECORD=1)."""
    return EngineSpec.replay(RECORDINGS / f"{data_set}.json")


@pytest.fixture
def replay_samples(monkeypatch: pytest.MonkeyPatch) -> None:
    """Readings of the bundled sample scans (CLI included) replay their recording."""
    monkeypatch.setenv(REPLAY_VAR, str(RECORDINGS / "samples.json"))


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str


def _command_of(typer_instance: typer.Typer) -> Command:
    """Typer's ``CliRunner.invoke`` builds the click command tree of the app it is given at
    every call (27 ms for ``bordereau``, hundreds of calls a run): ``bordereau``'s is built
    once per test process, as the ``bordereau`` command builds it once per run."""
    if typer_instance is app:
        return _COMMAND
    return _build_command(typer_instance)


_build_command = typer.main.get_command
_COMMAND = _build_command(app)
# typer.testing calls it under a private name (``from typer.main import get_command as
# _get_command``), not exported: replaced in that module's namespace
vars(typer.testing)["_get_command"] = _command_of


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
