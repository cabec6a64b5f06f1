"""Pages of one serial that may belong to different patients: a photocopied sheet's second
copy naming another patient, and a page arriving weeks after its sheet's first pages."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bordereau.base.engine import Database
from bordereau.base.ingest import Ingestor
from bordereau.base.mixing import MIXED
from bordereau.base.schema import Reading, ScanFile, Sheet
from bordereau.home import Home
from bordereau.simulate.batch import make_batch
from bordereau.simulate.values import FillOptions
from tests.conftest import LYON, SAMPLES

DUPLEX = SAMPLES / "scans" / "lyon-os" / "recto-verso"


def ingestor(home: Path) -> Ingestor:
    return Ingestor(Database.open(Home.open(home, create=False)), "secretariat")


@pytest.mark.usefixtures("replay_samples")  # recorded Tesseract: mixing, not OCR, is tested
def test_a_page_arriving_weeks_after_its_sheet_is_confirmed_by_a_reviewer(
        tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", home)
    first = ingestor(home).ingest([DUPLEX / "recto-verso-01.pdf"], workers=1)
    assert "000002" in first.sheets["waiting_pages"]  # its page 5 is in the second file
    db = Database.open(Home.open(home, create=False))
    with db.session() as session:
        session.execute(update(ScanFile).values(
            ingested_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=30)))
        session.commit()
    ingestor(home).ingest([DUPLEX / "recto-verso-02.pdf"], workers=1)
    with db.session() as session:
        sheet = session.scalars(select(Sheet).where(Sheet.serial == "000002")).one()
        assert sheet.status == "waiting_review"
        rows = session.scalars(select(Reading).where(Reading.sheet_id == sheet.id)).all()
        late = {r.page_number for r in rows if r.reason and r.reason.startswith(MIXED)}
        assert late == {5}
        assert all(r.status == "pending" for r in rows if r.page_number == 5)
        assert "jours après les premières pages" in next(
            r.reason for r in rows if r.page_number == 5 and r.reason)


def test_a_photocopy_of_a_sheet_naming_another_patient_is_not_taken_silently(
        tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", home)
    start = json.loads((home / "serial.json").read_text())["next"]
    for seed, folder in ((1, "patient-a"), (2, "patient-b")):  # one serial, two patients
        (home / "serial.json").write_text(json.dumps({"next": start}))
        make_batch(LYON, home, tmp_path / folder, sheets=1, kinds=("suivi",), split="eval",
                   profile="clean_300", fill=FillOptions(label_rate=0.0), seed=seed)
    ingestor(home).ingest([tmp_path / "patient-a"], workers=1)
    copy = ingestor(home).ingest([tmp_path / "patient-b"], workers=1)
    (refused,) = [r for r in copy.refused if str(r["file"]).endswith(".pdf")]
    assert str(refused["reason"]).startswith(f"{MIXED} un deuxième exemplaire de la page 1")
    assert "bordereau photocopié ?" in str(refused["reason"])
