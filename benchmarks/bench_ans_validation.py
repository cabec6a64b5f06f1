"""Time the ANS conformance check that ``records export --format cda`` runs on every document.

    .venv/bin/python benchmarks/bench_ans_validation.py [--copies 5]

Renders the twelve varied documents of ``tests/test_cda.py`` (``--copies`` times each), then
prints the one-off cost of compiling the XML Schema and the schematron and the cost per
document of both checks.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bordereau.export import render_cda  # noqa: E402
from bordereau.export.ans import validator  # noqa: E402
from tests.test_cda import cases  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=5)
    args = parser.parse_args()
    documents = [render_cda(patient) for patient in cases().values()] * args.copies
    start = time.perf_counter()
    checker = validator()
    compiled = time.perf_counter() - start
    start = time.perf_counter()
    results = [checker.check(document) for document in documents]
    elapsed = time.perf_counter() - start
    assert all(result.valid for result in results)
    print(f"compile once: {compiled:.2f} s; {len(documents)} documents checked in "
          f"{elapsed:.2f} s ({1000 * elapsed / len(documents):.0f} ms per document); "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
