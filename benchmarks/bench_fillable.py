"""Measure the fillable twin: read from its fields, and printed then read by the scanner path.

    .venv/bin/python benchmarks/bench_fillable.py [--sheets 10] [--json FILE] [--keep DIR]

For both sample centres and both forms, ``--sheets`` fillable sheets are generated
(``forms generate --fillable``) and filled programmatically with simulated values
(``bordereau.simulate.fillable``, ``CLEAN``: no planted inconsistency and no missing
required answer, so what goes to review is the reading's doing). Then:

(a) the filled PDFs are read as ``scan ingest`` reads them: from their fields;
(b) every page is printed to a 200-dpi grey image by PDFium (form fields drawn) and, when
    ``pdftoppm`` is installed, by poppler, and those images go through the scanner path.

Each field is counted once: right (the value read is the typed one; for the comment, the
scanner path keeps a typed comment as an image to transcribe, so "right" there means it
saw it, and saw nothing when nothing was typed), review (sent to a person), wrong trusted
(a wrong value that nobody will check). The patient-label zone is counted apart: nothing
is typed there, and the scanner path's sticker detector is measured by bench_read.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium

from bordereau.establishment import Establishment
from bordereau.forms.model import FORM_KINDS
from bordereau.home import Home
from bordereau.ocr.pipeline import ReadOptions, ReadResult, read_batch
from bordereau.simulate.fillable import CLEAN, fill_pdf, pdf_inputs, typed_values

ROOT = Path(__file__).resolve().parent.parent
CENTRES = sorted((ROOT / "samples" / "centres").glob("*.yaml"))
TODAY = dt.date(2025, 6, 1)
DPI = 200


def make(out: Path, sheets: int, seed: int) -> tuple[Path, list[Path], dict[str, dict[str, Any]]]:
    """Generate and fill; return the home, the filled PDFs and the truth by serial."""
    home = out / "home"
    est = Establishment(home)
    rng = random.Random(seed)
    files, truth = [], {}
    for centre in CENTRES:
        for kind in FORM_KINDS:
            blank = out / f"{centre.stem}-{kind}-vierge.pdf"
            result = est.print_forms(centre, kind, sheets, blank, fillable=True)
            layout = est.layout(centre, kind)
            loaded = est.centre(centre).centre
            values = {f"{s:06d}": typed_values(layout, loaded, rng, TODAY, CLEAN)
                      for s in result.serials}
            filled = out / f"{centre.stem}-{kind}-rempli.pdf"
            fill_pdf(blank, filled, pdf_inputs(layout, values))
            files.append(filled)
            truth.update(values)
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1))
    return home, files, truth


def pdfium_images(pdf: Path, folder: Path) -> None:
    document = pdfium.PdfDocument(pdf)
    document.init_forms()
    try:
        for index in range(len(document)):
            page = document[index]
            bitmap = page.render(scale=DPI / 72, grayscale=True, may_draw_forms=True)
            bitmap.to_pil().save(folder / f"{pdf.stem}-{index + 1:03d}.png", dpi=(DPI, DPI))
            page.close()
    finally:
        document.close()


def poppler_images(pdf: Path, folder: Path) -> None:
    subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", "-png", str(pdf),
                    str(folder / pdf.stem)], check=True)


def score(result: ReadResult, truth: dict[str, dict[str, Any]], printed: bool) -> dict[str, Any]:
    counts = {"fields": 0, "right": 0, "review": 0, "wrong_trusted": 0}
    label = {"fields": 0, "review": 0}
    wrong: list[dict[str, Any]] = []
    not_right: list[dict[str, Any]] = []  # wrong, but sent to review
    reasons: dict[str, int] = {}
    for sheet in result.sheets:
        expected = truth[sheet.serial]
        for field_id, reading in sheet.fields.items():
            want = expected.get(field_id)
            if reading.kind == "label_zone":
                label["fields"] += 1
                label["review"] += reading.review
                continue
            if reading.kind == "free_text" and printed:
                right = reading.review == bool(want)  # kept as an image iff typed
            elif isinstance(want, list) or isinstance(reading.value, list):
                got = reading.value or []
                assert not isinstance(got, bool)  # a list field never reads as True
                right = sorted(want or []) == sorted(got)
            else:
                right = (want if want is not None else (False if reading.kind == "boolean"
                                                        else None)) == reading.value
            image = reading.kind == "free_text" and printed  # kept as an image, not queued
            counts["fields"] += 1
            counts["right"] += right
            counts["review"] += reading.review and not image
            if reading.review and not image:
                reason = f"{reading.kind}: {reading.reason}"
                reasons[reason] = reasons.get(reason, 0) + 1
            if not right and not reading.review:
                counts["wrong_trusted"] += 1
                wrong.append({"serial": sheet.serial, "field": field_id, "typed": want,
                              "read": reading.value})
            elif not right:
                not_right.append({"serial": sheet.serial, "field": field_id, "typed": want,
                                  "read": reading.value, "reason": reading.reason})
    n = max(1, counts["fields"])
    pages = [p.state for p in result.pages]
    return {**counts, "right_share": round(counts["right"] / n, 5),
            "review_share": round(counts["review"] / n, 5),
            "wrong_trusted_share": round(counts["wrong_trusted"] / n, 5),
            "pages": {s: pages.count(s) for s in sorted(set(pages))},
            "label_zone": label, "wrong_trusted_fields": wrong[:20],
            "wrong_reviewed_fields": not_right[:20],
            "review_reasons": dict(sorted(reasons.items(), key=lambda kv: -kv[1])[:12])}


def run(out: Path, sheets: int, seed: int, workers: int | None) -> dict[str, Any]:
    home, files, truth = make(out, sheets, seed)
    opened = Home.open(home, create=False)
    report: dict[str, Any] = {"sheets": len(truth), "dpi": DPI}
    start = time.perf_counter()
    fields = read_batch(files, opened, ReadOptions(workers=workers, today=TODAY))
    report["from_fields"] = {**score(fields, truth, printed=False),
                             "seconds": round(time.perf_counter() - start, 2)}
    printers = {"pdfium": pdfium_images}
    if shutil.which("pdftoppm"):
        printers["poppler"] = poppler_images
    for name, printer in printers.items():
        folder = out / f"images-{name}"
        folder.mkdir()
        for pdf in files:
            printer(pdf, folder)
        start = time.perf_counter()
        result = read_batch([folder], opened, ReadOptions(workers=workers, today=TODAY))
        report[f"printed_{name}"] = {**score(result, truth, printed=True),
                                     "seconds": round(time.perf_counter() - start, 2)}
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sheets", type=int, default=10, help="sheets per centre and form")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.keep or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        report = run(out, args.sheets, args.seed, args.workers)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
