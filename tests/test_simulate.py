"""The scan simulator: values, glyph splits, drawing, scanner effects, whole batches."""

from __future__ import annotations

import random
import re
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from bordereau import heldout
from bordereau.forms.codes import parse_payload
from bordereau.forms.manifest import Layout
from bordereau.simulate import handwriting as hw
from bordereau.simulate.batch import Extras, make_batch
from bordereau.simulate.degrade import scan
from bordereau.simulate.fill import fill_page, render_pages, to_px
from bordereau.simulate.patients import nir_key
from bordereau.simulate.printer import Printer
from bordereau.simulate.profiles import PRESETS, random_profile
from bordereau.simulate.truth import Answer, BatchTruth
from bordereau.simulate.values import FillOptions, plan_sheet

ROOT = Path(__file__).resolve().parent.parent
CENTRES = sorted((ROOT / "samples" / "centres").glob("*.yaml"))
TODAY = date(2026, 6, 15)
DPI = 150.0
DATE_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _home(path: Path) -> Path:
    """An establishment home with a fixed secret, so that page codes are reproducible."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "secret.key").write_text("5e" * 32)
    return path


@pytest.fixture(scope="module")
def forms(tmp_path_factory: pytest.TempPathFactory) -> Printer:
    return Printer.open(CENTRES[0], _home(tmp_path_factory.mktemp("home")))


@pytest.fixture(scope="module")
def blank_pdf(forms: Printer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    pdf = tmp_path_factory.mktemp("forms") / "initiale.pdf"
    forms.generate("initiale", 1, pdf)
    return pdf


def _check_forms(layout: Layout, answers: dict[str, Answer]) -> None:
    """Every value is in the reader's output form for its field kind."""
    assert set(answers) == {f.id for f in layout.fields}
    for field in layout.fields:
        a = answers[field.id]
        codes = [c.code for c in field.choices or ()]
        if a.expect == "review":
            assert a.ambiguity is not None and len(a.candidates) == 2
        if a.value is None:
            continue
        if field.kind == "single_choice":
            assert a.value in codes
        elif field.kind == "multi_choice":
            assert isinstance(a.value, list) and a.value and set(a.value) <= set(codes)
        elif field.kind == "boolean":
            assert isinstance(a.value, bool)
        elif field.kind == "date":
            assert isinstance(a.value, str) and DATE_RE.match(a.value), a.value
            assert a.cells is not None and len(a.cells) == 8
        elif field.kind in {"digits", "orpha_code"}:
            assert isinstance(a.value, str) and a.value.isdigit()
            assert a.cells is not None and len(a.cells) == len(field.cells_mm or ())
        elif field.kind == "letters":
            assert isinstance(a.value, str) and re.fullmatch(r"[A-Z' -]+", a.value)
        elif field.kind in {"free_text", "label_zone"}:
            assert isinstance(a.value, str) and a.value


@pytest.mark.parametrize("centre", CENTRES, ids=lambda p: p.stem)
def test_values_are_consistent_and_in_output_form(centre: Path, tmp_path: Path) -> None:
    forms = Printer.open(centre, tmp_path)
    ipp_len = forms.centre.centre.options.longueur_ipp
    seen_anomaly = seen_review = seen_partial = False
    for kind in ("initiale", "suivi"):
        layout = forms.layout(kind)
        for seed in range(40):
            rng = random.Random(seed)
            answers, anomalies, label = plan_sheet(
                layout,
                forms.centre.centre,
                rng,
                today=TODAY,
                options=FillOptions(inconsistency_rate=0.3, ambiguity_rate=0.05),
            )
            _check_forms(layout, answers)
            seen_anomaly |= bool(anomalies)
            seen_review |= any(a.expect == "review" for a in answers.values())
            seen_partial |= any(
                isinstance(a.value, str) and a.kind == "date" and len(a.value) < 10
                for a in answers.values()
            )
            ipp = answers["patient.ipp"].value
            if label is not None:
                assert len(label.ipp) == ipp_len
            if ipp is not None and answers["patient.ipp"].expect == "read":
                assert isinstance(ipp, str) and len(ipp) == ipp_len
            if anomalies:
                continue
            values = {k: a.value for k, a in answers.items() if a.expect == "read"}
            dates = [
                values.get(k)
                for k in (
                    "patient.date_naissance",
                    "prise_en_charge.date_inclusion",
                    "activite.date",
                )
            ]
            full = [d for d in dates if isinstance(d, str) and len(d) == 10]
            assert full == sorted(full) and all(d <= TODAY.isoformat() for d in full)
            death = values.get("vital.date_deces")
            birth = values.get("patient.date_naissance")
            if isinstance(death, str) and isinstance(birth, str):
                assert death[:4] >= birth[:4]
            if isinstance(death, str):
                assert values.get("vital.decede") is True
            nir = values.get("patient.ins")
            if isinstance(nir, str):
                assert len(nir) == 15 and nir_key(nir[:13]) == nir[13:]
    assert seen_anomaly and seen_review and seen_partial


def test_the_calibration_split_is_the_networks_validation_slice() -> None:
    for digit in range(10):
        calib = hw.mnist_indices("calib", digit)
        assert calib and all(heldout.mnist_is_validation(i) for i in calib)
        assert not set(calib) & set(hw.mnist_indices("train", digit))
        assert not set(calib) & set(hw.mnist_indices("eval", digit))
        calib = hw.sklearn_indices("calib", digit)
        assert calib and all(heldout.sklearn_is_validation(i) for i in calib)
        assert not set(calib) & set(hw.sklearn_indices("train", digit))
    assert hw.split_fonts("calib") == hw.split_fonts("train")


def test_train_and_eval_never_share_a_glyph_source() -> None:
    for digit in range(10):
        train, evaluation = hw.mnist_indices("train", digit), hw.mnist_indices("eval", digit)
        assert train and evaluation and not set(train) & set(evaluation)
        assert all(heldout.mnist_is_heldout(i) for i in evaluation)
        assert not any(heldout.mnist_is_heldout(i) for i in train)
        train, evaluation = hw.sklearn_indices("train", digit), hw.sklearn_indices("eval", digit)
        assert not set(train) & set(evaluation)
        assert all(i >= heldout.SKLEARN_HELDOUT_START for i in evaluation)
        assert all(i < heldout.SKLEARN_HELDOUT_START for i in train)
    train_fonts, eval_fonts = hw.split_fonts("train"), hw.split_fonts("eval")
    assert eval_fonts and all(heldout.font_is_heldout(f) for f in eval_fonts)
    assert not any(heldout.font_is_heldout(f) for f in train_fonts)
    rng = random.Random(3)
    for split in ("train", "calib", "eval"):
        for _ in range(10):
            writer = hw.random_writer(rng, split)
            for char in "0123456789AZ-'":
                source = hw.glyph_for(char, writer, rng).source
                kind, _, ref = source.partition(":")
                if kind == "mnist":
                    assert heldout.mnist_is_heldout(int(ref)) == (split == "eval")
                elif kind == "sklearn":
                    assert heldout.sklearn_is_heldout(int(ref)) == (split == "eval")
                else:
                    font = next(
                        f for f in heldout.HELDOUT_FONTS + heldout.TRAINING_FONTS if f.name == ref
                    )
                    assert heldout.font_is_heldout(font) == (split == "eval")


def test_the_unseen_split_writes_only_in_the_style_validation_families(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BORDEREAU_TRAINING_FONTS", str(tmp_path))
    with pytest.raises(RuntimeError, match="fetch_training_fonts"):
        hw.random_writer(random.Random(1), "unseen")
    # A cached npm font is found by its family's file name (FreeType reads a font by its
    # content: a Debian training face stands in for the woff2 here). A family that is not
    # a style-validation one is never used by the split.
    face = next(f for f in heldout.TRAINING_FONTS if f.exists()).read_bytes()
    validation = heldout.STYLE_VALIDATION_FAMILIES[0]
    (tmp_path / f"{validation}-latin-400-normal.woff2").write_bytes(face)
    (tmp_path / "caveat-latin-400-normal.woff2").write_bytes(face)
    assert [f.name for f in hw.split_fonts("unseen")] == [
        f"{validation}-latin-400-normal.woff2"]
    rng = random.Random(5)
    for _ in range(5):
        writer = hw.random_writer(rng, "unseen")
        assert hw.font_style(writer.font) == validation
        assert writer.digit_weights == (0.0, 0.0, 1.0)
        for char in "0123456789AZ-'":
            assert hw.glyph_for(char, writer, rng).source == (
                f"font:{validation}-latin-400-normal.woff2")
    assert "caveat" not in heldout.STYLE_VALIDATION_FAMILIES


def _ink(before: npt.NDArray[np.uint8], after: npt.NDArray[np.uint8]) -> npt.NDArray[np.bool_]:
    return (before.astype(np.int16) - after.astype(np.int16)) > 40


def test_fill_draws_inside_the_right_boxes(forms: Printer, blank_pdf: Path) -> None:
    layout = forms.layout("initiale")
    blank = list(render_pages(blank_pdf, DPI))
    options = FillOptions(optional_sections=1.0, ambiguity_rate=0.0, cancel_rate=0.0)
    for seed in range(3):
        rng = random.Random(seed)
        answers, _, _ = plan_sheet(layout, forms.centre.centre, rng, today=TODAY, options=options)
        writer = hw.random_writer(rng, "eval")
        for number, page in enumerate(blank, start=1):
            filled = page.copy()
            fill_page(filled, layout, number, answers, writer, rng, DPI)
            ink = _ink(page, filled)
            allowed = np.zeros_like(ink)
            k = DPI / 25.4
            for field in layout.fields_on(number):
                a = answers[field.id]
                boxes = list(field.cells_mm or ()) + [c.box_mm for c in field.choices or ()]
                boxes += [field.box_mm] if field.box_mm else []
                margin = 6.0 if field.kind == "label_zone" else 2.0  # sticker is off the zone
                for box in boxes:
                    x, y, w, h = to_px(box, DPI)
                    m = margin * k
                    allowed[int(y - m) : int(y + h + m), int(x - m) : int(x + w + m)] = True
                for code, intent in a.boxes.items():
                    target = (
                        field.box_mm
                        if code == "true"
                        else next(c.box_mm for c in field.choices or () if c.code == code)
                    )
                    assert target is not None
                    x, y, w, h = (round(v) for v in to_px(target, DPI))
                    share = ink[y : y + h, x : x + w].mean()
                    assert share > (0.4 if intent == "cancel" else 0.04), (field.id, code, share)
                for index, char in enumerate(a.cells or ""):
                    assert field.cells_mm is not None
                    x, y, w, h = (round(v) for v in to_px(field.cells_mm[index], DPI))
                    inner = ink[y + 2 : y + h - 2, x + 2 : x + w - 2]
                    assert (inner.sum() > 5) == (char != " "), (field.id, index, char)
            outside = ink & ~allowed
            assert outside.sum() <= 0.002 * ink.size, (number, outside.sum())


@pytest.fixture(scope="module")
def filled_page(forms: Printer, blank_pdf: Path) -> npt.NDArray[np.uint8]:
    layout = forms.layout("initiale")
    page = next(iter(render_pages(blank_pdf, DPI)))
    rng = random.Random(11)
    answers, _, _ = plan_sheet(layout, forms.centre.centre, rng, today=TODAY)
    fill_page(page, layout, 1, answers, hw.random_writer(rng, "eval"), rng, DPI)
    return page


def _markers_and_qr(
    image: npt.NDArray[np.uint8], layout: Layout, matrix: npt.NDArray[np.float64]
) -> tuple[set[int], list[str]]:
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    detector = cv2.aruco.ArucoDetector(dictionary, cv2.aruco.DetectorParameters())
    _, ids, _ = detector.detectMarkers(image)
    found = set() if ids is None else {int(i) for i in ids.ravel()}
    texts = []
    for zone in layout.pages[0].codes:
        x, y, w, h = zone.box_mm
        corners = np.array(
            [[x - 4, y - 4], [x + w + 4, y - 4], [x + w + 4, y + h + 4], [x - 4, y + h + 4]],
            np.float64,
        ).reshape(-1, 1, 2)
        pts = cv2.perspectiveTransform(corners, matrix).reshape(-1, 2)
        x0, y0 = np.maximum(pts.min(axis=0).astype(int), 0)
        x1, y1 = pts.max(axis=0).astype(int)
        crop = image[y0:y1, x0:x1]
        tries = (  # as a reader would: as is, enlarged, binarised
            crop,
            cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC),
            cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)[1],
        )
        decoded = (cv2.QRCodeDetector().detectAndDecode(t)[0] for t in tries)
        texts.append(next((t for t in decoded if t), ""))
    return found, texts


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_keep_the_page_readable(
    name: str, forms: Printer, filled_page: npt.NDArray[np.uint8]
) -> None:
    layout = forms.layout("initiale")
    for seed in range(2):
        params = PRESETS[name].sample(random.Random(seed)).model_copy(update={"dpi": DPI})
        image, matrix = scan(filled_page, params, seed)
        found, texts = _markers_and_qr(image, layout, matrix)
        # one of the two page codes is enough to identify the page
        assert any(t.startswith("BDX1:") for t in texts), (name, params)
        if name == "photocopy":
            assert len(found) == 3  # the cut corner took one marker
        else:
            assert found == {0, 1, 2, 3}, (name, params)


def test_random_profiles_keep_the_page_readable(
    forms: Printer, filled_page: npt.NDArray[np.uint8]
) -> None:
    layout = forms.layout("initiale")
    rng = random.Random(5)
    for seed in range(6):
        params = random_profile(rng, DPI).sample(rng)
        image, matrix = scan(filled_page, params, seed)
        found, texts = _markers_and_qr(image, layout, matrix)
        assert found == {0, 1, 2, 3} and any(t.startswith("BDX1:") for t in texts), params


def _pages_of(path: Path) -> list[npt.NDArray[np.uint8]]:
    import pypdfium2 as pdfium

    if path.suffix == ".png":
        return [np.asarray(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE), np.uint8)]
    document = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for page in document:
            bitmap = page.render(scale=DPI / 72, grayscale=True)
            pages.append(np.array(bitmap.to_numpy()).reshape(bitmap.height, bitmap.width))
            bitmap.close()
        return pages
    finally:
        document.close()


@pytest.mark.parametrize("fmt", ["pdf-jpeg", "png"])
def test_make_batch_writes_what_truth_says(fmt: str, tmp_path: Path) -> None:
    extras = Extras(
        late_page=True,
        lost_page=True,
        foreign_page=True,
        tampered_page=True,
        not_a_form=True,
        corrupted_file=True,
        files=2,
    )
    truth = make_batch(
        CENTRES[0],
        _home(tmp_path / "home"),
        tmp_path / "out",
        sheets=3,
        split="eval",
        profile="office_200_jpeg",
        fmt=fmt,  # type: ignore[arg-type]
        duplex=fmt == "png",
        shuffle=True,
        seed=7,
        extras=extras,
        dpi=DPI,
        today=TODAY,
    )
    out = tmp_path / "out"
    layouts = {
        k: Printer.open(CENTRES[0], tmp_path / "home").layout(k) for k in ("initiale", "suivi")
    }
    assert BatchTruth.model_validate_json((out / "truth.json").read_text()) == truth
    states = {p.state for p in truth.pages}
    reasons = {p.reason for p in truth.pages if p.reason}
    assert {"read", "refused"} <= states and ("blank" in states) == (fmt == "png")
    assert reasons == {"foreign_establishment", "tampered_code", "not_a_form", "corrupted_file"}
    assert any(s.pages_missing for s in truth.sheets) and any(s.pages_late for s in truth.sheets)
    scanned = [p for p in truth.pages if p.reason != "corrupted_file"]
    late = [p for p in scanned if "late" in p.conditions]
    assert late and scanned[-len(late) :] == late  # held back to the last file
    for record in truth.files:
        if record.corrupted:
            continue
        pages = _pages_of(out / record.file)
        assert len(pages) == record.pages
        listed = [p for p in truth.pages if p.file == record.file]
        assert [p.index for p in listed] == list(range(record.pages))
        for page_truth, image in zip(listed, pages, strict=True):
            if page_truth.state == "read" or page_truth.reason == "foreign_establishment":
                assert page_truth.kind is not None and page_truth.transform is not None
                layout = layouts[page_truth.kind]
                _, texts = _markers_and_qr(image, layout, np.array(page_truth.transform))
                code = parse_payload(next(t for t in texts if t))
                assert (code.sheet, code.page) == (page_truth.serial, page_truth.page)
            elif page_truth.state == "blank" or page_truth.reason == "not_a_form":
                assert not any(cv2.QRCodeDetector().detectAndDecodeMulti(image)[1])
    sheet_pages = {(p.serial, p.page) for p in truth.pages if p.state == "read"}
    for sheet in truth.sheets:
        expected = set(range(1, sheet.pages + 1)) - set(sheet.pages_missing)
        assert {n for s, n in sheet_pages if s == sheet.serial} == expected


def test_make_batch_is_reproducible(tmp_path: Path) -> None:
    runs = [
        make_batch(
            CENTRES[1],
            _home(tmp_path / f"home{n}"),
            tmp_path / f"out{n}",
            sheets=1,
            kinds=("suivi",),
            split="eval",
            profile="fax_like_200_g4",
            seed=3,
            dpi=DPI,
            today=TODAY,
        )
        for n in range(2)
    ]
    assert runs[0].sheets[0].fields == runs[1].sheets[0].fields
    assert [p.scan for p in runs[0].pages] == [p.scan for p in runs[1].pages]


def test_a_blank_identity_field_is_expected_to_take_the_sticker_value() -> None:
    """The reader fills a blank IPP, birth name, first name or date of birth from the patient
    sticker (ocr.rules.apply_label_evidence): the benchmark expects the sticker's value."""
    from bordereau.simulate.evaluate import _expected
    from bordereau.simulate.truth import Answer

    label = {"nom": "Müller", "prenom": "Léa", "date_naissance": "2001-02-03", "ipp": "123"}
    blank = Answer(kind="letters")
    assert _expected("patient.premier_prenom", blank, label) == "LEA"
    assert _expected("patient.nom_naissance", blank, label) == "MULLER"
    assert _expected("patient.date_naissance", Answer(kind="date"), label) == "2001-02-03"
    assert _expected("patient.ipp", Answer(kind="digits"), label) == "123"
    assert _expected("patient.premier_prenom", Answer(kind="letters", value="ZOE"),
                     label) == "ZOE"  # what is written counts
    assert _expected("patient.premier_prenom", blank, None) is None
    assert _expected("patient.nom_utilise", blank, label) is None
