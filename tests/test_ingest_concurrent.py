"""A reviewer decides while another process ingests a batch (SQLite and PostgreSQL).

Ingestion holds the write lock only while it stores a file, never while it reads: a
reviewer's decisions go through during a long ingest, and both leave a consistent base.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bordereau.base.engine import Database
from bordereau.base.schema import Audit, Reading, Record, Sheet
from bordereau.home import Home
from tests.conftest import ROOT, SAMPLES, run_cli

BORDEREAU = str(Path(sys.executable).with_name("bordereau"))
# Recorded Tesseract output in every process these tests start (BORDEREAU_OCR_REPLAY is
# inherited): they test processes and bases, not Tesseract (docs/testing.md)
pytestmark = pytest.mark.usefixtures("replay_samples")

REVIEWER = """
import json, sys, time
from pathlib import Path
from bordereau.base.engine import Database
from bordereau.errors import BordereauError, InputError
from bordereau.home import Home
from bordereau.review.queue import Queue

home, url, stop = Path(sys.argv[1]), sys.argv[2] or None, Path(sys.argv[3])
queue = Queue(Database.open(Home.open(home, create=False), url), "relectrice")
decided, errors, during = [], [], 0
while True:
    stopping = stop.exists()
    item = queue.claim_next()
    if item is None:
        if stopping:
            break
        time.sleep(0.1)
        continue
    try:
        try:  # every other item typed again (as a correction), the others accepted
            if not (len(decided) % 2 and item.shown):
                raise InputError("accept")
            queue.set(item.id, item.shown)
        except InputError:  # a value the rules refuse (a date in the future...): keep it
            try:
                queue.accept(item.id)
            except InputError:  # ink read empty, or a required item blank on paper:
                queue.ask_clinician(item.id)  # the clinician is asked (« à compléter »)
        decided.append(item.id)
        during += not stop.exists()
    except BordereauError as error:
        errors.append(f"{type(error).__name__}: {error.message}")
        break
print(json.dumps({"decided": decided, "errors": errors, "during": during}))
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    target = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", target)
    return target


def _ingest_while_reviewing(home: Path, url: str | None, tmp_path: Path) -> None:
    base = ["--base", url] if url else []
    stop = tmp_path / "stop"
    reviewer = subprocess.Popen([sys.executable, "-c", REVIEWER, str(home), url or "",
                                 str(stop)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=ROOT)
    ingest = subprocess.run(
        [BORDEREAU, "scan", "ingest", str(SAMPLES / "scans" / "lyon-os"),
         str(SAMPLES / "scans" / "marseille-neuromusculaire"), "--home", str(home),
         "--workers", "2", "--json", *base],
        capture_output=True, text=True, cwd=ROOT, timeout=1200)
    stop.touch()
    out, err = reviewer.communicate(timeout=300)
    # 6 (lot partiel): lyon-os holds a page of another establishment, refused
    assert ingest.returncode == 6, ingest.stderr
    assert "autre établissement" in ingest.stdout
    assert reviewer.returncode == 0, err
    review = json.loads(out)
    assert review["errors"] == []
    assert review["during"] >= 1  # decisions went through while the batch was ingested
    report = json.loads(ingest.stdout)
    assert report["pages"] == {"read": 44, "blank": 32, "refused": 4}

    db = Database.open(Home.open(home, create=False), url)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Audit)) == len(review["decided"])
        decided = session.scalars(select(Reading.status)
                                  .where(Reading.id.in_(review["decided"]))).all()
        assert set(decided) <= {"accepted", "corrected", "clinician"}
        for sheet in session.scalars(select(Sheet)):
            pending = [r for r in sheet.readings if r.status in ("pending", "clinician")]
            records = session.scalar(select(func.count()).select_from(Record)
                                     .where(Record.sheet_id == sheet.id))
            if sheet.status == "committed":
                assert not pending and records == 1, sheet.serial
            elif sheet.status == "waiting_review":
                assert pending and records == 0, sheet.serial
    # and everything the reviewer left is still there to review, nothing lost
    status = run_cli(["scan", "status", "--home", str(home), "--json", *base])  # in process
    assert json.loads(status.stdout)["pages_total"] == 80


def test_a_reviewer_decides_while_a_batch_is_ingested_on_sqlite(home: Path,
                                                                tmp_path: Path) -> None:
    _ingest_while_reviewing(home, None, tmp_path)


def test_a_reviewer_decides_while_a_batch_is_ingested_on_postgresql(
        home: Path, tmp_path: Path, pg_url: str) -> None:
    _ingest_while_reviewing(home, pg_url, tmp_path)
