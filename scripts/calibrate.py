"""Calibrate the trust thresholds on simulated scans of the calibration split only.

    .venv/bin/python scripts/calibrate.py [--sheets 6] [--seed 7]

Reads simulated batches (every scanner profile, both sample centres) whose digits come from
the training side's validation slice — handwriting the digit network never learnt from,
never the held-out data (bordereau/heldout.py) — with no threshold at all, then picks for
each field kind the lowest confidence threshold at which the values it would trust are
right at least TARGET_PRECISION of the time, and writes them to
bordereau/ocr/models/calibration.json. The held-out figures come from
benchmarks/bench_read.py, never from here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from bordereau.ocr.trust import DEFAULT_THRESHOLDS, TARGET_PRECISION
from bordereau.simulate.evaluate import FieldOutcome, compare, simulate_and_read
from bordereau.simulate.profiles import PRESETS

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bordereau" / "ocr" / "models" / "calibration.json"
CENTRES = sorted((ROOT / "samples" / "centres").glob("*.yaml"))
MIN_SUPPORT = 20
NEVER = 1.01  # a kind that never reaches the target is always reviewed


def threshold_for(outcomes: list[FieldOutcome]) -> tuple[float, dict[str, float]]:
    """The lowest threshold reaching the target precision on enough trusted fields."""
    candidates = sorted((o for o in outcomes if o.expect == "read" and not o.review),
                        key=lambda o: o.confidence)
    for start in range(len(candidates)):
        kept = candidates[start:]
        if len(kept) < MIN_SUPPORT:
            break
        right = sum(o.right for o in kept)
        if right / len(kept) >= TARGET_PRECISION:
            return round(kept[0].confidence, 4), {"fields": len(outcomes), "trusted": len(kept),
                                                  "precision": round(right / len(kept), 4)}
    return NEVER, {"fields": len(outcomes), "trusted": 0, "precision": 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    zero = {kind: 0.0 for kind in DEFAULT_THRESHOLDS}
    with tempfile.TemporaryDirectory() as tmp:
        result, batches, _ = simulate_and_read(Path(tmp), CENTRES, args.sheets, "calib",
                                               list(PRESETS), args.seed, thresholds=zero)
        fields: list[FieldOutcome] = []
        for folder, truth in batches:
            fields += compare(result, truth, folder)["fields"]
    by_kind: dict[str, list[FieldOutcome]] = defaultdict(list)
    for outcome in fields:
        by_kind[outcome.kind].append(outcome)
    thresholds, support = {}, {}
    for kind in ("single_choice", "multi_choice", "boolean", "digits", "date", "orpha_code",
                 "letters", "alphanumeric"):
        thresholds[kind], support[kind] = threshold_for(by_kind.get(kind, []))
    data = {
        "created": dt.date.today().isoformat(),
        "split": "calib",
        "target_precision": TARGET_PRECISION,
        "command": "python scripts/calibrate.py " + " ".join(sys.argv[1:]),
        "sheets": len(result.sheets),
        "thresholds": thresholds,
        "support": support,
    }
    args.output.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    for kind in thresholds:
        print(f"{kind:<14} threshold {thresholds[kind]:.4f}  {support[kind]}")


if __name__ == "__main__":
    main()
