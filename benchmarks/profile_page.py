"""Where the CPU time of a page goes: cProfile around each stage of reading, in one process.

    .venv/bin/python benchmarks/profile_page.py [--pages 30] [--threads]

Reads the first pages of the benchmark cache (``scan_cache``: simulated 300-dpi scans) the
way a reading process does (one thread, as in the pool, unless ``--threads``), with the
crops the base stores, and prints the CPU seconds per page of each stage: decoding,
blank test, marker and code detection, warp, flatten, each kind of field reader (the
CNNs and Tesseract inside them), the PNG crops. ``--top N`` also lists the N costliest
functions.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scan_cache import ensure_pages

from bordereau.ocr.page_reader import Context, read_page
from bordereau.ocr.pages import iter_pages
from bordereau.ocr.stream import single_threaded

STAGES = {  # label: (file suffix, function name) whose cumulative time is the stage's
    "decode (PDFium)": ("ocr/pages.py", "iter_pages"),
    "blank test": ("ocr/blank.py", "is_blank"),
    "detect markers and codes": ("ocr/align.py", "detect"),
    "locate (code check, homography)": ("ocr/identify.py", "locate"),
    "warp": ("ocr/align.py", "warp"),
    "flatten": ("ocr/aligned.py", "flatten"),
    "checkboxes": ("ocr/marks.py", "read_choice"),
    "combs (digits, letters)": ("ocr/combs.py", "read_comb"),
    "  of which CNN forward passes": ("ocr/cnn.py", "logits"),
    "  of which Tesseract": ("ocr/tesseract.py", "read_line"),
    "patient label (barcode, Tesseract)": ("ocr/label.py", "read_label"),
    "field crops (PNG, for reviewers)": ("ocr/page_reader.py", "crop_png"),
    "page image (100 dpi PNG)": ("ocr/page_reader.py", "page_png"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--threads", action="store_true", help="leave library threads on")
    parser.add_argument("--top", type=int, default=0)
    args = parser.parse_args()
    if not args.threads:
        single_threaded()
    home, files = ensure_pages(args.pages)
    ctx = Context(home, keep_crops=True)
    _ = ctx.digits, ctx.engine  # models loaded before measuring
    profile = cProfile.Profile(time.process_time)
    pages = 0
    start = time.process_time()
    profile.enable()
    for path in files:
        for page in iter_pages(path):
            if pages < args.pages and not isinstance(page, Exception):
                read_page(page, ctx)  # type: ignore[arg-type]
                pages += 1
    profile.disable()
    total = time.process_time() - start
    stats = pstats.Stats(profile)
    cumulative = {(file, line, name): row[3]
                  for (file, line, name), row in stats.stats.items()}  # type: ignore[attr-defined]
    print(f"{pages} pages, {total / pages:.3f} CPU-s per page (profiled, "
          f"{'library threads on' if args.threads else 'one thread'})")
    for label, (suffix, name) in STAGES.items():
        spent = sum(t for (file, _, fn), t in cumulative.items()
                    if file.endswith(suffix) and fn == name)
        print(f"  {label:<38}{spent / pages:>7.3f} s  {100 * spent / total:>5.1f} %")
    if args.top:
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
