"""Evaluate the shipped capital-letter recogniser on held-out handwriting fonts only.

    .venv/bin/python benchmarks/bench_letters.py [--dpi 150 200 300] [--model PATH]

Held out (``bordereau.heldout``): the capitals, ``-`` and ``'`` of the fonts of
fonts-dkg-handwriting and fonts-tomsontalks, each written into a synthetic comb-cell scan
(``letters_synth``: pen width, slant, rotation, elastic distortion, size and place in the
cell, border slivers, blur, noise, JPEG) at each dpi, with seeds far from the training
ones. Digits 2-9 (held-out fonts and held-out MNIST) and ``not_a_letter`` marks
(overwritten letters, symbols, specks, hatching, filled cells) measure false accepts.
Prints Markdown: accuracy per dpi and per font, accuracy and coverage at probability
cut-offs, confusions, time per cell.
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
from bordereau.ocr.letters import CLASSES, DIGIT, REJECT, LetterRecognizer, normalise_letter
from bordereau.training import digits_synth, letters_synth

COPIES = 12  # renderings per held-out font glyph and dpi (5 fonts x 28 characters)
REJECT_CELLS = 300  # not_a_letter cells per dpi
SEED = 9_000_000  # far from the training seeds
CUTS = (0.9, 0.95, 0.99)
Cell = tuple[str, int, npt.NDArray[np.uint8]]  # font (or "reject"), label, crop


def heldout_cells(dpi: float, copies: int = COPIES, seed: int = SEED,
                  rejects: int = REJECT_CELLS) -> list[Cell]:
    """Held-out capitals (and ``not_a_letter`` marks) as cell crops scanned at ``dpi``."""
    rng = np.random.default_rng([seed, round(dpi)])
    cells: list[Cell] = []
    for font in heldout.HELDOUT_FONTS:
        for char in letters_synth.CHARS:
            glyph = letters_synth.char_glyph(font, char)
            if glyph is None:
                continue
            for _ in range(copies):
                crop = digits_synth.scan(letters_synth.place_char(glyph, rng), rng, dpi)
                cells.append((font.stem, CLASSES.index(char), crop))
    letters = [g for f in heldout.HELDOUT_FONTS for c in letters_synth.LETTERS
               if (g := letters_synth.char_glyph(f, c)) is not None]  # fmt: skip
    symbols = [g for f in heldout.HELDOUT_FONTS for c in letters_synth.REJECT_SYMBOLS
               if (g := letters_synth.char_glyph(f, c)) is not None]  # fmt: skip
    digits = [g for f in heldout.HELDOUT_FONTS for c in letters_synth.DIGIT_CLASS
              if (g := letters_synth.char_glyph(f, c)) is not None]  # fmt: skip
    inks = _mnist_heldout_digits() if rejects else []
    for _ in range(rejects // 2):
        canvas = letters_synth.digit_canvas(rng, digits, inks)
        cells.append(("digit", DIGIT, digits_synth.scan(canvas, rng, dpi)))
    for _ in range(rejects - rejects // 2):
        canvas = letters_synth.reject_canvas(rng, letters, symbols)
        cells.append(("reject", REJECT, digits_synth.scan(canvas, rng, dpi)))
    return cells


def _mnist_heldout_digits() -> list[npt.NDArray[np.float32]]:
    try:
        images, labels = corpora.mnist()
    except ImportError:  # the font digits still stand in
        return []
    return [digits_synth.mnist_glyph(images[i]) for i in range(len(labels))
            if heldout.mnist_is_heldout(i) and str(int(labels[i])) in letters_synth.DIGIT_CLASS
            ][:400]  # fmt: skip


def _row(name: str, right: npt.NDArray[np.bool_], top: npt.NDArray[np.float32]) -> str:
    parts = [name, str(len(right)), f"{right.mean():.1%}"]
    for level in CUTS:
        kept = top >= level
        share = right[kept].mean() if kept.any() else float("nan")
        parts += [f"{share:.1%}", f"{kept.mean():.1%}"]
    return "| " + " | ".join(parts) + " |"


def evaluate(recognizer: LetterRecognizer, dpis: list[float], copies: int) -> str:
    """The Markdown report."""
    lines = [f"model `{recognizer.version}`", ""]
    header = ("| cells | n | accuracy | " + " | ".join(f"right at p>={c} | kept" for c in CUTS)
              + " |")
    confusions: Counter[tuple[str, str]] = Counter()
    timings: list[tuple[float, float, int]] = []
    false_accepts: list[str] = []
    for dpi in dpis:
        cells = heldout_cells(dpi, copies)
        started = time.perf_counter()
        pairs = [normalise_letter(crop) for _, _, crop in cells]
        normalised = time.perf_counter()
        images = np.stack([p[0] for p in pairs])
        geometry = np.stack([p[1] for p in pairs])
        probs = np.concatenate([recognizer.predict_normalised(images[i : i + 200],
                                                              geometry[i : i + 200])
                                for i in range(0, len(images), 200)])  # fmt: skip
        timings.append((normalised - started, time.perf_counter() - normalised, len(cells)))
        fonts = np.array([f for f, _, _ in cells])
        labels = np.array([label for _, label, _ in cells])
        best, top = probs.argmax(axis=1), probs.max(axis=1)
        right = best == labels
        chars = (fonts != "reject") & (fonts != "digit")
        lines += [f"### {dpi:g} dpi", "", header, "|---" * (3 + 2 * len(CUTS)) + "|"]
        letter = chars & (labels < 26)
        lines.append(_row("letters A-Z", right[letter], top[letter]))
        as_name = probs.copy()
        as_name[:, DIGIT] = 0.0  # a name cell ignores the digit class (ocr.letters_combine)
        as_name /= as_name.sum(axis=1, keepdims=True)
        right_name = as_name.argmax(axis=1) == labels
        lines.append(_row("letters, digit class ignored", right_name[letter],
                          as_name.max(axis=1)[letter]))
        punct = chars & (labels >= 26)
        lines.append(_row("- and '", right[punct], top[punct]))
        for font in sorted(set(fonts[chars])):
            lines.append(_row(f"font {font}", right[fonts == font], top[fonts == font]))
        lines += [_row("**all characters**", right[chars], top[chars]), ""]
        for t, b in zip(labels[chars & ~right], best[chars & ~right], strict=True):
            confusions[(CLASSES[t], CLASSES[b])] += 1
        marks = ~chars
        accepted = (best[marks] < REJECT) & (top[marks] >= 0.95)
        digit = fonts == "digit"
        false_accepts.append(
            f"- {dpi:g} dpi: {digit.sum()} digits 2-9, {right[digit].mean():.1%} called digit; "
            f"{(fonts == 'reject').sum()} marks, {right[fonts == 'reject'].mean():.1%} called "
            f"not_a_letter; {accepted.mean():.1%} of all read as a character with p >= 0.95")
    lines += ["### Non-letter marks (held-out digits 2-9, symbols, cross-outs, specks)", "",
              *false_accepts, "", "### Most frequent confusions (true -> read, all dpi)", ""]
    lines += [f"- {t} -> {b}: {n}" for (t, b), n in confusions.most_common(15)]
    norm = sum(t[0] for t in timings) / sum(t[2] for t in timings) * 1000
    net = sum(t[1] for t in timings) / sum(t[2] for t in timings) * 1000
    lines += ["", f"Time per cell: normalisation {norm:.2f} ms, network {net:.3f} ms "
              "(batches of 200 cells, one process)."]  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=float, nargs="+", default=[150.0, 200.0, 300.0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--copies", type=int, default=COPIES, help="renderings per glyph")
    args = parser.parse_args(argv)
    started = time.monotonic()
    print(evaluate(LetterRecognizer(args.model), args.dpi, args.copies))
    print(f"[bench_letters] done in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
