"""Ingesting scans into the base: idempotent, complete, every page accounted for."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bordereau.base.engine import Database
from bordereau.base.ingest import Ingestor
from bordereau.base.queries import status
from bordereau.base.schema import Page, Reading, ScanFile, Sheet
from bordereau.home import Home
from tests.conftest import SAMPLES, run_cli

pytestmark = pytest.mark.usefixtures("replay_samples")  # recorded Tesseract output
LYON_SCANS = SAMPLES / "scans" / "lyon-os"
DUPLEX = LYON_SCANS / "recto-verso"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", target)
    return target


def ingestor(home: Path) -> Ingestor:
    return Ingestor(Database.open(Home.open(home, create=False)), "secretariat")


def test_ingesting_the_same_file_twice_changes_nothing_and_says_so(home: Path) -> None:
    first = run_cli(["scan", "ingest", str(LYON_SCANS / "bureau-jpeg"), "--home", str(home),
                     "--workers", "1", "--json"])
    assert first.exit_code == 6, first.stderr  # lot partiel: the foreign page is refused
    report = json.loads(first.stdout)
    assert report["pages"] == {"read": 1, "refused": 1}
    before = run_cli(["scan", "status", "--home", str(home), "--json"]).stdout
    second = run_cli(["scan", "ingest", str(LYON_SCANS / "bureau-jpeg"), "--home", str(home),
                      "--workers", "1"])
    assert second.stdout == "Déjà intégré, rien de nouveau : bureau-jpeg-01.pdf\n"
    assert run_cli(["scan", "status", "--home", str(home), "--json"]).stdout == before


def test_a_sheet_missing_a_page_is_completed_by_a_later_scan(home: Path) -> None:
    first = ingestor(home).ingest([DUPLEX / "recto-verso-01.pdf"], workers=1)
    assert "000002" in first.sheets["waiting_pages"]
    second = ingestor(home).ingest([DUPLEX / "recto-verso-02.pdf"], workers=1)
    touched = [s for serials in second.sheets.values() for s in serials]
    assert "000002" in touched
    db = Database.open(Home.open(home, create=False))
    with db.session() as session:
        sheet = session.scalars(select(Sheet).where(Sheet.serial == "000002")).one()
        assert sheet.status in {"waiting_review", "committed"}
        numbers = sorted(p.page_number for p in sheet.pages if p.state == "read")
        assert numbers == [1, 2, 3, 4, 5]


def test_every_page_given_to_ingest_is_accounted_for_once(home: Path) -> None:
    report = ingestor(home).ingest([SAMPLES / "scans"], workers=2)
    skipped = [f for f in report.files if f.reason]
    assert sorted(Path(f.path).name for f in skipped) == ["README.md", "truth.json"]
    summary = status(Database.open(Home.open(home, create=False)))
    pages_in_files = sum(f.pages for f in report.files if not f.reason)
    assert summary["pages_total"] == pages_in_files == 80
    assert summary["pages"] == {"read": 44, "blank": 32, "refused": 4}
    reasons = {r["reason"] for r in summary["refused"]}
    assert "page refusée : code du bordereau altéré (signature invalide)" in reasons
    sheets = summary["sheets"]
    assert sheets["waiting_pages"] == 2  # two sheets really lost a page
    assert sum(sheets.values()) == 14


def test_readings_keep_their_crop_and_files_are_owner_only(home: Path) -> None:
    ingestor(home).ingest([LYON_SCANS / "bureau-jpeg"], workers=1)
    db = Database.open(Home.open(home, create=False))
    with db.session() as session:
        crops = session.execute(select(Reading.field_id, func.length(Reading.crop))).all()
        assert len(crops) == 16 and all(size and size > 100 for _, size in crops)
        pages = session.execute(select(Page.state, func.length(Page.image))).all()
        assert sorted(state for state, _ in pages) == ["read", "refused"]
        stored = session.scalars(select(ScanFile.stored_as)).one()
    scan = home / "scans" / stored
    assert stat.S_IMODE(scan.stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "scans").stat().st_mode) == 0o700


def test_status_human_output(home: Path) -> None:
    ingestor(home).ingest([LYON_SCANS / "tiff-incomplet"], workers=1)
    lines = run_cli(["scan", "status", "--home", str(home)]).stdout.splitlines()
    assert lines[0] == "1 fichier(s), 5 page(s) : 4 lue(s), 0 blanche(s), 1 refusée(s)."
    assert "  000006 : page(s) manquante(s) 4" in lines
