"""Leave-one-style-out (LOSO) study of the digit recogniser (training side, never shipped).

    .venv/bin/python scripts/loso.py [--epochs 4] [--out docs/loso-digits.json] [--resume]

A *style* is one source of training handwriting: each font family of
``heldout.TRAINING_FONTS`` (faces of one family grouped: sjfonts, bwht, comic-neue), the
MNIST training side and the scikit-learn digits training side. For each style S the digit
network of ``scripts/train_digits.py`` is trained without S (same data building, same
training loop, fewer epochs, fixed seed); its softmax temperature and a trust threshold are
fitted on the training side's validation slice *without S* (threshold: the rule of
``scripts/calibrate.py``, applied to cells: the lowest confidence at which trusted cells are
right >= TARGET_PRECISION and the one-sided 95 % Clopper-Pearson bound of their error rate
is <= MAX_ERROR_BOUND); then it reads S's cells (its training and validation renderings,
same synthetic scanner). Reported: accuracy, coverage (share trusted), silent (errors among
trusted) with its 95 % upper bound, and the same on the validation slice it was tuned on.
The reference run trains on every style and reads the held-out sets of
``bordereau.heldout`` the same way (only read, never trained or tuned on); the shipped model
is read the same way too. Nothing under ``bordereau/ocr/models`` is written.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import train_digits as td
from loso_common import (
    ALL,
    RULE,
    Floats,
    Labels,
    cell_threshold,
    false_trust,
    figures,
    table,
)

from bordereau import corpora, heldout
from bordereau.ocr.digits import REJECT
from bordereau.training.temperature import fit_temperature, softmax

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "docs" / "loso-digits.json"
HELDOUT_COPIES = {"mnist": 2, "sklearn": 4, "font": 40}  # renderings per held-out glyph
NOT_READ = (REJECT,)  # never trusted as a digit: not_a_digit
STYLE_REJECTS = 500  # not_a_digit cells made of the left-out style's glyphs
HELDOUT_SEED = 9_100_000  # far from the training seeds


def log(message: str) -> None:
    print(f"[loso] {message}", file=sys.stderr, flush=True)


def style_of(origin: str) -> str:
    """The style of a source: ``mnist``, ``sklearn`` or the font's family (its folder)."""
    kind, _, where = origin.partition(":")
    return Path(where).parent.name if kind == "font" else kind


def training_styles() -> list[str]:
    """Every style of the training side, in a fixed order (font families grouped)."""
    families = dict.fromkeys(style_of(f"font:{f}") for f in td.training_fonts())
    return ["mnist", "sklearn", *families]


def split_sources(sources: list[td.Source], style: str) -> tuple[list[td.Source], list[td.Source]]:
    """(sources without ``style``, sources of ``style``); ``ALL`` leaves nothing out."""
    kept = [s for s in sources if style_of(s.origin) != style]
    return kept, [s for s in sources if style_of(s.origin) == style]


def check_training_side(sources: list[td.Source]) -> None:
    """Raise if a held-out sample is among ``sources`` (a project rule)."""
    for s in sources:
        kind, _, where = s.origin.partition(":")
        bad = (
            (kind == "mnist" and heldout.mnist_is_heldout(int(where)))
            or (kind == "sklearn" and heldout.sklearn_is_heldout(int(where)))
            or (kind == "font" and heldout.font_is_heldout(Path(where)))
        )
        if bad:
            raise RuntimeError(f"held-out sample on the training side: {s.origin}")


def heldout_set_of(origin: str) -> str:
    """The name of the held-out set an evaluation source belongs to."""
    kind, _, where = origin.partition(":")
    if kind != "font":
        return f"heldout-{kind}"
    return "fonts-tomsontalks" if "tomsontalks" in where else "fonts-dkg-handwriting"


def heldout_sources() -> list[td.Source]:
    """The held-out digits of ``bordereau.heldout``, for reading only."""
    from bordereau.training import digits_synth as synth

    images, labels = corpora.mnist()
    out = [td.Source(f"mnist:{i}", int(labels[i]), synth.mnist_glyph(images[i]))
           for i in range(len(labels)) if heldout.mnist_is_heldout(i)]  # fmt: skip
    data, target = corpora.sklearn_digits()
    out += [td.Source(f"sklearn:{i}", int(target[i]), synth.sklearn_glyph(data[i]))
            for i in range(len(target)) if heldout.sklearn_is_heldout(i)]  # fmt: skip
    for font in heldout.HELDOUT_FONTS:
        for d in range(10):
            if (glyph := synth.font_glyph(font, str(d))) is not None:
                out.append(td.Source(f"font:{font}", d, glyph))
    return out


@dataclass
class Cells:
    """Normalised digit cells with their labels and the style of each."""

    x: Floats
    y: Labels
    style: npt.NDArray[np.str_]

    def where(self, mask: npt.NDArray[np.bool_]) -> Cells:
        return Cells(self.x[mask], self.y[mask], self.style[mask])


def render(
    sources: list[td.Source],
    copies: dict[str, int],
    seed: int,
    cache: Path,
    tag: Callable[[str], str] = style_of,
) -> Cells:
    """Digit cells of ``sources`` rendered as in training, each tagged with ``tag(origin)``
    (cached: rendering is slow)."""
    path = cache / f"cells-{seed}-{len(sources)}-{sum(copies.values())}.npz"
    if path.exists():
        with np.load(path) as saved:
            return Cells(saved["x"], saved["y"], saved["style"])
    started = time.monotonic()
    xs, ys, origins = td.render_digits(sources, copies, np.random.default_rng(seed))
    cells = Cells(np.stack(xs), np.array(ys, dtype=np.int64),
                  np.array([tag(o) for o in origins]))  # fmt: skip
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, x=cells.x, y=cells.y, style=cells.style)
    log(f"rendered {len(ys)} cells in {time.monotonic() - started:.0f} s -> {path}")
    return cells


def with_rejects(cells: Cells, sources: list[td.Source], seed: int) -> tuple[Floats, Labels]:
    """``cells`` plus REJECT_SHARE ``not_a_digit`` cells made only of ``sources``' styles."""
    styles = {style_of(s.origin) for s in sources}
    fonts = tuple(f for f in td.training_fonts() if style_of(f"font:{f}") in styles)
    rejects = td.render_rejects(td.reject_count(len(cells.y)), td.reject_pool(sources),
                                td.letter_glyphs(fonts), np.random.default_rng(seed))  # fmt: skip
    x = np.concatenate([cells.x, np.stack(rejects)]) if rejects else cells.x
    return x, np.concatenate([cells.y, np.full(len(rejects), REJECT, np.int64)])


def style_rejects(sources: list[td.Source], fonts: tuple[Path, ...], seed: int) -> Floats:
    """``not_a_digit`` cells (cross-outs of ``sources``' digits, ``fonts``' letters, marks)."""
    return np.stack(
        td.render_rejects(
            STYLE_REJECTS,
            td.reject_pool(sources),
            td.letter_glyphs(fonts),
            np.random.default_rng(seed),
        )
    )


def run(style: str, data: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Train without ``style``, tune on validation without it, read it (or the held-out sets)."""
    started = time.monotonic()
    index = ([ALL, *training_styles()]).index(style)
    train_src, _ = split_sources(data["train_sources"], style)
    val_src, _ = split_sources(data["val_sources"], style)
    train_cells = data["train"].where(data["train"].style != style)
    val_cells = data["val"].where(data["val"].style != style)
    train_set = with_rejects(train_cells, train_src, args.seed + 100 + index)
    val_set = with_rejects(val_cells, val_src, args.seed + 200 + index)
    log(f"{style}: training on {len(train_set[1])} cells, validating on {len(val_set[1])}")
    net = td.train(train_set, val_set, args.epochs, args.seed)
    val_logits = td._logits(net, val_set[0])
    temperature = fit_temperature(val_logits, val_set[1])
    val_probs = softmax(val_logits, temperature)
    threshold = cell_threshold(val_probs, val_set[1], NOT_READ)
    digit = val_set[1] != REJECT
    result: dict[str, Any] = {
        "left_out": style, "train_cells": len(train_set[1]), "val_cells": len(val_set[1]),
        "temperature": temperature, "threshold": threshold,
        "validation": figures(val_probs[digit], val_set[1][digit], threshold, NOT_READ),
    }  # fmt: skip
    if style == ALL:
        result["heldout"] = read_heldout(lambda x: softmax(td._logits(net, x), temperature),
                                         threshold, data)  # fmt: skip
    else:
        own = Cells(
            np.concatenate([data["train"].x, data["val"].x]),
            np.concatenate([data["train"].y, data["val"].y]),
            np.concatenate([data["train"].style, data["val"].style]),
        ).where(np.concatenate([data["train"].style, data["val"].style]) == style)
        result["left_out_cells"] = figures(softmax(td._logits(net, own.x), temperature), own.y,
                                           threshold, NOT_READ)  # fmt: skip
        _, own_src = split_sources(data["train_sources"], style)
        fonts = tuple(f for f in td.training_fonts() if style_of(f"font:{f}") == style)
        marks = style_rejects(own_src, fonts, args.seed + 300 + index)
        result["left_out_marks"] = false_trust(softmax(td._logits(net, marks), temperature),
                                               threshold, NOT_READ)  # fmt: skip
    result["seconds"] = round(time.monotonic() - started)
    return result


def read_heldout(predict: Any, threshold: float, data: dict[str, Any]) -> dict[str, Any]:
    """Figures on each held-out set and on all of them, at ``threshold``."""
    cells: Cells = data["heldout"]
    probs = predict(cells.x)
    names = sorted(set(cells.style.tolist()))
    out = {n: figures(probs[cells.style == n], cells.y[cells.style == n], threshold, NOT_READ)
           for n in names}  # fmt: skip
    out["all held-out"] = figures(probs, cells.y, threshold, NOT_READ)
    out["held-out marks"] = false_trust(predict(data["heldout_marks"]), threshold, NOT_READ)
    return out


def read_shipped(data: dict[str, Any], seed: int) -> dict[str, Any]:
    """The shipped model (16 epochs, temperature folded in) tuned and read the same way."""
    from bordereau.ocr.digits import DigitRecognizer

    model = DigitRecognizer()
    val_set = with_rejects(data["val"], data["val_sources"], seed)  # the reference run's
    probs = model.predict_normalised(val_set[0]).astype(np.float32)
    threshold = cell_threshold(probs, val_set[1], NOT_READ)
    digit = val_set[1] != REJECT
    return {"model": model.version, "threshold": threshold,
            "validation": figures(probs[digit], val_set[1][digit], threshold, NOT_READ),
            "heldout": read_heldout(lambda x: model.predict_normalised(x).astype(np.float32),
                                    threshold, data)}  # fmt: skip


def load_data(args: argparse.Namespace) -> dict[str, Any]:
    train_src, val_src = td.load_sources("train"), td.load_sources("val")
    check_training_side(train_src + val_src)
    held = heldout_sources()
    cells = render(held, HELDOUT_COPIES, HELDOUT_SEED, args.cache, heldout_set_of)
    letters = [g for f in heldout.HELDOUT_FONTS for g in td.letter_glyphs((f,))]
    marks = np.stack(td.render_rejects(STYLE_REJECTS, td.reject_pool(held), letters,
                                       np.random.default_rng(HELDOUT_SEED + 1)))  # fmt: skip
    return {"train_sources": train_src, "val_sources": val_src, "heldout": cells,
            "heldout_marks": marks,
            "train": render(train_src, td.COPIES, args.seed, args.cache),
            "val": render(val_src, td.VAL_COPIES, args.seed + 1, args.cache)}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20240611)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/loso-cache"))
    parser.add_argument("--styles", nargs="*", help="only these runs (default: all, then each)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (1: on a shared machine two threads wait for each other at every step)",
    )
    parser.add_argument("--resume", action="store_true", help="keep the runs already in --out")
    parser.add_argument("--table", action="store_true", help="print the table of --out")
    args = parser.parse_args(argv)
    if args.table:
        print(table(json.loads(args.out.read_text(encoding="utf-8"))))
        return 0
    import torch

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    started = time.monotonic()
    results: dict[str, Any] = {}
    if args.resume and args.out.exists():
        results = json.loads(args.out.read_text(encoding="utf-8"))
    results.update({
        "command": "python scripts/loso.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "epochs": args.epochs, "seed": args.seed, "styles": training_styles(),
        "rule": RULE,
    })  # fmt: skip
    runs: dict[str, Any] = results.setdefault("runs", {})
    data = load_data(args)
    if "shipped" not in results:
        results["shipped"] = read_shipped(data, args.seed + 200)
    for style in args.styles or [ALL, *training_styles()]:
        if style in runs:
            continue
        runs[style] = run(style, data, args)
        log(f"{style}: {json.dumps(runs[style])}")
        args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    results["last_session_seconds"] = round(time.monotonic() - started)
    args.out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
