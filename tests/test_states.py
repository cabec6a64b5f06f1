"""States as enums and moments in UTC, through a real SQLite base and the real PostgreSQL
server; the clock tests move instead of sleeping."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from bordereau import clock
from bordereau.base.engine import Database
from bordereau.base.schema import Reading, ScanFile, Sheet
from bordereau.base.states import ReadingStatus, SheetStatus
from bordereau.home import Home
from tests.conftest import LYON
from tests.factories import INITIALE, Factory

PARIS = dt.timezone(dt.timedelta(hours=1))
DOUBTS = {"patient.nom_naissance": "lecture incertaine"}


def _file(db: Database, at: dt.datetime) -> None:
    with db.writing(), db.session() as session:
        session.add(ScanFile(sha256="a" * 64, name="x.pdf", size=1, stored_as="x.pdf",
                             ingested_by="test", ingested_at=at))
        session.commit()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_moment_comes_back_aware_in_utc_whatever_zone_it_was_written_in(
        tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> None:
    home = Home.open(tmp_path / "home")
    db = (Database.open(home) if backend == "sqlite"
          else Database.open(home, request.getfixturevalue("pg_url")))
    _file(db, dt.datetime(2026, 3, 1, 9, 30, tzinfo=PARIS))
    with db.session() as session:
        at = session.scalars(select(ScanFile.ingested_at)).one()
    assert at.tzinfo is not None and at.utcoffset() == dt.timedelta(0)
    assert at == dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC)


def test_a_naive_moment_is_refused_when_written(tmp_path: Path) -> None:
    db = Database.open(Home.open(tmp_path / "home"))
    with pytest.raises(StatementError, match="time zone"):
        _file(db, dt.datetime(2026, 3, 1, 9, 30))


def test_states_are_read_back_as_enum_members_and_stored_as_their_strings(
        tmp_path: Path) -> None:
    factory = Factory(tmp_path, LYON)
    factory.sheet("initiale", INITIALE, DOUBTS)
    with factory.db.session() as session:
        sheet = session.scalars(select(Sheet)).one()
        assert sheet.status is SheetStatus.WAITING_REVIEW
        statuses = set(session.scalars(select(Reading.status)))
        assert statuses <= set(ReadingStatus) and ReadingStatus.PENDING in statuses
        stored = session.execute(text("SELECT status FROM sheet")).scalar_one()
    assert stored == "waiting_review" and type(stored) is str


def test_the_clock_moves_without_sleeping() -> None:
    before = clock.now()
    with clock.shifted(dt.timedelta(hours=2)):
        assert clock.now() - before >= dt.timedelta(hours=2)
    with clock.frozen(dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)):
        assert clock.now() == dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
        assert clock.today() == dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC).astimezone().date()
    assert clock.now() - before < dt.timedelta(hours=1)
    with pytest.raises(ValueError), clock.frozen(dt.datetime(2026, 1, 1)):
        pass
