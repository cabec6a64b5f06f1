"""Train the comb-cell capital recogniser and write ``bordereau/ocr/models/letters-cnn.npz``.

Run by a developer, not by the tests (a few minutes on 2 CPU cores)::

    .venv/bin/python scripts/fetch_training_fonts.py          # once: the npm fonts
    .venv/bin/python scripts/train_letters.py                 # the shipped model
    .venv/bin/python scripts/train_letters.py --fonts even --out /tmp/letters-even.npz

Needs the training extras: torch (CPU) and mlxtend, and the npm handwriting fonts fetched
by ``scripts/fetch_training_fonts.py`` (``--fonts-dir``, default ``BORDEREAU_TRAINING_FONTS``
or ``~/.cache/bordereau/training-fonts``). No package ships handwritten capitals: the letters
are handwriting fonts made to look written by strong augmentation
(``bordereau.training.letters_synth``), scanned as comb cells and passed through the
run-time normaliser. Training fonts: ``bordereau.heldout.TRAINING_FONTS`` (Debian,
``COPIES`` renderings per glyph) and the npm *training* families of
``fetch_training_fonts.split_families`` (``NPM_COPIES``); a glyph a font lacks is skipped.
``digit`` cells: digits 2-9 (those fonts and MNIST ``mnist_data()`` index % 500 < 370);
``not_a_letter`` cells: overwritten letters, symbols, specks, hatching, filled cells.
Validation (epoch choice, softmax temperature): other renderings of the Debian training
fonts, the npm *style-validation* families (styles never trained on) and MNIST index % 500
in [370, 400). The held-out Debian fonts, fonts-femkeklaver and the Hershey fonts are never
read here.
``--fonts even|odd`` trains on half of the Debian fonts and half of the npm training
families: the cross-fitted models with which ``letters_fit`` tunes the Tesseract + CNN
combination on fonts the CNN has not seen.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from bordereau import corpora, heldout
from bordereau.ocr.cnn import GEOMETRY_SIZE, INPUT_SIZE, normalise_with_geometry
from bordereau.ocr.letters import CLASSES, DIGIT, MODEL_FILE, REJECT
from bordereau.training import digits_synth, letters_synth
from bordereau.training.temperature import fit_temperature, softmax

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fetch_training_fonts as npm_fonts  # a sibling script

Split = Literal["train", "val"]
Data = tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.int64]]
ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "bordereau" / "ocr" / "models" / MODEL_FILE
MODEL_NAME = "letters-cnn-v4"
VAL_MNIST_FROM = 370  # MNIST index % 500 in [370, 400): validation (training side)
COPIES = {"train": 150, "val": 8}  # renderings per Debian training font glyph
# renderings per npm font glyph: training families in "train", style-validation ones in "val"
NPM_COPIES = {"train": 50, "val": 20}
FORBIDDEN_PARTS = ("hershey", "femke")  # never used at all (besides the held-out fonts)
MNIST_DIGITS = {"train": 1200, "val": 150}
REJECT_SHARE = 0.07
DIGIT_SHARE = 0.06
DPI_RANGE = (120.0, 330.0)


def log(message: str) -> None:
    print(f"[train_letters] {message}", file=sys.stderr, flush=True)


def refused(path: Path) -> bool:
    """True for a held-out font (``bordereau.heldout``), fonts-femkeklaver or a Hershey font."""
    lowered = str(path).lower()
    return heldout.font_is_heldout(path) or any(
        part in lowered for part in (*FORBIDDEN_PARTS, *npm_fonts.REFUSED_PARTS)
    )


def training_fonts(which: str = "all") -> tuple[Path, ...]:
    """The Debian handwriting fonts allowed for training (``even``/``odd``: every other one)."""
    fonts = tuple(f for f in heldout.TRAINING_FONTS if f.exists())
    if any(refused(f) for f in fonts):
        raise RuntimeError("a held-out font is listed among the training fonts")
    missing = set(heldout.TRAINING_FONTS) - set(fonts)
    if missing:
        log(f"missing training fonts (install the Debian packages): {sorted(map(str, missing))}")
    if which == "all":
        return fonts
    return tuple(f for i, f in enumerate(heldout.TRAINING_FONTS)
                 if f in fonts and i % 2 == (0 if which == "even" else 1))  # fmt: skip


def npm_font_files(
    split: Split, fonts_dir: Path | None = None, which: str = "all"
) -> tuple[Path, ...]:
    """The npm fonts of ``split`` in ``fonts_dir`` (default ``heldout.npm_font_dir()``): the
    training families for ``train`` (``even``/``odd``: every other one), the
    style-validation families (``heldout.STYLE_VALIDATION_FAMILIES``) for ``val``.

    Raises when one is missing (run ``scripts/fetch_training_fonts.py``) or refused, or
    when a style-validation family would be trained on."""
    fonts_dir = heldout.npm_font_dir() if fonts_dir is None else fonts_dir
    train, val = npm_fonts.split_families()
    if set(train) & set(heldout.STYLE_VALIDATION_FAMILIES):
        raise RuntimeError("a style-validation family is listed among the training families")
    families = train if split == "train" else val
    if split == "train" and which != "all":
        families = families[(0 if which == "even" else 1) :: 2]
    paths = npm_fonts.required_fonts(fonts_dir, families)
    for path in paths:
        if refused(path):
            raise RuntimeError(f"a held-out font is listed among the npm fonts: {path}")
    return paths


def mnist_indices(split: Split) -> list[int]:
    """MNIST indices for ``split``; never a held-out one."""
    lo, hi = (
        (0, VAL_MNIST_FROM) if split == "train" else (VAL_MNIST_FROM, heldout.MNIST_HELDOUT_FROM)
    )
    picked = [i for i in range(10 * heldout.MNIST_BLOCK) if lo <= i % heldout.MNIST_BLOCK < hi]
    if any(heldout.mnist_is_heldout(i) for i in picked):
        raise RuntimeError("held-out MNIST samples in the training data")
    return picked


def mnist_reject_digits(split: Split, count: int, seed: int) -> list[npt.NDArray[np.float32]]:
    """Ink maps of MNIST digits 2-9 of the training side (``digit`` examples)."""
    images, labels = corpora.mnist()
    wanted = [i for i in mnist_indices(split) if str(int(labels[i])) in letters_synth.DIGIT_CLASS]
    rng = np.random.default_rng(seed)
    chosen = rng.permutation(wanted)[:count]
    return [digits_synth.mnist_glyph(images[i]) for i in sorted(int(i) for i in chosen)]


def build_set(
    fonts: tuple[Path, ...], split: Split, seed: int, npm: tuple[Path, ...] = ()
) -> Data:
    """Render every glyph of the Debian ``fonts`` ``COPIES[split]`` times and of the ``npm``
    fonts ``NPM_COPIES[split]`` times as cell scans, plus ``digit`` and ``not_a_letter``
    cells drawn from all of them. A character a font lacks is skipped and logged."""
    if any(refused(f) for f in (*fonts, *npm)):
        raise RuntimeError("a held-out or forbidden font was given to build_set")
    rng = np.random.default_rng(seed)
    images: list[npt.NDArray[np.float32]] = []
    geometry: list[npt.NDArray[np.float32]] = []
    labels: list[int] = []

    def add(canvas: npt.NDArray[np.float32], label: int) -> None:
        image, geo = normalise_with_geometry(
            digits_synth.scan(canvas, rng, rng.uniform(*DPI_RANGE)))
        if label < REJECT and image.sum() < 2.0:
            return  # the normaliser lost the character: label noise, leave it out
        images.append(image)
        geometry.append(geo)
        labels.append(label)

    everything = (*fonts, *npm)
    copies = {**{f: COPIES[split] for f in fonts}, **{f: NPM_COPIES[split] for f in npm}}
    glyphs = [(f, c, letters_synth.char_glyph(f, c)) for f in everything
              for c in letters_synth.CHARS]  # fmt: skip
    for font in everything:
        lacking = [c for f, c, g in glyphs if f == font and g is None]
        if lacking:
            log(f"{font.name} lacks {''.join(lacking)!r}: skipped")
    found = [(f, c, g) for f, c, g in glyphs if g is not None]
    for font, char, glyph in found:
        for _ in range(copies[font]):
            add(letters_synth.place_char(glyph, rng), CLASSES.index(char))
    letters = [g for _, c, g in found if c.isalpha()]
    symbols = [g for f in everything for c in letters_synth.REJECT_SYMBOLS
               if (g := letters_synth.char_glyph(f, c)) is not None]  # fmt: skip
    digits = [g for f in everything for c in letters_synth.DIGIT_CLASS
              if (g := letters_synth.char_glyph(f, c)) is not None]  # fmt: skip
    digit_inks = mnist_reject_digits(split, MNIST_DIGITS[split], seed)
    characters = len(labels) / (1 - REJECT_SHARE - DIGIT_SHARE)
    for _ in range(round(characters * DIGIT_SHARE)):
        add(letters_synth.digit_canvas(rng, digits, digit_inks), DIGIT)
    for _ in range(round(characters * REJECT_SHARE)):
        add(letters_synth.reject_canvas(rng, letters, symbols), REJECT)
    return np.stack(images), np.stack(geometry), np.array(labels, dtype=np.int64)


def make_net() -> Any:
    """The network (torch). ``LetterRecognizer`` runs the same layers with numpy."""
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # 14 x 14
                nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 7 x 7
                nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # 3 x 3
                nn.Flatten(),
            )  # fmt: skip
            self.f1 = nn.Linear(64 * 3 * 3 + GEOMETRY_SIZE, 128)
            self.drop = nn.Dropout(0.3)
            self.f2 = nn.Linear(128, len(CLASSES))

        def forward(self, image: Any, geometry: Any) -> Any:
            flat = torch.cat([self.features(image), geometry], dim=1)
            return self.f2(self.drop(torch.relu(self.f1(flat))))

    return Net()


def logits_of(net: Any, data: Data) -> npt.NDArray[np.float32]:
    import torch

    net.eval()
    x, g = torch.from_numpy(data[0][:, None]), torch.from_numpy(data[1])
    with torch.no_grad():
        parts = [net(x[i : i + 1024], g[i : i + 1024]) for i in range(0, len(x), 1024)]
    return np.asarray(torch.cat(parts).numpy(), dtype=np.float32)  # float32 already: no copy


def train(data: Data, val: Data, epochs: int, seed: int) -> Any:
    """Adam with a one-cycle schedule; keeps the epoch with the best validation loss."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    net = make_net()
    x, g, y = (torch.from_numpy(a) for a in (data[0][:, None], data[1], data[2]))
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
            loss = loss_fn(net(inputs, g[batch]), y[batch])
            loss.backward()
            optimiser.step()
            schedule.step()
        logits = torch.from_numpy(logits_of(net, val))
        val_loss = float(loss_fn(logits, torch.from_numpy(val[2])))
        accuracy = float((logits.argmax(1).numpy() == val[2]).mean())
        log(f"epoch {epoch + 1}/{epochs}: val loss {val_loss:.4f}, val accuracy {accuracy:.4f} "
            f"({time.monotonic() - started:.0f} s)")  # fmt: skip
        if val_loss < best[0]:
            best = (val_loss, {k: v.clone() for k, v in net.state_dict().items()})
    net.load_state_dict(best[1])
    return net


def export(net: Any, temperature: float, out: Path, meta: dict[str, object]) -> None:
    """Write fp16 weights in the NHWC layout of ``SmallCnn`` (temperature folded in)."""
    p = {k: v.detach().numpy().astype(np.float32) for k, v in net.state_dict().items()}
    conv = p["f1.weight"][:, : 64 * 9].reshape(128, 64, 3, 3).transpose(0, 2, 3, 1)
    f1 = np.hstack([conv.reshape(128, -1), p["f1.weight"][:, 64 * 9 :]])
    arrays = {
        "c1.w": p["features.0.weight"], "c1.b": p["features.0.bias"],
        "c2.w": p["features.3.weight"], "c2.b": p["features.3.bias"],
        "c3.w": p["features.6.weight"], "c3.b": p["features.6.bias"],
        "f1.w": f1, "f1.b": p["f1.bias"],
        "f2.w": p["f2.weight"] / temperature, "f2.b": p["f2.bias"] / temperature,
    }  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        meta=np.array(json.dumps(meta, sort_keys=True)),
        **{k: v.astype(np.float16) for k, v in arrays.items()},
    )


def merge(parts: list[Data]) -> Data:
    return (np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]))  # fmt: skip


def validation_figures(probs: npt.NDArray[np.float32], labels: npt.NDArray[np.int64]
                       ) -> dict[str, float]:  # fmt: skip
    """Accuracy on the characters (the ``digit`` class ignored, as in names), share of them
    kept at p >= 0.95 and confident errors (wrong with p >= 0.95)."""
    chars = labels < REJECT
    p = probs[chars].copy()
    p[:, DIGIT] = 0.0
    right = p.argmax(1) == labels[chars]
    top = probs[chars].max(1)
    sure = top >= 0.95
    return {"cells": int(chars.sum()), "accuracy": round(float(right.mean()), 4),
            "kept_095": round(float(sure.mean()), 4),
            "confident_errors_095": int((~right & sure).sum())}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--fonts", choices=["all", "even", "odd"], default="all")
    parser.add_argument("--epochs", type=int, default=16)
    parser.add_argument("--seed", type=int, default=20250301)
    parser.add_argument("--fonts-dir", type=Path, default=None,
                        help="the npm fonts of scripts/fetch_training_fonts.py (default: "
                        "$BORDEREAU_TRAINING_FONTS or ~/.cache/bordereau/training-fonts)")
    args = parser.parse_args(argv)
    import torch

    from bordereau.ocr.letters import LetterRecognizer

    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    started = time.monotonic()
    fonts = training_fonts(args.fonts)
    npm_train = npm_font_files("train", args.fonts_dir, args.fonts)
    npm_val = npm_font_files("val", args.fonts_dir)
    data = build_set(fonts, "train", args.seed, npm_train)
    val_fonts = build_set(fonts, "val", args.seed + 1)
    val_styles = build_set((), "val", args.seed + 2, npm_val)
    val = merge([val_fonts, val_styles])
    log(f"rendered {len(data[2])} training and {len(val[2])} validation cells from "
        f"{len(fonts)} Debian fonts, {len(npm_train)} npm training and {len(npm_val)} npm "
        f"style-validation fonts ({time.monotonic() - started:.0f} s)")  # fmt: skip
    net = train(data, val, args.epochs, args.seed)
    logits = logits_of(net, val)
    temperature = fit_temperature(logits, val[2])
    val_accuracy = float((logits.argmax(1) == val[2]).mean())
    figures = {
        "training_fonts": validation_figures(softmax(logits_of(net, val_fonts), temperature),
                                             val_fonts[2]),
        "style_validation": validation_figures(softmax(logits_of(net, val_styles), temperature),
                                               val_styles[2]),
    }  # fmt: skip
    for kind, row in figures.items():
        log(f"validation {kind}: {row}")
    meta: dict[str, object] = {
        "name": MODEL_NAME, "classes": list(CLASSES), "input_size": INPUT_SIZE,
        "extra_features": GEOMETRY_SIZE, "temperature": temperature, "seed": args.seed,
        "epochs": args.epochs, "val_accuracy": round(val_accuracy, 4),
        "validation": figures, "train_cells": len(data[2]),
        "fonts": [f.name for f in fonts] + [f.name for f in npm_train],
        "style_validation_fonts": [f.name for f in npm_val],
        "data": f"TRAINING_FONTS ({COPIES['train']} renderings per glyph) and "
        f"{len(npm_train)} npm @fontsource training families ({NPM_COPIES['train']}; "
        "fetch_training_fonts.py): capitals, - and ' (augmented); digit: 2-9 (fonts, "
        "mnist_data idx%500<370); not_a_letter: overwritten letters, symbols, marks; "
        "validation: other renderings of TRAINING_FONTS, "
        f"{len(npm_val)} npm style-validation families (never trained on), "
        "mnist idx%500 in [370,400)",
        "architecture": "conv5x5x16-pool-conv3x3x32-pool-conv3x3x64-pool-[+6 geometry]"
        "-fc128-fc30",
    }  # fmt: skip
    export(net, temperature, args.out, meta)
    probs = LetterRecognizer(args.out).predict_normalised(val[0], val[1])
    gap = float(np.abs(probs - softmax(logits, temperature)).max())
    log(f"temperature {temperature}, validation accuracy {val_accuracy:.4f}, numpy vs torch "
        f"max |dp| {gap:.4f}; wrote {args.out} ({args.out.stat().st_size // 1024} KiB) "
        f"in {time.monotonic() - started:.0f} s")  # fmt: skip
    return 0 if gap < 0.02 else 1


if __name__ == "__main__":
    raise SystemExit(main())
