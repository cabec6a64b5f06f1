"""The pieces of the field-level leave-one-style-out benchmark
(``benchmarks/bench_loso_fields.py``): sheets written in one style only, a home's own
letter model read with, calibration without a style. Nothing is trained here."""

from __future__ import annotations

import datetime as dt
import importlib
import io
import json
import random
import shutil
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from bordereau import heldout
from bordereau.home import Home
from bordereau.ocr.adapt import home_letters, letters_path
from bordereau.ocr.engine import EngineSpec
from bordereau.ocr.letters import CLASSES, MODEL_FILE, default_recognizer
from bordereau.ocr.page_reader import Context
from bordereau.ocr.pipeline import ReadOptions, read_batch
from bordereau.simulate.batch import make_batch
from bordereau.simulate.evaluate import FieldOutcome, compare
from bordereau.simulate.handwriting import font_style, glyph_for, random_writer
from bordereau.simulate.truth import BatchTruth
from tests.conftest import LYON

ROOT = Path(__file__).resolve().parents[1]
KRISTI = heldout.FONT_DIR / "truetype/kristi/Kristi.ttf"
COMIC = heldout.FONT_DIR / "opentype/comic-neue/ComicNeue-Regular.otf"
needs_fonts = pytest.mark.skipif(not (KRISTI.exists() and COMIC.exists()),
                                 reason="training fonts not installed")


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    added = [str(ROOT / "scripts"), str(ROOT / "benchmarks")]
    sys.path[:0] = added
    try:
        return importlib.import_module("bench_loso_fields")
    finally:
        for path in added:
            sys.path.remove(path)


@needs_fonts
def test_a_style_writer_draws_letters_and_digits_from_its_family_only() -> None:
    rng = random.Random(5)
    for _ in range(10):
        writer = random_writer(rng, "train", "comic-neue")
        assert font_style(writer.font) == "comic-neue" and writer.style == "comic-neue"
        assert writer.digit_weights == (0.0, 0.0, 1.0)
        sources = {glyph_for(c, writer, rng).source for c in "0123456789ABCXYZ-'"}
        assert sources <= {"font:ComicNeue-Regular.otf", "font:ComicNeue-Bold.otf"}
    assert random_writer(random.Random(5), "train").style is None
    with pytest.raises(ValueError, match="style"):
        random_writer(rng, "train", "no-such-family")
    with pytest.raises(ValueError, match="style"):  # a held-out family is not of "train"
        random_writer(rng, "train", "fifthhorseman")


@pytest.fixture(scope="module")
def kristi_sheet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BatchTruth]:
    root = tmp_path_factory.mktemp("loso-fields")
    truth = make_batch(LYON, root / "home", root / "scans", sheets=1, split="train",
                       profile="clean_300", fmt="png", seed=3, style="kristi",
                       kinds=("initiale",), today=dt.date(2026, 11, 2))
    return root, truth


def _biased_letters(path: Path, char: str) -> None:
    """The shipped letter model with its last bias pushed towards ``char``."""
    shipped = np.load(io.BytesIO(
        (ROOT / "bordereau" / "ocr" / "models" / MODEL_FILE).read_bytes()))
    arrays = {k: shipped[k] for k in shipped.files}
    meta = json.loads(str(arrays["meta"]))
    arrays["meta"] = np.array(json.dumps(meta | {"name": f"letters-only-{char}"}))
    bias = arrays["f2.b"].astype(np.float32)
    bias[CLASSES.index(char)] += 60.0
    arrays["f2.b"] = bias.astype(np.float16)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)


@needs_fonts
def test_sheets_of_a_style_are_read_with_the_homes_own_letter_model(
        kristi_sheet: tuple[Path, BatchTruth], tmp_path: Path) -> None:
    root, truth = kristi_sheet
    sheet = truth.sheets[0]
    assert sheet.writer.font == "Kristi.ttf" and sheet.writer.digit_sources == ["font"]
    home = tmp_path / "home"
    shutil.copytree(root / "home", home)
    assert Context(home).letters is default_recognizer()  # no model of its own
    _biased_letters(letters_path(home), "Z")
    assert home_letters(home).version.startswith("letters-only-Z+")
    options = ReadOptions(workers=1, engine=EngineSpec(kind="null"))
    names = ("patient.nom_naissance", "patient.premier_prenom")
    read = read_batch([root / "scans"], Home.open(home, create=False), options)
    shipped = read_batch([root / "scans"], Home.open(root / "home", create=False), options)
    for field_id in names:
        assert sheet.fields[field_id].value  # written
        biased = read.sheets[0].fields[field_id].value
        assert biased and set(biased) <= {"Z", " "}  # the home's model read it
        assert shipped.sheets[0].fields[field_id].value != biased


@needs_fonts
def test_calibration_leaves_the_style_out(bench: ModuleType,
                                          kristi_sheet: tuple[Path, BatchTruth]) -> None:
    root, truth = kristi_sheet
    read = read_batch([root / "scans"], Home.open(root / "home", create=False),
                      ReadOptions(workers=1, engine=EngineSpec(kind="null")))
    fields = compare(read, truth, root / "scans")["fields"]
    assert fields and bench.without_style(fields, truth, "kristi") == []
    assert bench.without_style(fields, truth, "comic-neue") == fields


def test_thresholds_are_fitted_per_reader_with_calibrates_rule(bench: ModuleType) -> None:
    from calibrate import NEVER, fit_thresholds

    def outcome(n: int, kind: str, right: bool) -> FieldOutcome:
        return FieldOutcome(serial=f"S{n}", field_id="x", kind=kind, expect="read", truth="12",
                            value="12" if right else "13", confidence=0.5 + n / 400,
                            review=False, reason=None)

    digits = [outcome(n, "digits", right=n >= 20) for n in range(200)]
    thresholds, support = fit_thresholds(digits)
    # the lowest level whose trusted fields are right >= 99.5 % with a bound <= 2 %
    assert thresholds["digits"] == thresholds["date"] == 0.55
    assert support["digit_combs"]["wrong"] == 0 and support["digit_combs"]["trusted"] == 180
    assert thresholds["letters"] == thresholds["single_choice"] == NEVER
