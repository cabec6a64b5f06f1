"""Calibrate the trust thresholds on simulated scans of the calibration split only.

    .venv/bin/python scripts/calibrate.py [--sheets 6] [--seed 7] [--outcomes FILE]
    .venv/bin/python scripts/calibrate.py --from-outcomes FILE
    .venv/bin/python scripts/calibrate.py --reuse DIR...  # bench_read.py --split calib --keep DIR

Reads simulated batches (every scanner profile, both sample centres) whose digits come from
the training side's validation slice — handwriting the digit network never learnt from,
never the held-out data (bordereau/heldout.py) — with no threshold at all. Kinds read by
the same reader are pooled (checkboxes; digit combs: digits, dates, ORPHA codes; letter
combs: names, alphanumeric). For each group the threshold is the lowest confidence at
which the *filled* fields it would trust are right at least TARGET_PRECISION of the time
and the one-sided 95 % Clopper–Pearson upper bound of their error rate is at most
MAX_ERROR_BOUND; a group that cannot show it is always reviewed. Results go to
bordereau/ocr/models/calibration.json. The held-out figures come from
benchmarks/bench_read.py, never from here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path

from bordereau.ocr.trust import DEFAULT_THRESHOLDS, TARGET_PRECISION
from bordereau.simulate.evaluate import (
    FieldOutcome,
    clopper_pearson_upper,
    compare,
    read_kept,
    simulate_and_read,
)
from bordereau.simulate.profiles import PRESETS

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bordereau" / "ocr" / "models" / "calibration.json"
CENTRES = sorted((ROOT / "samples" / "centres").glob("*.yaml"))
MIN_SUPPORT = 20
NEVER = 1.01  # a kind that never reaches the target is always reviewed
MAX_ERROR_BOUND = 0.02  # the 95 % upper bound of the trusted error rate, per kind
CONFIDENCE_LEVEL = 0.95
# Kinds read by the same reader share a threshold: pooled, their calibration set is big
# enough for the bound to mean something (with n trusted fields and no error it is 3/n).
GROUPS = {"checkboxes": ["single_choice", "multi_choice", "boolean"],
          "digit_combs": ["digits", "date", "orpha_code"],
          "letter_combs": ["letters", "alphanumeric"]}


def threshold_for(outcomes: list[FieldOutcome]) -> tuple[float, dict[str, float]]:
    """The lowest threshold at which the 95 % upper bound of the error rate of the
    *filled* fields it would trust is at most MAX_ERROR_BOUND (empty fields are right
    whatever the threshold: counting them made the bound meaningless, e.g. a threshold
    of 1.0 for written ORPHA codes), and the observed precision reaches the target."""
    candidates = sorted((o for o in outcomes if o.expect == "read" and not o.review
                         and o.truth not in (None, False, [], "")),
                        key=lambda o: o.confidence)
    filled = sum(1 for o in outcomes if o.truth not in (None, False, [], ""))
    for start in range(len(candidates)):
        kept = candidates[start:]
        if len(kept) < MIN_SUPPORT:
            break
        wrong = sum(not o.right for o in kept)
        bound = clopper_pearson_upper(wrong, len(kept))
        if bound <= MAX_ERROR_BOUND and 1 - wrong / len(kept) >= TARGET_PRECISION:
            return round(kept[0].confidence, 4), {
                "fields": len(outcomes), "filled": filled, "trusted": len(kept),
                "wrong": wrong, "precision": round(1 - wrong / len(kept), 4),
                "error_upper_95": round(bound, 4)}
    return NEVER, {"fields": len(outcomes), "filled": filled, "trusted": 0, "wrong": 0,
                   "precision": 0.0, "error_upper_95": 1.0}


def fit_thresholds(fields: list[FieldOutcome],
                   ) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Every kind's threshold (``threshold_for`` of its reader's group, GROUPS) and each
    group's support, from fields read with no threshold at all."""
    thresholds: dict[str, float] = {}
    support: dict[str, dict[str, float]] = {}
    for group, kinds in GROUPS.items():
        threshold, support[group] = threshold_for([o for o in fields if o.kind in kinds])
        thresholds.update({kind: threshold for kind in kinds})
    return thresholds, support


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=6)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--outcomes", type=Path, help="save every field outcome here")
    parser.add_argument("--from-outcomes", type=Path, help="recompute from saved outcomes")
    parser.add_argument("--reuse", type=Path, nargs="+",
                        help="read the calibration-split scans `bench_read.py --split calib "
                             "--keep DIR` left (their truth says their split)")
    args = parser.parse_args()
    zero = {kind: 0.0 for kind in DEFAULT_THRESHOLDS}
    fields: list[FieldOutcome] = []
    if args.from_outcomes:
        saved = json.loads(args.from_outcomes.read_text(encoding="utf-8"))
        fields = [FieldOutcome.model_validate(o) for o in saved["fields"]]
        sheets = int(saved["sheets"])
    elif args.reuse:
        sheets = 0
        for kept in args.reuse:
            result, batches, _ = read_kept(kept, thresholds=zero)
            if any(truth.split != "calib" for _, truth in batches):
                sys.exit(f"{kept}: not (only) calibration-split scans")
            for folder, truth in batches:
                fields += compare(result, truth, folder)["fields"]
            sheets += len(result.sheets)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result, batches, _ = simulate_and_read(Path(tmp), CENTRES, args.sheets, "calib",
                                                   list(PRESETS), args.seed, thresholds=zero)
            for folder, truth in batches:
                fields += compare(result, truth, folder)["fields"]
        sheets = len(result.sheets)
    if args.outcomes and not args.from_outcomes:
        args.outcomes.write_text(json.dumps(
            {"sheets": sheets, "fields": [f.model_dump() for f in fields]},
            ensure_ascii=False, default=str))
    thresholds, support = fit_thresholds(fields)
    data = {
        "created": dt.date.today().isoformat(),
        "split": "calib",
        "target_precision": TARGET_PRECISION,
        "max_error_upper_95": MAX_ERROR_BOUND,
        "command": "python scripts/calibrate.py " + " ".join(sys.argv[1:]),
        "sheets": sheets,
        "groups": GROUPS,
        "thresholds": thresholds,
        "support": support,
    }
    args.output.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    for group, kinds in GROUPS.items():
        print(f"{group:<14} threshold {thresholds[kinds[0]]:.4f}  {support[group]}")


if __name__ == "__main__":
    main()
