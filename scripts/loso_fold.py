"""Networks of one leave-one-style-out fold, written as model files the reader can load.

Used by ``benchmarks/bench_loso_fields.py``. ``train_digits_without(S)`` trains the digit
network exactly as ``scripts/loso.py`` does for S (same rendered cells, seeds, rejects and
loop) and ``train_letters_without(S)`` the letter network as ``scripts/loso_letters.py``
does; each then fits its temperature on the validation renderings without S and writes the
network with ``train_digits.export`` / ``train_letters.export`` (temperature folded in), so
``DigitRecognizer`` / ``LetterRecognizer`` read it like the shipped one. ``loso_common.ALL``
leaves nothing out: the reference networks of the same recipe. Never the held-out
data of ``bordereau/heldout.py``; nothing under ``bordereau/ocr/models`` is written.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import loso
import loso_letters
import train_digits as td
import train_letters as tl
from loso_common import ALL

from bordereau.ocr.cnn import GEOMETRY_SIZE
from bordereau.ocr.digits import CLASSES as DIGIT_CLASSES
from bordereau.ocr.digits import INPUT_SIZE
from bordereau.ocr.letters import CLASSES as LETTER_CLASSES
from bordereau.training.temperature import fit_temperature


def log(message: str) -> None:
    print(f"[loso_fold] {message}", file=sys.stderr, flush=True)


def train_digits_without(style: str, out: Path, cache: Path, epochs: int, seed: int) -> None:
    """The digit network of ``scripts/loso.py``'s run for ``style``, written to ``out``."""
    started = time.monotonic()
    train_src, val_src = td.load_sources("train"), td.load_sources("val")
    loso.check_training_side(train_src + val_src)
    train = loso.render(train_src, td.COPIES, seed, cache)
    val = loso.render(val_src, td.VAL_COPIES, seed + 1, cache)
    if style != ALL and not (train.style == style).any():
        raise ValueError(f"no digit of the style {style!r} among the training sources")
    index = [ALL, *loso.training_styles()].index(style)
    kept_train, _ = loso.split_sources(train_src, style)
    kept_val, _ = loso.split_sources(val_src, style)
    train_set = loso.with_rejects(train.where(train.style != style), kept_train,
                                  seed + 100 + index)
    val_set = loso.with_rejects(val.where(val.style != style), kept_val, seed + 200 + index)
    log(f"digits without {style}: training on {len(train_set[1])} cells")
    net = td.train(train_set, val_set, epochs, seed)
    logits = td._logits(net, val_set[0])
    temperature = fit_temperature(logits, val_set[1])
    meta: dict[str, object] = {
        "name": f"digits-cnn-loso-{style}", "classes": list(DIGIT_CLASSES),
        "input_size": INPUT_SIZE, "temperature": temperature, "seed": seed, "epochs": epochs,
        "left_out": style, "train_cells": len(train_set[1]),
        "val_accuracy": round(float((logits.argmax(1) == val_set[1]).mean()), 4),
        "data": f"scripts/loso.py's training side without the style {style}",
    }  # fmt: skip
    td.export(net, temperature, out, meta)
    log(f"digits without {style}: {out} in {time.monotonic() - started:.0f} s")


def letter_sets(cache: Path, copies: int, seed: int) -> dict[str, Any]:
    """Each family's letter cells, rendered as ``scripts/loso_letters.py`` renders them."""
    args: Any = type("Args", (), {"copies": copies, "seed": seed, "cache": cache})
    tl.COPIES = {"train": copies, "val": tl.COPIES["val"]}
    sets: dict[str, Any] = {}
    for k, (name, fonts) in enumerate(loso_letters.families().items()):
        stem = args.cache / f"letters-{name}-{seed}-{copies}"
        sets[name] = {
            split: loso_letters.cached(
                Path(f"{stem}-{split}.npz"),
                lambda s=split, f=fonts, i=k: tl.build_set(f, s, seed + 10 * i + (s == "val")))
            for split in ("train", "val")
        }  # fmt: skip
    return sets


def train_letters_without(style: str, out: Path, cache: Path, epochs: int, copies: int,
                          seed: int) -> None:
    """The letter network of ``scripts/loso_letters.py``'s run for ``style``, to ``out``."""
    started = time.monotonic()
    sets = letter_sets(cache, copies, seed)
    if style != ALL and style not in sets:
        raise ValueError(f"no letter font of the style {style!r}")
    others = [s for name, s in sets.items() if name != style]
    train = loso_letters.merge([s["train"] for s in others])
    val = loso_letters.merge([s["val"] for s in others])
    log(f"letters without {style}: training on {len(train[2])} cells")
    net = tl.train(train, val, epochs, seed)
    logits = tl.logits_of(net, val)
    temperature = fit_temperature(logits, val[2])
    meta: dict[str, object] = {
        "name": f"letters-cnn-loso-{style}", "classes": list(LETTER_CLASSES),
        "input_size": INPUT_SIZE, "extra_features": GEOMETRY_SIZE,
        "temperature": temperature, "seed": seed, "epochs": epochs, "copies": copies,
        "left_out": style, "train_cells": len(train[2]),
        "val_accuracy": round(float((logits.argmax(1) == val[2]).mean()), 4),
        "fonts": [f.name for name, fonts in loso_letters.families().items() if name != style
                  for f in fonts],
    }  # fmt: skip
    tl.export(net, temperature, out, meta)
    log(f"letters without {style}: {out} in {time.monotonic() - started:.0f} s")
