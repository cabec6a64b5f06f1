"""Measure reading: page states, field accuracy and review load, time per page.

    .venv/bin/python benchmarks/bench_read.py [--sheets 4] [--split eval] [--keep DIR]

Simulated scans of both sample centres are made with every scanner profile (held-out
handwriting by default: ``--split eval``), read by the pipeline with the shipped
thresholds, and compared with their truth. Prints, per field kind: the share of clean
fields trusted (coverage), how many trusted values are right (precision), and how many
deliberately ambiguous fields went to review. ``--json FILE`` writes every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from pathlib import Path

from bordereau.simulate.evaluate import compare, simulate_and_read, summarise
from bordereau.simulate.profiles import PRESETS

ROOT = Path(__file__).resolve().parent.parent
CENTRES = sorted((ROOT / "samples" / "centres").glob("*.yaml"))


def run(out: Path, sheets: int, split: str, profiles: list[str], seed: int,
        workers: int | None) -> dict[str, object]:
    result, batches, elapsed = simulate_and_read(out, CENTRES, sheets, split, profiles, seed,
                                                 workers)
    fields, pages_right, pages_total, wrong_pages = [], 0, 0, []
    for folder, truth in batches:
        compared = compare(result, truth, folder)
        fields += compared["fields"]
        pages_right += compared["pages"]["right"]
        pages_total += compared["pages"]["total"]
        wrong_pages += compared["pages"]["wrong"]
    errors = [f.model_dump() for f in fields
              if f.expect == "read" and not f.review and not f.right]
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "split": split, "profiles": profiles, "sheets": len(result.sheets),
        "pages": len(result.pages), "seconds": round(elapsed, 2),
        "seconds_per_page": round(elapsed / max(1, len(result.pages)), 3),
        "page_states": {"right": pages_right, "total": pages_total, "wrong": wrong_pages},
        "by_kind": summarise(fields), "trusted_errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=4, help="sheets per centre and profile")
    parser.add_argument("--split", default="eval", choices=["eval", "calib", "train"])
    parser.add_argument("--profiles", default=",".join(PRESETS))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--keep", type=Path, help="keep the scans in this folder")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args()
    profiles = args.profiles.split(",")
    if args.keep:
        figures = run(args.keep, args.sheets, args.split, profiles, args.seed, args.workers)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            figures = run(Path(tmp), args.sheets, args.split, profiles, args.seed, args.workers)
    states = figures["page_states"]
    print(f"{figures['machine']} — split {figures['split']}, {figures['sheets']} sheets, "
          f"{figures['pages']} pages read in {figures['seconds']} s "
          f"({figures['seconds_per_page']} s/page)")
    print(f"page states right: {states['right']}/{states['total']}")  # type: ignore[index]
    print(f"{'kind':<14}{'clean':>7}{'coverage':>10}{'precision':>11}{'raw acc.':>10}"
          f"{'ambig. caught':>15}")
    for kind, row in figures["by_kind"].items():  # type: ignore[attr-defined]
        caught = (f"{row.get('ambiguous_caught', 0)}/{row['ambiguous']}"
                  if row.get("ambiguous") else "-")
        print(f"{kind:<14}{row['clean']:>7}{row['coverage'] or 0:>10.3f}"
              f"{row['precision'] or 0:>11.4f}{row['raw_accuracy'] or 0:>10.3f}{caught:>15}")
    print(f"trusted but wrong: {len(figures['trusted_errors'])}")  # type: ignore[arg-type]
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
