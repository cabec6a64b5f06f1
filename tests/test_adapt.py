"""Learning from corrections (``models adapt``): simulated sheets are printed, filled, scanned
and ingested for real (Tesseract replayed), a simulated reviewer decides every pending
field with the written value; the decided digit cells are the training data of the
adapted digit model, installed in the home only when no worse on the sheets held back.

The writer draws digits from the digit network's validation slice (split "calib": never
learnt, not held out), so the shipped model hesitates on some of them.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from bordereau.base.adapt import adapt_digits, held_back_sheets
from bordereau.base.corrections import cell_labels, date_chars, decided_digit_cells
from bordereau.base.engine import Database
from bordereau.base.ingest import Ingestor
from bordereau.base.schema import Reading, Sheet
from bordereau.establishment import Establishment
from bordereau.home import Home
from bordereau.ocr.adapt import Score, adapted_path, home_recognizer, previous_path
from bordereau.ocr.digits import DigitRecognizer, default_recognizer
from bordereau.ocr.pipeline import ReadOptions
from bordereau.review.queue import Queue
from bordereau.review.values import format_value
from bordereau.simulate.batch import make_batch
from bordereau.simulate.truth import BatchTruth
from tests.conftest import LYON, replay, run_cli
from tests.factories import INITIALE, Factory

ENGINE = replay("simulated-adapt")
MIN_CELLS = 40  # the base of these tests is small; the command's default is 300
TODAY = dt.date(2026, 11, 2)


def adapted_version(home: Path) -> str:
    return home_recognizer(home).version


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BatchTruth]:
    """A home whose base holds six ingested sheets, every pending field decided."""
    root = tmp_path_factory.mktemp("adapt")
    home = Home.open(root / "home")
    truth = make_batch(LYON, home.root, root / "scans", sheets=6, split="calib",
                       profile="office_200_jpeg", fmt="png", seed=21, today=TODAY)
    db = Database.open(home)
    Ingestor(db, "secretariat", engine=ENGINE).ingest([root / "scans"], workers=1)
    queue = Queue(db, "alice", today=TODAY)
    sheets = {s.serial: s for s in truth.sheets}
    for item in queue.items(status="pending"):
        answer = sheets[item.serial].fields.get(item.field_id)
        if answer is None or answer.expect == "review":
            continue
        if item.value == answer.value:
            queue.accept(item.id)
        else:
            field = home.layout(sheets[item.serial].layout_id).field(item.field_id)
            queue.set(item.id, format_value(field, answer.value))
    Database.close_all()
    return root, truth


@pytest.fixture
def establishment(reviewed: tuple[Path, BatchTruth], tmp_path: Path) -> Establishment:
    """A copy of the reviewed home and base, for a test to change."""
    shutil.copytree(reviewed[0] / "home", tmp_path / "home")
    return Establishment(tmp_path / "home", user="alice")


def test_decided_cells_carry_the_digit_the_reviewer_decided(
        reviewed: tuple[Path, BatchTruth]) -> None:
    root, truth = reviewed
    home = Home.open(root / "home", create=False)
    db = Database.open(home)
    cells = list(decided_digit_cells(db, home))
    with db.session() as session:
        decided = {tuple(row) for row in session.execute(
            select(Sheet.serial, Reading.field_id).join(Sheet)
            .where(Reading.status.in_(["accepted", "corrected"])))}
        # what read each stored comb value is kept with it
        models = {raw["details"].get("digit_model") for kind, raw in session.execute(
            select(Reading.kind, Reading.raw)) if kind == "date" and raw["value"]}
    assert models == {default_recognizer().version}
    assert len(cells) >= MIN_CELLS
    sheets = {s.serial: s for s in truth.sheets}
    for cell in cells:
        assert (cell.serial, cell.field_id) in decided
        written = sheets[cell.serial].fields[cell.field_id].cells
        assert written[cell.index] == str(cell.label)
        assert cell.image.dtype == np.uint8 and min(cell.image.shape) >= 20  # a whole cell
    # the crops are the cells the reader saw: the shipped model reads most of them right
    read = default_recognizer().read([c.image for c in cells])
    right = sum(r.digit == str(c.label) for r, c in zip(read, cells, strict=True))
    assert right >= 0.8 * len(cells)
    assert {c.field_id.split(".")[-1] for c in cells} & {"ipp", "date_naissance", "ins"}


def test_a_decided_value_is_lined_up_with_the_cells_read() -> None:
    read = [{"char": c} for c in "12?4"] + [{"char": ""}] * 2
    assert cell_labels("digits", "", "1284", read) == [(0, 1), (1, 2), (2, 8), (3, 4)]
    assert cell_labels("digits", "", "12845", read) == []  # ink missing under a digit: unsure
    assert cell_labels("digits", "", "128", read) == []  # a stray mark in the last inked cell
    assert date_chars("2023-04") == ["", "", "0", "4", "2", "0", "2", "3"]
    date = [{"char": ""}] * 2 + [{"char": c} for c in "0?2023"]
    assert cell_labels("date", "", "2023-04", date) == [
        (2, 0), (3, 4), (4, 2), (5, 0), (6, 2), (7, 3)]
    insee = [{"char": c} for c in "2A004"]
    assert cell_labels("alphanumeric", "DADDD", "2A004", insee) == [(0, 2), (2, 0), (3, 0),
                                                                      (4, 4)]


def test_too_few_corrections_change_nothing(establishment: Establishment) -> None:
    home = establishment.home.root
    result = run_cli(["models", "adapt", "--home", str(home)])
    assert result.exit_code == 13
    assert "Trop peu de corrections" in result.stdout and "rien n’a changé" in result.stdout
    assert not adapted_path(home).exists()


def test_an_adapted_model_no_worse_is_installed_and_read_with(
        establishment: Establishment, reviewed: tuple[Path, BatchTruth]) -> None:
    home = establishment.home.root
    result = establishment.adapt_digits(min_cells=MIN_CELLS)
    assert not result.too_few and result.before is not None and result.after is not None
    assert result.after.no_worse_than(result.before)
    assert result.held_back > 0 and result.fitted + result.held_back == result.cells
    assert result.installed is not None and result.installed.startswith("digits-cnn-adapte+")
    model = adapted_path(home)
    assert stat.S_IMODE(model.stat().st_mode) == 0o600
    assert stat.S_IMODE(model.parent.stat().st_mode) == 0o700
    assert not previous_path(home).exists()  # it replaced the shipped model
    # the reader, in worker processes too, uses it and says so in each comb reading
    read = establishment.read([reviewed[0] / "scans"], ReadOptions(workers=2, engine=ENGINE))
    versions = {r.details.get("digit_model") for s in read.sheets for r in s.fields.values()
                if r.kind in ("digits", "date") and r.value is not None}
    assert versions == {result.installed}


def test_revert_goes_back_to_the_model_replaced(establishment: Establishment,
                                                 reviewed: tuple[Path, BatchTruth]) -> None:
    home = establishment.home.root
    first = run_cli(["models", "adapt", "--home", str(home), "--json",
                     "--min-cells", str(MIN_CELLS)])
    assert first.exit_code == 0, first.stdout
    summary = json.loads(first.stdout)
    assert summary["installed"] == adapted_version(home)
    # the adapted network reads alone (averaged with the shipped members it kept little of
    # what it learnt: docs/reading.md « Learning from corrections »)
    assert DigitRecognizer(adapted_path(home)).size == 1 < default_recognizer().size
    assert "&" not in summary["installed"]
    assert summary["held_back"] + summary["fitted"] == summary["cells"]
    installed = adapted_path(home).read_bytes()
    # the same corrections again: no worse than itself, installed, the first one kept
    again = run_cli(["models", "adapt", "--home", str(home), "--min-cells", str(MIN_CELLS)])
    assert again.exit_code == 0 and "Modèle adapté installé" in again.stdout
    assert "mis de côté" in again.stdout
    assert previous_path(home).read_bytes() == installed  # the one it replaced is kept
    back = run_cli(["models", "adapt", "--revert", "--home", str(home)])
    assert back.exit_code == 0 and "Modèle précédent rétabli" in back.stdout
    assert adapted_path(home).read_bytes() == installed and not previous_path(home).exists()
    shipped = default_recognizer().version
    back = run_cli(["models", "adapt", "--revert", "--home", str(home)])
    assert back.exit_code == 0 and shipped in back.stdout
    assert not adapted_path(home).exists()
    read = establishment.read([reviewed[0] / "scans"], ReadOptions(workers=1, engine=ENGINE))
    versions = {r.details.get("digit_model") for s in read.sheets for r in s.fields.values()
                if r.kind == "date" and r.value is not None}
    assert versions == {shipped}
    nothing = run_cli(["models", "adapt", "--revert", "--home", str(home)])
    assert nothing.exit_code == 13 and "modèle livré" in nothing.stdout


def test_a_model_worse_on_the_held_back_sheets_is_not_installed(
        establishment: Establishment) -> None:
    """Reviewers who typed every digit of the fitted sheets one off (a systematic mistake)
    teach a model the held-back sheets, decided right, show to be worse: it is not kept."""
    first = establishment.adapt_digits(min_cells=MIN_CELLS)
    assert first.installed is not None
    home = establishment.home.root
    kept = adapted_path(home).read_bytes()
    db = establishment.base
    with db.session() as session:
        serials = session.scalars(select(Sheet.serial)).all()
        check = held_back_sheets(serials)
        rows = session.scalars(
            select(Reading).join(Sheet).where(Reading.status.in_(["accepted", "corrected"]),
                                              Reading.kind.in_(["digits", "date"]),
                                              Sheet.serial.not_in(check))).all()
        for row in rows:
            shift = str.maketrans("0123456789", "1234567890")
            row.final = row.final.translate(shift) if row.kind == "digits" else row.final
            if row.kind == "date":  # the year's digits shifted: still a date
                year, *rest = row.final.split("-")
                row.final = "-".join([year.translate(shift), *rest])
        session.commit()
    said = run_cli(["models", "adapt", "--home", str(home), "--min-cells", str(MIN_CELLS)])
    assert said.exit_code == 13
    assert "modèle actuel" in said.stdout and "modèle adapté" in said.stdout
    assert "n’est pas installé, rien n’a changé" in said.stdout
    worse = establishment.adapt_digits(min_cells=MIN_CELLS)
    assert worse.before is not None and worse.after is not None
    assert not worse.after.no_worse_than(worse.before)
    assert worse.installed is None
    assert adapted_path(home).read_bytes() == kept
    assert adapt_digits(db, establishment.home, min_cells=10**6).too_few


def test_decided_cells_are_found_in_a_postgresql_base(tmp_path: Path, pg_url: str) -> None:
    """The same query on the shared base: an accepted IPP and a corrected date, each cell
    labelled with the decided value (the machine's for the accepted one), cut from the
    stored crop of the printed form."""
    factory = Factory(tmp_path, LYON, url=pg_url)
    read_ipp = [{"char": c} for c in "4100200300"]
    read_date = [{"char": c} for c in "17042?12"]
    factory.sheet("initiale", INITIALE, {"patient.ipp": "lecture incertaine",
                                         "activite.date": "chiffre illisible"},
                  details={"patient.ipp": {"cells": read_ipp},
                           "activite.date": {"cells": read_date}})
    queue = Queue(factory.db, "alice")
    for item in queue.items():
        if item.field_id == "patient.ipp":
            queue.accept(item.id)
        else:
            queue.set(item.id, "09/01/2023")
    cells = list(decided_digit_cells(factory.db, factory.home))
    by_field = {f: [(c.index, c.label) for c in cells if c.field_id == f]
                for f in ("patient.ipp", "activite.date")}
    assert by_field["patient.ipp"] == [(n, int(c)) for n, c in enumerate("4100200300")]
    assert by_field["activite.date"] == [(n, int(c)) for n, c in enumerate("09012023")]
    layout = factory.layout("initiale").field("patient.ipp")
    width_mm = (layout.cells_mm or ())[0][2] - 2 * 0.3
    assert all(abs(c.image.shape[1] - width_mm * 4.0) <= 1 for c in cells)  # 4 px/mm


def test_a_model_as_right_but_far_less_sure_is_worse() -> None:
    """Sending many more cells to review is worse, even with no more errors (an adapted
    first network averaged with the shipped ones can lose its certainty and not its
    answers); a cell or two of the check (5 %) may change side."""
    before = Score("actuel", cells=36, correct=35, confident=34, confident_errors=0)
    assert not Score("adapté", 36, 36, 10, 0).no_worse_than(before)
    assert Score("adapté", 36, 36, 32, 0).no_worse_than(before)
    assert not Score("adapté", 36, 36, 31, 0).no_worse_than(before)
    assert not Score("adapté", 36, 34, 36, 0).no_worse_than(before)
    assert not Score("adapté", 36, 36, 36, 1).no_worse_than(before)
