"""Time scan input: decoding one A4 page in every format a scanner writes, and blank detection.

    .venv/bin/python benchmarks/bench_pages.py [--dpi 300] [--pages 6] [--repeat 5] [--grey]

The page is a real generated form (fiche de suivi) rendered in colour at ``--dpi``, with
scanner-like noise (sigma 3 grey levels) and a slightly warm paper tint, written by
``bordereau.simulate.scanfile.write_scan`` in each format (JPEG quality 75). For each
format the whole file list is read with ``iter_pages`` ``--repeat`` times; the table shows
the median time per page, the best run, and the file size per page. ``is_blank`` is timed on
the decoded pages of the first format.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium

from bordereau.establishment import Establishment
from bordereau.ocr.blank import is_blank
from bordereau.ocr.pages import iter_pages
from bordereau.ocr.types import PageImage
from bordereau.simulate.scanfile import SCAN_FORMATS, write_scan

ROOT = Path(__file__).resolve().parent.parent
CENTRE = ROOT / "samples" / "centres" / "lyon-os.yaml"


def scanned_form(folder: Path, dpi: int, grey: bool) -> np.ndarray:
    Establishment(folder / "home").print_forms(CENTRE, "suivi", 1, folder / "suivi.pdf")
    document = pdfium.PdfDocument(folder / "suivi.pdf")
    rgb = document[0].render(scale=dpi / 72).to_numpy()[:, :, 2::-1].astype(np.float32)
    document.close()
    rgb *= np.array([1.0, 0.98, 0.93], np.float32)  # warm paper
    rgb += np.random.default_rng(0).normal(0, 3, rgb.shape[:2])[:, :, None].astype(np.float32)
    page: np.ndarray = np.clip(rgb, 0, 255).round().astype(np.uint8)
    return np.asarray(page.mean(axis=2).round(), dtype=np.uint8) if grey else page


def read_all(paths: list[Path]) -> list[PageImage]:
    pages = [item for path in paths for item in iter_pages(path)]
    if not all(isinstance(item, PageImage) for item in pages):
        raise SystemExit(f"unreadable pages: {pages}")
    return [item for item in pages if isinstance(item, PageImage)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--pages", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--grey", action="store_true", help="scan in grey instead of colour")
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, pypdfium2 {pdfium.PYPDFIUM_INFO}, "
          f"PDFium {pdfium.PDFIUM_INFO}")
    print(f"A4 page at {args.dpi} dpi, {'grey' if args.grey else 'colour'}, "
          f"{args.pages} pages per file, {args.repeat} runs\n")
    print("| format | ms / page (median) | best | KB / page |")
    print("|---|---:|---:|---:|")
    blank_times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        page = scanned_form(folder, args.dpi, args.grey)
        for fmt in SCAN_FORMATS:
            paths = write_scan([page] * args.pages, folder / f"scan-{fmt}.x", fmt, args.dpi)
            size = sum(p.stat().st_size for p in paths) / args.pages
            timings = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                decoded = read_all(paths)
                timings.append((time.perf_counter() - start) / len(decoded))
            median, best = statistics.median(timings), min(timings)
            print(f"| {fmt} | {1000 * median:.1f} | {1000 * best:.1f} | {size / 1024:.0f} |")
            if not blank_times:
                for item in decoded:
                    start = time.perf_counter()
                    is_blank(item)
                    blank_times.append(time.perf_counter() - start)
    print(f"\nis_blank: median {1000 * statistics.median(blank_times):.1f} ms / page")


if __name__ == "__main__":
    main()
