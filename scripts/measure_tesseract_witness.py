"""Tesseract as a second witness of the digit combs (experiment; docs/reading.md
« Posterior gated by the writer »).

    .venv/bin/python scripts/measure_tesseract_witness.py --reuse /work/scans/calib

Reads kept scans of ``benchmarks/bench_read.py --keep`` (never the held-out split) with the
shipped reader, and for every digits or date comb also asks Tesseract for the comb as one
line with the digits whitelist (``ocr.combs._tesseract_cells``, as for the capitals). Prints
how often its digit agrees with the networks' per inked cell, and per field: by band of the
weakest cell, right or wrong, whether it agrees on every cell, and whether it reads another
digit at 0.5 or more in some cell (a veto).
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

from bordereau.forms.manifest import FieldLayout
from bordereau.ocr import combs, page_reader
from bordereau.ocr.aligned import AlignedPage
from bordereau.ocr.combs import DigitModel, LetterModel
from bordereau.ocr.engine import OcrEngine
from bordereau.ocr.tesseract import DIGITS
from bordereau.ocr.types import FieldReading
from bordereau.simulate.evaluate import compare, read_kept

_read_comb = combs.read_comb  # what page_reader calls read_comb


def read_comb(page: AlignedPage, field: FieldLayout, digits: DigitModel, engine: OcrEngine,
              letters: LetterModel | None = None) -> FieldReading:
    """The shipped comb reader, plus Tesseract's digit for each cell (``tess``)."""
    reading = _read_comb(page, field, digits, engine, letters)
    cells = reading.details.get("cells")
    if field.kind in {"digits", "date"} and isinstance(cells, list):
        found = combs._tesseract_cells(page, field, engine, DIGITS)
        for cell, tess in zip(cells, found, strict=False):
            if tess is not None:
                cell["tess"] = [tess[0], round(tess[1], 3)]
    return reading


def band(confidence: float) -> str:
    for low in (0.99, 0.9, 0.7685):
        if confidence >= low:
            return f">= {low}"
    return "< 0.7685"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", type=Path, nargs="+", required=True)
    args = parser.parse_args()
    # page_reader imports it (not re-exported): replaced in its namespace; the reading
    # processes fork after this
    vars(page_reader)["read_comb"] = read_comb
    cells: collections.Counter[str] = collections.Counter()
    fields: collections.Counter[tuple[str, bool, bool, bool]] = collections.Counter()
    outcomes = []
    for folder in args.reuse:
        result, batches, _ = read_kept(folder)
        for root, truth in batches:
            outcomes += compare(result, truth, root)["fields"]
    for outcome in outcomes:
        if outcome.kind not in {"digits", "date"} or not outcome.cells \
                or outcome.truth in (None, "", []):
            continue
        inked = [c for c in outcome.cells if c.get("char") not in (None, "", "?")]
        if not inked:
            continue
        for cell in inked:
            tess = cell.get("tess")
            cells["not read" if tess is None else
                  "same" if tess[0] == cell["char"] else "other"] += 1
        agree = all((c.get("tess") or [None])[0] == c["char"] for c in inked)
        veto = any(c.get("tess") and c["tess"][0] != c["char"] and c["tess"][1] >= 0.5
                   for c in inked)
        weakest = min(float(c["confidence"]) for c in inked)
        fields[(band(weakest), outcome.right, agree, veto)] += 1
    print(f"inked cells: {dict(cells)}")
    for (low, right, agree, veto), n in sorted(fields.items()):
        print(f"  weakest {low:<9} right {right!s:<5} agrees on every cell {agree!s:<5} "
              f"veto {veto!s:<5} {n}")


if __name__ == "__main__":
    main()
