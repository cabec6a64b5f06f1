"""Reading scans end to end on the bundled samples and on simulated pages: every page ends
in one state, identification and alignment survive what scanners do, values are read."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bordereau.establishment import Establishment
from bordereau.home import Home
from bordereau.ocr.engine import REPLAY_VAR, EngineSpec
from bordereau.ocr.page_reader import Context, read_page
from bordereau.ocr.pipeline import ReadOptions, ReadResult, read_batch
from bordereau.ocr.types import PageImage
from bordereau.simulate import degrade
from bordereau.simulate.batch import make_batch
from bordereau.simulate.evaluate import compare
from bordereau.simulate.truth import TruthSet
from tests.conftest import LYON, RECORDINGS, SAMPLES, replay, run_cli

SCANS = SAMPLES / "scans"
SIMULATED = replay("simulated-suivi")  # the clean page below and what is made of it
CLEAN_NAME = "OUATTARA"  # written on the clean page (simulated, seed 3)


@pytest.fixture(scope="module")
def sample_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("samples") / "home"
    shutil.copytree(SAMPLES / "home", home)
    return home


@pytest.fixture(scope="module")
def samples_read(sample_home: Path) -> ReadResult:
    return read_batch([SCANS], Home.open(sample_home, create=False),
                      ReadOptions(workers=2, engine=replay("samples")))


def test_every_sample_page_ends_in_the_state_its_truth_says(samples_read: ReadResult) -> None:
    truths = TruthSet.model_validate_json((SCANS / "truth.json").read_text())
    expected = {(str((SCANS / p.file).resolve()), p.index or 0): p for b in truths.batches
                for p in b.pages}
    got = {(str(p.source.resolve()), p.index): p for p in samples_read.pages}
    assert set(got) == set(expected)
    for key, page in got.items():
        assert page.state == expected[key].state, (key, page.reason)
        if page.state == "read":
            assert (page.serial, page.page) == (expected[key].serial, expected[key].page)
            assert page.residual_mm is not None and page.residual_mm < 0.6


def test_refused_pages_say_why_in_french(samples_read: ReadResult) -> None:
    reasons = sorted({p.reason or "" for p in samples_read.pages if p.state == "refused"})
    assert any(r.startswith("page refusée : bordereau émis par un autre établissement")
               for r in reasons)
    assert "page refusée : code du bordereau altéré (signature invalide)" in reasons
    assert [(s.source.name, s.reason) for s in samples_read.skipped] == [
        (name, f"« {name} » ignoré : format non pris en charge (formats acceptés : PDF, TIFF, "
               "PNG, JPEG)") for name in ("README.md", "truth.json")]


def test_sheets_are_grouped_and_missing_pages_reported(samples_read: ReadResult) -> None:
    sheets = {s.serial: s for s in samples_read.sheets}
    assert sheets["000006"].pages_missing == [4]
    assert sheets["000002"].pages_missing == []  # its page 5 came in a second file
    missing = sheets["000006"].fields["diagnostic2.statut"]
    assert missing.review and missing.reason == "page 4 manquante"


def test_trusted_values_on_the_samples_are_right(samples_read: ReadResult) -> None:
    truths = TruthSet.model_validate_json((SCANS / "truth.json").read_text())
    outcomes = []
    for batch in truths.batches:
        outcomes += compare(samples_read, batch, SCANS)["fields"]
    clean = [o for o in outcomes if o.expect == "read"]
    trusted = [o for o in clean if not o.review]
    wrong = [(o.serial, o.field_id, o.truth, o.value) for o in trusted if not o.right]
    # Exact, on the replayed Tesseract output: a change in the readers shows here as numbers.
    # (614 trusted before the CIM-10 list confirmed two codes read right, ocr.lexicon; 616
    # before the comb threshold was bounded, docs/reading.md; 607 before the digit ensemble
    # and its bounds, docs/digits.md « Ensemble »; 608 with letters-cnn-v3: v4, trained on
    # the npm fonts too, reads five more names and gene symbols right but, with thresholds
    # calibrated on v3, trusts JULIE, PICARD and GAA and no longer N'DIAYE, ADAM, DMPK
    # and PERRET; no new error; 614 with the four digit networks and the thresholds bounded
    # on the calibration and unseen splits, docs/reading.md « More writing styles »)
    assert (len(outcomes), len(clean), len(trusted)) == (682, 676, 614)
    assert wrong == [  # (98 cm of head circumference and an IPP the label contradicts are no
        # longer trusted, issue 9; nor, since the comb threshold is bounded, a date of
        # inclusion 2021-10-02 read 2021-10-09, the digit network's confident mistake)
        # ROCHE read BOCHE, another birth name: the readers gave B 0.968 after calibration
        # (R 0.002); the INSEE list confirms BOCHE once its least sure cell, H at 0.81, is
        # known to be the only name that fits (ocr.lexicon)
        ("000009", "patient.nom_naissance", "ROCHE", "BOCHE"),
        # an age 42 read 45 (its 2 read 5), under the digit threshold bounded on the
        # calibration and unseen splits (0.7685, docs/reading.md « More writing styles »)
        ("000014", "diagnostic1.age_premiers_signes_valeur", "42", "45"),
    ]


@pytest.mark.usefixtures("replay_samples")
def test_scan_read_json_contract(sample_home: Path) -> None:
    result = run_cli(["scan", "read", str(SCANS / "lyon-os" / "bureau-jpeg"), "--home",
                      str(sample_home), "--json", "--workers", "1"])
    assert result.exit_code == 6, result.stderr  # lot partiel: the foreign page is refused
    data = json.loads(result.stdout)
    assert set(data) == {"sheets", "pages", "skipped"}
    assert data["skipped"] == []
    (sheet,) = data["sheets"]
    assert set(sheet) == {"serial", "kind", "version", "centre", "layout_id", "pages_found",
                          "pages_missing", "fields"}
    assert sheet["kind"] == "suivi" and sheet["centre"] == "S901"
    field = sheet["fields"]["activite.date"]
    assert set(field) == {"value", "confidence", "review", "reason"}
    objectifs = sheet["fields"]["activite.objectifs"]["value"]
    assert objectifs is None or isinstance(objectifs, list)
    assert [p["state"] for p in data["pages"]] == ["read", "refused"]
    assert set(data["pages"][0]) == {"source", "index", "state", "serial", "page", "reason",
                                     "residual_mm"}
    truth = TruthSet.model_validate_json((SCANS / "truth.json").read_text())
    written = next(s for b in truth.batches for s in b.sheets if s.serial == sheet["serial"])
    label = next(a.label for a in written.fields.values() if a.label)
    expected = {k: a.value for k, a in written.fields.items()} | {"patient.ipp": label.ipp}
    trusted = {k: v["value"] for k, v in sheet["fields"].items() if not v["review"]}
    assert trusted == {k: expected[k] for k in trusted}
    # (the first name went to review with letters-cnn-v3; v4 trusts it, read right)
    assert sorted(k for k, v in sheet["fields"].items() if v["review"]) == [
        "patient.date_naissance", "patient.nom_naissance"]


def test_real_tesseract_reads_what_its_recording_replays(sample_home: Path) -> None:
    """The one reading test on real Tesseract: the recorded path is the real path."""
    args = ["scan", "read", str(SCANS / "lyon-os" / "bureau-jpeg"), "--home", str(sample_home),
            "--json", "--workers", "1"]
    real = run_cli(args)
    replayed = run_cli(args, env={REPLAY_VAR: str(RECORDINGS / "samples.json")})
    # 6 (lot partiel): the folder holds a page of another establishment
    assert real.exit_code == replayed.exit_code == 6, real.stderr
    assert json.loads(real.stdout) == json.loads(replayed.stdout)


@pytest.mark.usefixtures("replay_samples")
def test_debug_writes_an_overlay_per_page_and_crops_of_doubtful_fields(
    sample_home: Path, tmp_path: Path,
) -> None:
    folder = SCANS / "lyon-os" / "bureau-jpeg"
    result = run_cli(["scan", "read", str(folder), "--home", str(sample_home), "--debug",
                      str(tmp_path), "--workers", "1"])
    assert result.exit_code == 6  # lot partiel: the foreign page is refused
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "bureau-jpeg-01-p001.png" in names and "bureau-jpeg-01-p002.png" in names
    review_lines = [line for line in result.stdout.splitlines() if "à vérifier" in line]
    assert review_lines


@pytest.mark.usefixtures("replay_samples")
def test_human_summary_is_french(sample_home: Path) -> None:
    result = run_cli(["scan", "read", str(SCANS / "lyon-os" / "bureau-jpeg"), "--home",
                      str(sample_home), "--workers", "1"])
    lines = result.stdout.splitlines()
    assert lines[0] == "2 page(s) : 1 lue(s), 1 refusée(s)."
    assert lines[1].startswith("Bordereau 000005 (suivi, complet) : 16 champs, ")
    assert lines[2].startswith("Refusée : bureau-jpeg-01.pdf, page 2 — page "
                               "refusée : bordereau émis par un autre établissement")


@pytest.fixture(scope="module")
def clean_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, float]:
    """One simulated, filled, undegraded suivi page at 200 dpi, and its home."""
    folder = tmp_path_factory.mktemp("clean")
    truth = make_batch(LYON, folder / "home", folder / "scans", sheets=1, kinds=("suivi",),
                       split="eval", profile="clean_300", fmt="png", dpi=200, seed=3)
    page_file = folder / "scans" / truth.pages[0].file
    assert truth.sheets[0].fields["patient.nom_naissance"].value == CLEAN_NAME
    from PIL import Image

    return folder / "home", np.array(Image.open(page_file).convert("L")), 200.0


@pytest.mark.parametrize(("turns", "skew", "scale", "name"), [  # name: what is read there
    # (the first: OUAJTABA with letters-cnn-v3)
    (0, 0.0, 1.0, "ODAJTABA"), (1, 3.0, 0.95, "OUATTABA"), (2, -5.0, 1.0, "OUATTABA"),
    (3, 5.0, 0.9, CLEAN_NAME), (0, -2.0, 1.05, "OUATTABA")])
def test_orientation_skew_and_scale_are_recovered(
    clean_page: tuple[Path, np.ndarray, float], turns: int, skew: float, scale: float, name: str,
) -> None:
    home, pixels, dpi = clean_page
    bed = np.pad(pixels, 120, constant_values=255)  # the scanner glass is larger than A4
    image = degrade.print_scale(degrade.skew(degrade.rotate_quarter(bed, turns), skew), scale)
    page = PageImage(source=Path("x.png"), index=0, pixels=image, dpi=dpi)
    result = read_page(page, Context(home, engine=SIMULATED))
    assert result.outcome.state == "read"
    assert result.outcome.rotation == turns * 90 % 360 or result.outcome.rotation == (
        -turns * 90) % 360
    assert result.outcome.residual_mm is not None and result.outcome.residual_mm < 0.4
    assert result.review_reason is None
    reading = next(r for r in result.readings if r.id == "patient.nom_naissance")
    assert reading.value == name  # exact, on replayed Tesseract output (the comb is hard)


def test_a_cut_corner_sends_the_page_to_review_not_to_the_bin(
    clean_page: tuple[Path, np.ndarray, float],
) -> None:
    home, pixels, dpi = clean_page
    cut = degrade.cut_corner(pixels, "bottom_right", 40 * dpi / 25.4)
    cut = degrade.cut_corner(cut, "top_left", 40 * dpi / 25.4)
    # No OCR here: this test is about the page's state. With the replayed Tesseract, the
    # label crop of this two-marker alignment was once missing from the recording (one
    # fresh-root run of six; not reproduced in 8 new homes in one process; cause not found).
    result = read_page(PageImage(source=Path("x.png"), index=0, pixels=cut, dpi=dpi),
                       Context(home, engine=EngineSpec(kind="null")))
    assert result.outcome.state == "read"
    assert result.review_reason is not None and "repère(s) d’angle sur 4" in result.review_reason


def test_a_page_that_is_not_a_form_is_refused_and_others_still_read(
    clean_page: tuple[Path, np.ndarray, float], tmp_path: Path,
) -> None:
    home, pixels, _ = clean_page
    from PIL import Image

    Image.fromarray(pixels).save(tmp_path / "a-form.png", dpi=(200, 200))
    letter = np.full_like(pixels, 255)
    letter[300:320, 200:1400] = 0  # a printed line, no code
    Image.fromarray(letter).save(tmp_path / "b-letter.png", dpi=(200, 200))
    (tmp_path / "c-broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj\n<<")
    (tmp_path / "a-notes.txt").write_text("pas un scan")
    opened = Home.open(home, create=False)
    result = read_batch([tmp_path], opened, ReadOptions(workers=1, engine=SIMULATED))
    parallel = read_batch([tmp_path], opened, ReadOptions(workers=2, engine=SIMULATED))
    assert [(p.source, p.index, p.state, p.reason) for p in parallel.pages] == [
        (p.source, p.index, p.state, p.reason) for p in result.pages]
    assert [(s.source.name, s.reason) for s in result.skipped] == [
        ("a-notes.txt", "« a-notes.txt » ignoré : format non pris en charge (formats acceptés : "
                        "PDF, TIFF, PNG, JPEG)")]  # not a scan: no page
    states = [(p.source.name, p.state) for p in result.pages]
    assert states == [("a-form.png", "read"), ("b-letter.png", "refused"),
                      ("c-broken.pdf", "refused")]
    reasons = [p.reason for p in result.pages]
    assert reasons[1] == ("page refusée : aucun code de bordereau trouvé (ce n’est pas un "
                          "bordereau de ce logiciel ?)")
    assert reasons[2] is not None and "illisible" in reasons[2]


def test_forms_printed_by_another_home_are_refused(
    clean_page: tuple[Path, np.ndarray, float], tmp_path: Path,
) -> None:
    _, pixels, dpi = clean_page
    stranger = Home.open(tmp_path / "other")
    Establishment(stranger).print_forms(LYON, "suivi", 1, tmp_path / "x.pdf")
    result = read_page(PageImage(source=Path("x.png"), index=0, pixels=pixels, dpi=dpi),
                       Context(stranger.root))
    assert result.outcome.state == "refused"
    assert result.outcome.reason is not None
    assert result.outcome.reason.startswith("page refusée : bordereau émis par un autre "
                                            "établissement")
