"""Train the comb-cell digit recogniser and write ``bordereau/ocr/models/digits-cnn.npz``.

Run by a developer, not by the tests (a few minutes on 2 CPU cores)::

    .venv/bin/python scripts/train_digits.py

Needs the training extras: torch (CPU), mlxtend, scikit-learn, and the npm handwriting fonts
fetched first by ``scripts/fetch_training_fonts.py`` (``--fonts-dir``, default
``~/.cache/bordereau/training-fonts``). Data: the training part of
``mlxtend.data.mnist_data()`` and scikit-learn ``load_digits()``, digits set in
``bordereau.heldout.TRAINING_FONTS`` and in the npm *training* families, each written into a
synthetic cell scan (``bordereau.training.digits_synth``, with the width change and elastic
distortion of ``place_glyph(vary_shape=True)``) and passed through ``normalise_cell`` exactly
as at run time. A validation slice picks the epoch and the softmax temperature: the
validation part of MNIST, load_digits and the Debian training fonts, plus the npm
*style-validation* families, never trained on (``fetch_training_fonts.split_families``);
the held-out data of ``bordereau.heldout`` is never read here.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from bordereau import corpora, heldout
from bordereau.ocr.digits import CLASSES, INPUT_SIZE, MODEL_FILE, REJECT, normalise_cell
from bordereau.training import digits_synth as synth
from bordereau.training.temperature import fit_temperature, softmax

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fetch_training_fonts as npm_fonts  # a sibling script

Split = Literal["train", "val"]
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bordereau" / "ocr" / "models" / MODEL_FILE
MODEL_NAME = "digits-cnn-v1"
VAL_MNIST_FROM = heldout.MNIST_VALIDATION_FROM  # MNIST index % 500 in [370, 400): validation
VAL_SKLEARN_FROM = heldout.SKLEARN_VALIDATION_FROM  # load_digits [1350, 1500): validation
# Augmented renderings per source glyph ("npm": a font of fetch_training_fonts.FONTS).
COPIES = {"mnist": 12, "sklearn": 8, "font": 200, "npm": 60}
VAL_COPIES = {"mnist": 2, "sklearn": 2, "font": 6, "npm": 30}
REJECT_SHARE = 0.1
CROSSED_SEVENS = 0.3  # share of sevens given the French bar across the stem
DPI_RANGE = (120.0, 330.0)


def log(message: str) -> None:
    print(f"[train_digits] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Source:
    """One written character to render: where it comes from, its class, its ink map."""

    origin: str  # "mnist:<index>", "sklearn:<index>", "font:<path>" or "npm:<path>"
    label: int
    glyph: npt.NDArray[np.float32]


def mnist_indices(split: Split) -> list[int]:
    """Indices of ``mnist_data()`` used for ``split``; never a held-out one."""
    lo, hi = (
        (0, VAL_MNIST_FROM) if split == "train" else (VAL_MNIST_FROM, heldout.MNIST_HELDOUT_FROM)
    )
    picked = [i for i in range(10 * heldout.MNIST_BLOCK) if lo <= i % heldout.MNIST_BLOCK < hi]
    if any(heldout.mnist_is_heldout(i) for i in picked):
        raise RuntimeError("held-out MNIST samples in the training data")
    return picked


def sklearn_indices(split: Split) -> list[int]:
    """Indices of ``load_digits()`` used for ``split``; never a held-out one."""
    lo, hi = (
        (0, VAL_SKLEARN_FROM)
        if split == "train"
        else (VAL_SKLEARN_FROM, heldout.SKLEARN_HELDOUT_START)
    )
    picked = list(range(lo, hi))
    if any(heldout.sklearn_is_heldout(i) for i in picked):
        raise RuntimeError("held-out scikit-learn digits in the training data")
    return picked


def training_fonts() -> tuple[Path, ...]:
    """The handwriting fonts allowed for training and validation."""
    fonts = tuple(f for f in heldout.TRAINING_FONTS if f.exists())
    if any(heldout.font_is_heldout(f) for f in fonts):
        raise RuntimeError("a held-out font is listed among the training fonts")
    missing = set(heldout.TRAINING_FONTS) - set(fonts)
    if missing:
        log(f"missing training fonts (install the Debian packages): {sorted(map(str, missing))}")
    return fonts


def npm_font_files(split: Split, fonts_dir: Path) -> tuple[Path, ...]:
    """The npm fonts of ``split`` (training or style-validation families) in ``fonts_dir``.

    Raises when one is missing (run ``scripts/fetch_training_fonts.py``) or when a family
    is held out or forbidden."""
    train, val = npm_fonts.split_families()
    paths = npm_fonts.required_fonts(fonts_dir, train if split == "train" else val)
    for path in paths:
        if heldout.font_is_heldout(path):
            raise RuntimeError(f"a held-out font is listed among the npm fonts: {path}")
    return paths


def load_sources(split: Split, fonts_dir: Path | None = None) -> list[Source]:
    """Every training (or validation) digit glyph, tagged with its origin; with
    ``fonts_dir``, also the npm fonts of ``split`` found there (``npm_font_files``)."""
    images, labels = corpora.mnist()
    sources = [
        Source(f"mnist:{i}", int(labels[i]), synth.mnist_glyph(images[i]))
        for i in mnist_indices(split)
    ]
    data, target = corpora.sklearn_digits()
    sources += [
        Source(f"sklearn:{i}", int(target[i]), synth.sklearn_glyph(data[i]))
        for i in sklearn_indices(split)
    ]
    for font in training_fonts():
        for d in range(10):
            glyph = synth.font_glyph(font, str(d))
            if glyph is not None:
                sources.append(Source(f"font:{font}", d, glyph))
    for font in npm_font_files(split, fonts_dir) if fonts_dir is not None else ():
        for d in range(10):
            glyph = synth.font_glyph(font, str(d))
            if glyph is not None:
                sources.append(Source(f"npm:{font}", d, glyph))
    return sources


def letter_glyphs(fonts: tuple[Path, ...] | None = None) -> list[npt.NDArray[np.float32]]:
    """Letters and symbols from the Debian training fonts (or ``fonts``), for ``not_a_digit``."""
    chosen = training_fonts() if fonts is None else fonts
    found = [synth.font_glyph(f, c) for f in chosen for c in synth.REJECT_LETTERS]
    return [g for g in found if g is not None]


def render_digits(
    sources: list[Source],
    copies: dict[str, int],
    rng: np.random.Generator,
    vary_shape: bool = False,
) -> tuple[list[npt.NDArray[np.float32]], list[int], list[str]]:
    """Render every source ``copies`` times as normalised cell scans: (cells, labels, origins).
    ``vary_shape``: width change and elastic distortion (``digits_synth.place_glyph``)."""
    xs: list[npt.NDArray[np.float32]] = []
    ys: list[int] = []
    origins: list[str] = []
    for source in sources:
        for _ in range(copies[source.origin.split(":")[0]]):
            canvas = synth.place_glyph(source.glyph, rng, vary_shape=vary_shape)
            if source.label == 7 and rng.random() < CROSSED_SEVENS:
                canvas = synth.cross_seven(canvas, rng)
            crop = synth.scan(canvas, rng, rng.uniform(*DPI_RANGE))
            x = normalise_cell(crop)
            if x.sum() < 3.0:  # the normaliser lost the digit: label noise, leave it out
                continue
            xs.append(x)
            ys.append(source.label)
            origins.append(source.origin)
    return xs, ys, origins


def reject_pool(sources: list[Source]) -> list[npt.NDArray[np.float32]]:
    """About 400 digit glyphs of ``sources``, crossed out or hatched in ``not_a_digit`` cells."""
    return [s.glyph for s in sources[:: max(1, len(sources) // 400)]]


def reject_count(digit_cells: int) -> int:
    """How many ``not_a_digit`` cells go with ``digit_cells`` digit cells (REJECT_SHARE)."""
    return round(digit_cells * REJECT_SHARE / (1 - REJECT_SHARE))


def render_rejects(
    count: int,
    pool: list[npt.NDArray[np.float32]],
    letters: list[npt.NDArray[np.float32]],
    rng: np.random.Generator,
) -> list[npt.NDArray[np.float32]]:
    """``count`` normalised ``not_a_digit`` cells (marks, cross-outs of ``pool``, ``letters``)."""
    return [
        normalise_cell(synth.scan(synth.reject_canvas(rng, pool, letters), rng,
                                  rng.uniform(*DPI_RANGE)))
        for _ in range(count)
    ]  # fmt: skip


def build_set(
    sources: list[Source], copies: dict[str, int], seed: int, letters_from: tuple[Path, ...] = ()
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64], list[str]]:
    """Render every source ``copies`` times as cell scans, plus ``not_a_digit`` cells
    (letters of the Debian training fonts and of ``letters_from``): (cells, labels, origins),
    origin ``reject`` for a ``not_a_digit`` cell."""
    rng = np.random.default_rng(seed)
    letters = letter_glyphs() + letter_glyphs(letters_from) if letters_from else letter_glyphs()
    xs, ys, origins = render_digits(sources, copies, rng, vary_shape=True)
    rejects = render_rejects(reject_count(len(xs)), reject_pool(sources), letters, rng)
    return (np.stack(xs + rejects), np.array(ys + [REJECT] * len(rejects), dtype=np.int64),
            origins + ["reject"] * len(rejects))  # fmt: skip


def make_net() -> Any:
    """The network (torch). ``DigitRecognizer`` runs the same layers with numpy."""
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # 14 x 14
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 7 x 7
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 3 x 3
        nn.Flatten(), nn.Linear(64 * 3 * 3, 128), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(128, len(CLASSES)),
    )  # fmt: skip


def _logits(net: Any, x: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    import torch

    net.eval()
    with torch.no_grad():
        parts = [net(torch.from_numpy(x[i : i + 1024, None])) for i in range(0, len(x), 1024)]
    return np.asarray(torch.cat(parts).numpy(), dtype=np.float32)  # float32 already: no copy


def train(
    data: tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]],
    val: tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]],
    epochs: int,
    seed: int,
) -> Any:
    """Adam with a one-cycle schedule; keeps the epoch with the best validation loss."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    net = make_net()
    x, y = torch.from_numpy(data[0][:, None]), torch.from_numpy(data[1])
    optimiser = torch.optim.Adam(net.parameters(), lr=2e-3, weight_decay=1e-5)
    steps = (len(x) + 127) // 128
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, 3e-3, total_steps=epochs * steps)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    best: tuple[float, dict[str, Any]] = (float("inf"), {})
    for epoch in range(epochs):
        net.train()
        order = torch.randperm(len(x), generator=generator)
        started = time.monotonic()
        for i in range(steps):
            batch = order[i * 128 : (i + 1) * 128]
            shift = torch.randint(-1, 2, (2,), generator=generator).tolist()
            inputs = torch.roll(x[batch], shifts=shift, dims=(2, 3))  # +-1 px jitter
            optimiser.zero_grad()
            loss = loss_fn(net(inputs), y[batch])
            loss.backward()
            optimiser.step()
            schedule.step()
        logits = torch.from_numpy(_logits(net, val[0]))
        val_loss = float(loss_fn(logits, torch.from_numpy(val[1])))
        accuracy = float((logits.argmax(1).numpy() == val[1]).mean())
        log(f"epoch {epoch + 1}/{epochs}: val loss {val_loss:.4f}, val accuracy {accuracy:.4f} "
            f"({time.monotonic() - started:.0f} s)")  # fmt: skip
        if val_loss < best[0]:
            best = (val_loss, {k: v.clone() for k, v in net.state_dict().items()})
    net.load_state_dict(best[1])
    return net


def export(net: Any, temperature: float, out: Path, meta: dict[str, object]) -> None:
    """Write fp16 weights in the NHWC layout of ``DigitRecognizer`` (temperature folded in)."""
    p = {k: v.detach().numpy().astype(np.float32) for k, v in net.state_dict().items()}
    f1 = p["10.weight"].reshape(128, 64, 3, 3).transpose(0, 2, 3, 1).reshape(128, -1)
    arrays = {
        "c1.w": p["0.weight"], "c1.b": p["0.bias"], "c2.w": p["3.weight"], "c2.b": p["3.bias"],
        "c3.w": p["6.weight"], "c3.b": p["6.bias"], "f1.w": f1, "f1.b": p["10.bias"],
        "f2.w": p["13.weight"] / temperature, "f2.b": p["13.bias"] / temperature,
    }  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        meta=np.array(json.dumps(meta, sort_keys=True)),
        **{k: v.astype(np.float16) for k, v in arrays.items()},
    )


def validation_figures(
    logits: npt.NDArray[np.float32], labels: npt.NDArray[np.int64], origins: list[str]
) -> dict[str, dict[str, float]]:
    """Per source kind of the validation slice (``npm`` = the style-validation families):
    cells, accuracy, and confident errors (wrong with p >= 0.95) and share kept at 0.95."""
    z = logits - logits.max(1, keepdims=True)
    probs = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    kinds = np.array([o.split(":")[0] for o in origins])
    right = probs.argmax(1) == labels
    top = probs.max(1)
    out: dict[str, dict[str, float]] = {}
    for kind in dict.fromkeys(kinds.tolist()):
        sel = kinds == kind
        out[kind] = {
            "cells": int(sel.sum()), "accuracy": round(float(right[sel].mean()), 4),
            "kept_095": round(float((top[sel] >= 0.95).mean()), 4),
            "confident_errors_095": int((~right[sel] & (top[sel] >= 0.95)).sum()),
        }  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--fonts-dir", type=Path, default=npm_fonts.DEFAULT_DEST,
                        help="the npm fonts of scripts/fetch_training_fonts.py")  # fmt: skip
    args = parser.parse_args(argv)
    import torch

    from bordereau.ocr.digits import DigitRecognizer

    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    started = time.monotonic()
    npm_train = npm_font_files("train", args.fonts_dir)
    npm_val = npm_font_files("val", args.fonts_dir)
    data_x, data_y, _ = build_set(load_sources("train", args.fonts_dir), COPIES, args.seed,
                                  npm_train)  # fmt: skip
    val_x, val_y, val_origins = build_set(load_sources("val", args.fonts_dir), VAL_COPIES,
                                          args.seed + 1, npm_val)  # fmt: skip
    log(f"rendered {len(data_y)} training and {len(val_y)} validation cells "
        f"({len(npm_train)} npm training fonts, {len(npm_val)} style-validation fonts; "
        f"{time.monotonic() - started:.0f} s)")  # fmt: skip
    net = train((data_x, data_y), (val_x, val_y), args.epochs, args.seed)
    logits = _logits(net, val_x)
    temperature = fit_temperature(logits, val_y)
    val_accuracy = float((logits.argmax(1) == val_y).mean())
    figures = validation_figures(logits / temperature, val_y, val_origins)
    for kind, row in figures.items():
        log(f"validation {kind}: {row}")
    meta: dict[str, object] = {
        "name": MODEL_NAME, "classes": list(CLASSES), "input_size": INPUT_SIZE,
        "temperature": temperature, "seed": args.seed, "epochs": args.epochs,
        "val_accuracy": round(val_accuracy, 4), "train_cells": len(data_y),
        "data": "mnist_data idx%500<370, load_digits idx<1350, TRAINING_FONTS, "
        f"{len(npm_train)} npm @fontsource training families (fetch_training_fonts.py); "
        "aspect 0.6-1.25 and elastic distortion; validation: mnist idx%500 in [370,400), "
        f"load_digits [1350,1500), TRAINING_FONTS, {len(npm_val)} npm style-validation "
        "families (never trained on)",
        "style_validation": figures.get("npm", {}),
        "architecture": "conv5x5x16-pool-conv3x3x32-pool-conv3x3x64-pool-fc128-fc11",
    }  # fmt: skip
    export(net, temperature, args.out, meta)
    probs = DigitRecognizer(args.out).predict_normalised(val_x)
    gap = float(np.abs(probs - softmax(logits, temperature)).max())
    log(f"temperature {temperature}, validation accuracy {val_accuracy:.4f}, numpy vs torch "
        f"max |dp| {gap:.4f}; wrote {args.out} ({args.out.stat().st_size // 1024} KiB) "
        f"in {time.monotonic() - started:.0f} s")  # fmt: skip
    return 0 if gap < 0.02 else 1


if __name__ == "__main__":
    raise SystemExit(main())
