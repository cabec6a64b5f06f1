"""Tune the letter combination (``letters_combine``) on simulated scans of the TRAINING split.

    .venv/bin/python benchmarks/bench_read.py --split train --keep DIR      # make scans
    .venv/bin/python -m bordereau.training.letters_fit DIR [DIR ...] \\
        --even /tmp/letters-even.npz --odd /tmp/letters-odd.npz

Every ``L`` and ``A`` cell of the kept batches is read as ``ocr.combs`` reads it (ink test,
digit network, Tesseract on the line, letter network) and paired with the character the
simulator wrote there. The letter network that reads a sheet is the cross-fitted one that
never saw the sheet's handwriting font (``scripts/train_letters.py --fonts even|odd``), so
the fitted confidence reflects an unseen hand, as on real forms. Prints the parameters to
paste into ``letters_combine``. Refuses batches of the held-out split. Developers only.
"""

from __future__ import annotations

import argparse
import itertools
import math
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bordereau import heldout
from bordereau.ocr import letters_combine as lc
from bordereau.ocr.combs import Evidence, cell_evidence
from bordereau.ocr.letters import LetterRecognizer


@dataclass
class Sample:
    """One inked ``L``/``A`` cell: the readers' evidence and the written character."""

    evidence: Evidence
    truth: str
    field_id: str
    crop: np.ndarray  # what the letter network reads
    reader: str  # the cross-fitted letter network that never saw this writer's font


class _Recorder:
    """Stands in for the letter network while collecting: keeps the crops it is given."""

    def __init__(self) -> None:
        self.crops: list[np.ndarray] = []

    def predict(self, cells: list[np.ndarray]) -> np.ndarray:
        self.crops = [np.array(c) for c in cells]
        return np.full((len(cells), 30), 1 / 30, np.float32)


def _font_half(font_name: str) -> str:
    """``even`` or ``odd``: which half of TRAINING_FONTS holds the writer's font."""
    for i, font in enumerate(heldout.TRAINING_FONTS):
        if font.name == font_name:
            return "even" if i % 2 == 0 else "odd"
    raise ValueError(f"{font_name} is not a training font")


def collect(folders: list[Path]) -> list[Sample]:
    """Cells of every letters/alphanumeric field written in the kept batches (the letter
    network's probabilities are filled in by :func:`attach`)."""
    from bordereau.ocr.identify import Refused
    from bordereau.ocr.page_reader import Context, align_page
    from bordereau.ocr.pages import iter_pages
    from bordereau.ocr.types import PageImage
    from bordereau.simulate.truth import BatchTruth

    samples: list[Sample] = []
    for folder in folders:
        truth = BatchTruth.model_validate_json((folder / "truth.json").read_text())
        if truth.split != "train":
            raise SystemExit(f"{folder}: not the training split, refusing to tune on it")
        ctx = Context(folder.parent / "home")
        sheets = {s.serial: s for s in truth.sheets}
        for file in sorted({f.file for f in truth.files if not f.corrupted}):
            for page in iter_pages(folder / file):
                if not isinstance(page, PageImage):
                    continue
                aligned = align_page(page, ctx)  # exactly as the reader aligns it
                if isinstance(aligned, Refused) or aligned.located.code.sheet not in sheets:
                    continue
                located = aligned.located
                sheet = sheets[located.code.sheet]
                reader = "odd" if _font_half(sheet.writer.font) == "even" else "even"
                for field in located.layout.fields_on(located.page_number):
                    answer = sheet.fields.get(field.id)
                    if (field.kind not in ("letters", "alphanumeric") or answer is None
                            or answer.expect != "read" or not answer.cells):
                        continue
                    recorder = _Recorder()
                    _, found = cell_evidence(aligned, field, ctx.digits, ctx.engine, recorder)
                    crops = iter(recorder.crops)
                    for item in found:
                        crop = next(crops) if item.kind != "D" else None
                        written = answer.cells[item.index] if item.index < len(
                            answer.cells) else " "
                        if item.kind == "D" or written == " " or item.index in answer.overwritten:
                            continue
                        assert crop is not None
                        samples.append(Sample(item, written, field.id, crop, reader))
    return samples


def attach(samples: list[Sample], models: dict[str, LetterRecognizer]) -> None:
    """Fill in each cell's letter probabilities from its cross-fitted network."""
    for reader, model in models.items():
        mine = [s for s in samples if s.reader == reader]
        if mine:
            probs = model.predict([s.crop for s in mine])
            for s, q in zip(mine, probs, strict=True):
                s.evidence.letter_probs = q


def _choose(sample: Sample, params: lc.Params) -> tuple[str, np.ndarray, str]:
    e = sample.evidence
    assert e.letter_probs is not None
    chars, post = lc.scores(e.kind, e.letter_probs, e.digit_probs, e.tesseract,
                            e.allowed_letters, params)
    return chars, post, chars[int(np.argmax(post))]


def fit_scores(samples: list[Sample]) -> lc.Params:
    """The parameters that read the most cells right (then the best log-loss)."""
    best: tuple[float, float, lc.Params] = (-1.0, 0.0, lc.PARAMS)
    grid = itertools.product([2.0, 4.0, 6.0, 8.0, 10.0, 14.0], [0.5, 1.0, 1.5, 2.5],
                             [0.05, 0.1, 0.2], [0.03, 0.1, 0.3, 1.0])  # fmt: skip
    for values in grid:
        params = lc.Params(*values)
        right, loglik = 0, 0.0
        for s in samples:
            chars, post, char = _choose(s, params)
            right += char == s.truth
            p = post[chars.index(s.truth)] if s.truth in chars else 1e-6
            loglik += math.log(max(float(p), 1e-9))
        best = max(best, (right / len(samples), loglik, params))
    return best[2]


def _logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2) -> np.ndarray:
    """Weights (with the intercept last) by Newton's method."""
    x = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-np.clip(x @ w, -50, 50)))
        grad = x.T @ (p - y) + l2 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    return w


def fit_calibration(samples: list[Sample], params: lc.Params
                    ) -> dict[str, tuple[float, float, float, float]]:
    """Per cell class, the logistic map from the combination's features to P(right)."""
    table: dict[str, tuple[float, float, float, float]] = {}
    for kind in ("L", "A"):
        rows, right = [], []
        for s in (s for s in samples if (s.evidence.kind == "L") == (kind == "L")):
            e = s.evidence
            assert e.letter_probs is not None
            chars, post, _ = _choose(s, params)
            char, inputs = lc.features(e.kind, chars, post, e.letter_probs, e.digit_probs,
                                       e.tesseract)
            rows.append(inputs)
            right.append(float(char == s.truth))
        w = _logistic(np.array(rows), np.array(right))
        table[kind] = (round(float(w[0]), 3), round(float(w[1]), 3), round(float(w[2]), 3),
                       round(float(w[3]), 3))
    return table


def report(samples: list[Sample], params: lc.Params,
           table: dict[str, tuple[float, float, float, float]]) -> None:
    """Cell accuracy and accuracy at confidence cut-offs, per cell class."""
    for kind in ("L", "A"):
        chosen = [s for s in samples if (s.evidence.kind == "L") == (kind == "L")]
        conf, ok = [], []
        for s in chosen:
            e = s.evidence
            assert e.letter_probs is not None
            chars, post, _ = _choose(s, params)
            char, inputs = lc.features(e.kind, chars, post, e.letter_probs, e.digit_probs,
                                       e.tesseract)
            conf.append(lc.calibrate(kind, inputs, table) if char != "?" else 0.0)
            ok.append(char == s.truth)
        c, r = np.array(conf), np.array(ok)
        worst = sorted((-c[i], i) for i in range(len(chosen)) if not r[i])[:8]
        for _, i in worst:
            e = chosen[i].evidence
            assert e.letter_probs is not None
            top = int(np.argmax(e.letter_probs))
            print(f"  wrong at {c[i]:.3f}: {chosen[i].field_id} truth {chosen[i].truth!r}, "
                  f"tesseract {e.tesseract}, network {top} p={e.letter_probs[top]:.2f}")
        tess = np.mean([s.evidence.tesseract is not None and s.evidence.tesseract[0] == s.truth
                        for s in chosen])  # fmt: skip
        print(f"{kind}: {len(chosen)} cells, combined {r.mean():.3f} (Tesseract alone {tess:.3f})")
        for level in (0.9, 0.95, 0.98, 0.99, 0.995):
            kept = c >= level
            print(f"  conf >= {level}: {r[kept].mean() if kept.any() else float('nan'):.4f} "
                  f"right on {kept.mean():.3f} of cells")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", type=Path, nargs="+", help="folders of kept batches")
    parser.add_argument("--even", type=Path, required=True, help="model trained on even fonts")
    parser.add_argument("--odd", type=Path, required=True, help="model trained on odd fonts")
    parser.add_argument("--cache", type=Path, help="keep the collected cells in this file")
    args = parser.parse_args(argv)
    folders = sorted(p.parent for root in args.roots for p in root.glob("*/truth.json"))
    if args.cache and args.cache.exists():
        with args.cache.open("rb") as handle:
            samples = pickle.load(handle)
    else:
        samples = collect(folders)
        if args.cache:
            with args.cache.open("wb") as handle:
                pickle.dump(samples, handle)
    attach(samples, {"even": LetterRecognizer(args.even), "odd": LetterRecognizer(args.odd)})
    params = fit_scores(samples)
    table = fit_calibration(samples, params)
    print(f"PARAMS = {params!r}")
    print(f"CALIBRATION = {table}")
    report(samples, params, table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
