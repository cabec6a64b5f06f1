"""The base: migrations, binding to the establishment, owner-only files, SQLite's single
writer, PostgreSQL."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from bordereau.base.engine import BaseError, Database
from bordereau.base.schema import Establishment, Reading, ScanFile, Sheet
from bordereau.home import Home
from tests.conftest import LYON
from tests.factories import INITIALE, Factory


def test_an_empty_base_is_migrated_to_the_newest_schema(tmp_path: Path) -> None:
    db = Database.open(Home.open(tmp_path / "home"))
    assert db.revision() == "0006"
    tables = set(inspect(db.engine).get_table_names())
    assert {"scan_file", "page", "sheet", "reading", "audit", "patient", "record",
            "record_item", "establishment", "scan_job"} <= tables


def test_migrating_from_the_previous_version_keeps_the_data(tmp_path: Path) -> None:
    home = Home.open(tmp_path / "home")
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    db = Database.__new__(Database)
    from sqlalchemy import create_engine
    Database.__init__(db, create_engine(url), home, url)
    db.migrate("0001")
    assert db.revision() == "0001"
    assert "record" not in inspect(db.engine).get_table_names()
    with db.session() as session:
        session.add(ScanFile(sha256="a" * 64, name="old.pdf", size=3, stored_as="x",
                             ingested_by="test"))
        session.commit()
    reopened = Database.open(home, url)
    assert reopened.revision() == "0006"
    with reopened.session() as session:
        assert session.scalars(select(ScanFile.name)).all() == ["old.pdf"]


def test_base_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    factory = Factory(tmp_path, LYON)
    factory.sheet("initiale", INITIALE)
    for path in (tmp_path / "home").glob("base*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_base_is_bound_to_its_establishment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    Database.open(Home.open(tmp_path / "a"), url)
    other = Home.open(tmp_path / "b")
    with pytest.raises(BaseError) as info:
        Database.open(other, url)
    assert info.value.message.startswith(f"La base {url} appartient à un autre établissement")


def test_a_second_process_writing_a_sqlite_base_is_told_so(tmp_path: Path) -> None:
    home = Home.open(tmp_path / "home")
    db = Database.open(home)
    script = (
        "import sys; from pathlib import Path; from bordereau.home import Home; "
        "from bordereau.base.engine import Database, BaseError\n"
        "Database.lock_wait = 0.5\n"
        "try:\n"
        f"    db = Database.open(Home.open(Path({str(home.root)!r}), create=False))\n"
        "    with db.writing(): pass\n"
        "except BaseError as e:\n    print(e.message); sys.exit(7)\n"
    )
    with db.writing():
        other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                               cwd=Path(__file__).parent.parent)
    assert other.returncode == 7, other.stderr
    assert other.stdout.startswith(f"La base SQLite {home.root / 'base.sqlite'} est déjà en "
                                   f"cours de modification par un autre processus (PID "
                                   f"{os.getpid()}).")
    assert "passer à PostgreSQL" in other.stdout


def test_a_waiting_writer_gets_its_turn_from_one_that_writes_again_and_again(
    tmp_path: Path,
) -> None:
    """A writer that takes the SQLite lock again as soon as it lets it go (a reviewer's
    claim, then its decision, in a loop) does not go before another process already
    waiting for it: the waiter has the lock next."""
    home = Home.open(tmp_path / "home")
    Database.open(home).close()
    script = (
        "import time; from pathlib import Path; from bordereau.home import Home; "
        "from bordereau.base.engine import Database\n"
        f"db = Database.open(Home.open(Path({str(home.root)!r}), create=False))\n"
        "end = time.monotonic() + 4\n"
        "print('ready', flush=True)\n"
        "while time.monotonic() < end:\n"
        "    with db.writing():\n"
        "        print(time.monotonic(), flush=True)\n        time.sleep(0.02)\n"
    )
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                          cwd=Path(__file__).parent.parent) as greedy:
        assert greedy.stdout is not None
        assert greedy.stdout.readline() == "ready\n"
        greedy.stdout.readline()  # it is writing in its loop
        db = Database.open(home)
        asked = time.monotonic()
        with db.writing(wait=3.5):
            given = time.monotonic()
        db.close()
        taken = [float(line) for line in greedy.stdout]  # to the end of its loop
    # the other writer took the lock again at most once (a turn it had already begun)
    # between our asking and our getting it; without turns it took it dozens of times
    assert len([t for t in taken if asked < t < given]) <= 1
    assert any(t > given for t in taken)  # and it went on writing after us


def test_postgresql_base_works_like_sqlite(tmp_path: Path, pg_url: str) -> None:
    factory = Factory(tmp_path, LYON, pg_url)
    assert factory.db.engine.dialect.name == "postgresql"
    assert factory.db.revision() == "0006"
    sheet = factory.sheet("initiale", INITIALE, doubtful={"patient.premier_prenom": "x"})
    assert sheet.status == "waiting_review"
    with factory.db.session() as session:
        pending = session.scalars(select(Reading).where(Reading.status == "pending")).all()
        assert [r.field_id for r in pending] == ["patient.premier_prenom"]
        assert session.scalars(select(Sheet.serial)).all() == [sheet.serial]


def test_postgresql_stores_kinds_longer_than_16_characters(tmp_path: Path, pg_url: str) -> None:
    """``annexe_traitements`` (18 characters): migration 0006 widened the kind columns."""
    factory = Factory(tmp_path, LYON, pg_url)
    factory.sheet("initiale", INITIALE)
    annex = factory.sheet("annexe_traitements", {"patient.ipp": INITIALE["patient.ipp"],
                                                 "traitement1.medicament": "NUSINERSEN"})
    assert annex.status == "committed"
    with factory.db.session() as session:
        assert sorted(session.scalars(select(Sheet.kind))) == ["annexe_traitements", "initiale"]


_OPENER = """
import json, sys, time
from pathlib import Path
from bordereau.base.engine import BaseError, Database
from bordereau.home import Home
home = Home.open(Path(sys.argv[1]), create=False)
start = float(sys.argv[2])
while time.time() < start:  # the barrier: every process opens at the same instant
    pass
try:
    Database.open(home).close()
    print(json.dumps(None))
except BaseError as error:
    print(json.dumps(error.message))
"""


def test_processes_opening_a_new_sqlite_base_at_once_all_get_it(tmp_path: Path) -> None:
    """Several commands started together on an establishment without a base yet (a reviewer
    and an ingestion): one creates the file, the others find it empty for a moment while it
    is being made; they wait for it instead of calling it a damaged base."""
    for round_ in range(3):
        home = Home.open(tmp_path / f"home{round_}")
        start = time.time() + 2.5  # after the interpreters have started
        racers = [subprocess.Popen([sys.executable, "-c", _OPENER, str(home.root), str(start)],
                                   stdout=subprocess.PIPE, text=True,
                                   cwd=Path(__file__).parent.parent) for _ in range(4)]
        outcomes = [json.loads(p.communicate(timeout=120)[0]) for p in racers]
        assert outcomes == [None] * 4, outcomes
        db = Database.open(home)
        with db.session() as session:
            assert session.scalars(select(Establishment)).all() != []
        db.close()
