"""Time the generation of blank forms (issue: 100 fiches initiales in under 5 s on 2 cores).

    .venv/bin/python benchmarks/bench_generate.py [--copies 100] [--repeat 5]

Each run uses a fresh establishment home, so it includes creating the secret, reserving
serials, building the layout and writing the PDF. Prints the median and the best run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

from bordereau.establishment import Establishment

ROOT = Path(__file__).resolve().parent.parent
CENTRE = ROOT / "samples" / "centres" / "lyon-os.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--kind", default="initiale")
    args = parser.parse_args()
    timings = []
    size = pages = 0
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            output = Path(tmp) / "forms.pdf"
            start = time.perf_counter()
            result = Establishment(Path(tmp) / "home").print_forms(CENTRE, args.kind,
                                                                    args.copies, output)
            timings.append(time.perf_counter() - start)
            size, pages = output.stat().st_size, result.pages
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print(f"{args.copies} x {args.kind} ({pages} pages, {size / 1e6:.2f} MB): "
          f"median {statistics.median(timings):.2f} s, best {min(timings):.2f} s "
          f"over {args.repeat} runs ({1000 * statistics.median(timings) / pages:.1f} ms/page)")


if __name__ == "__main__":
    main()
