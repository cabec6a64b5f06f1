"""Evaluate the shipped digit recogniser on the held-out data only.

    .venv/bin/python benchmarks/bench_digits.py [--dpi 150 200 300] [--model PATH]
        [--members PATH ...]     # an ensemble: the model and these, probabilities averaged

Held out (``bordereau.heldout``): MNIST ``mnist_data()`` index % 500 >= 400 (1,000 digits),
``load_digits()`` index >= 1500 (297), and digits set in the held-out fonts (dkg-handwriting,
tomsontalks), each written into a synthetic comb-cell scan (``digits_synth``: random size,
slant, stroke, position, border slivers, blur, noise, JPEG) at each dpi. A ``not_a_digit``
set (marks, cross-outs, letters of the held-out fonts) measures false accepts. Prints
Markdown: accuracy per source, accuracy and coverage at p >= 0.95 / 0.99, confusions and
time per cell. Needs mlxtend and scikit-learn (not torch).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bordereau import corpora, heldout
from bordereau.ocr.digits import CLASSES, REJECT, DigitRecognizer, normalise_cell
from bordereau.training import digits_synth as synth

FONT_COPIES = 20  # renderings per held-out font glyph and dpi (5 fonts x 10 digits)
REJECT_CELLS = 300  # not_a_digit cells per dpi
SEED = 7_000_000  # far from the training seeds
Cell = tuple[str, int, npt.NDArray[np.uint8]]  # source, label, crop


def heldout_glyphs() -> list[tuple[str, int, npt.NDArray[np.float32]]]:
    """(source, label, glyph) for every held-out digit; nothing else."""
    images, labels = corpora.mnist()
    out = [
        ("mnist", int(labels[i]), synth.mnist_glyph(images[i]))
        for i in range(len(labels))
        if heldout.mnist_is_heldout(i)
    ]
    data, target = corpora.sklearn_digits()
    out += [
        ("sklearn", int(target[i]), synth.sklearn_glyph(data[i]))
        for i in range(len(target))
        if heldout.sklearn_is_heldout(i)
    ]
    for font in heldout.HELDOUT_FONTS:
        for d in range(10):
            glyph = synth.font_glyph(font, str(d))
            if glyph is not None:
                out += [("fonts", d, glyph)] * FONT_COPIES
    return out


def heldout_cells(dpi: float, seed: int = SEED, limit: int | None = None) -> list[Cell]:
    """Held-out digits (and ``not_a_digit`` marks) as cell crops scanned at ``dpi``."""
    rng = np.random.default_rng([seed, round(dpi)])
    glyphs = heldout_glyphs()
    if limit is not None:
        glyphs = [glyphs[i] for i in rng.permutation(len(glyphs))[:limit]]
    cells = [(s, label, synth.scan(synth.place_glyph(g, rng), rng, dpi)) for s, label, g in glyphs]
    letters = [
        g for f in heldout.HELDOUT_FONTS for c in synth.REJECT_LETTERS
        if (g := synth.font_glyph(f, c)) is not None
    ]  # fmt: skip
    pool = [g for _, _, g in glyphs[::25]]
    count = REJECT_CELLS if limit is None else max(1, limit // 10)
    for _ in range(count):
        canvas = synth.reject_canvas(rng, pool, letters)
        cells.append(("not_a_digit", REJECT, synth.scan(canvas, rng, dpi)))
    return cells


def _row(name: str, right: npt.NDArray[np.bool_], top: npt.NDArray[np.float32]) -> str:
    parts = [name, str(len(right)), f"{right.mean():.1%}"]
    for level in (0.95, 0.99):
        kept = top >= level
        share = right[kept].mean() if kept.any() else float("nan")
        parts += [f"{share:.1%}", f"{kept.mean():.1%}"]
    return "| " + " | ".join(parts) + " |"


def evaluate(recognizer: DigitRecognizer, dpis: list[float], limit: int | None) -> str:
    """The Markdown report."""
    lines = [f"model `{recognizer.version}`", ""]
    header = "| source | cells | accuracy | right at p>=0.95 | kept | right at p>=0.99 | kept |"
    confusions: Counter[tuple[str, str]] = Counter()
    timings: list[tuple[float, float, int]] = []
    false_accepts: list[str] = []
    for dpi in dpis:
        cells = heldout_cells(dpi, limit=limit)
        started = time.perf_counter()
        inputs = np.stack([normalise_cell(crop) for _, _, crop in cells])
        normalised = time.perf_counter()
        probs = np.concatenate(
            [recognizer.predict_normalised(inputs[i : i + 200]) for i in range(0, len(inputs), 200)]
        )  # one page of 200 cells per batch
        timings.append((normalised - started, time.perf_counter() - normalised, len(cells)))
        sources = np.array([s for s, _, _ in cells])
        labels = np.array([label for _, label, _ in cells])
        best, top = probs.argmax(axis=1), probs.max(axis=1)
        right = best == labels
        lines += [f"### {dpi:g} dpi", "", header, "|---|---|---|---|---|---|---|"]
        digit = sources != "not_a_digit"
        for name in ("mnist", "sklearn", "fonts"):
            if (sources == name).any():
                lines.append(_row(name, right[sources == name], top[sources == name]))
        lines += [_row("**all digits**", right[digit], top[digit]), ""]
        for t, b in zip(labels[digit & ~right], best[digit & ~right], strict=True):
            confusions[(CLASSES[t], CLASSES[b])] += 1
        marks = ~digit
        if marks.any():
            accepted = (best[marks] != REJECT) & (top[marks] >= 0.95)
            called = (best[marks] == REJECT).mean()
            false_accepts.append(
                f"- {dpi:g} dpi: {marks.sum()} non-digit cells, {called:.1%} called not_a_digit, "
                f"{accepted.mean():.1%} read as a digit with p >= 0.95"
            )
    lines += ["### Non-digit marks (held-out font letters, cross-outs, specks)", "", *false_accepts]
    lines += ["", "### Most frequent confusions (true -> read, all dpi)", ""]
    lines += [f"- {t} -> {b}: {n}" for (t, b), n in confusions.most_common(12)]
    norm = sum(t[0] for t in timings) / sum(t[2] for t in timings) * 1000
    net = sum(t[1] for t in timings) / sum(t[2] for t in timings) * 1000
    lines += ["", f"Time per cell: normalise_cell {norm:.2f} ms, network {net:.3f} ms "
              "(batches of 200 cells, one process)."]  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=float, nargs="+", default=[150.0, 200.0, 300.0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--members", type=Path, nargs="*", default=None,
                        help="further networks read with --model (default: the shipped ones)")
    parser.add_argument("--limit", type=int, default=None, help="digits per dpi (quick run)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    recognizer = DigitRecognizer(args.model)
    if args.members is not None:
        first = recognizer.network_bytes
        recognizer = DigitRecognizer.from_bytes(first, [m.read_bytes() for m in args.members])
    print(evaluate(recognizer, args.dpi, args.limit))
    print(f"[bench_digits] done in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
