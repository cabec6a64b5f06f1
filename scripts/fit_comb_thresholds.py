"""The comb fields' trust thresholds: bounded on the calibration split *and* on unseen styles.

    .venv/bin/python scripts/fit_trust.py --reuse /work/scans/calib /work/scans/calib8 \\
        --outcomes /tmp/calib.json --output /tmp/tm-calib.json        # read, no threshold
    .venv/bin/python scripts/fit_trust.py --reuse /work/scans/unseen /work/scans/unseen8 \\
        --outcomes /tmp/unseen.json --output /tmp/tm-unseen.json --bound-on loso
    .venv/bin/python scripts/fit_comb_thresholds.py --calib /tmp/calib.json \\
        --unseen /tmp/unseen.json [--write]

For each reader group (digit combs: digits, dates, written ORPHA codes; letter combs:
names, alphanumeric codes) the threshold on the field's confidence (its weakest cell) is
fitted twice by the rule of ``comb_bound`` (``training.trust_fit.risk_threshold``: the
lowest of a grid fixed in advance, tested from the strictest down, at which the trusted
filled fields have a one-sided 95 % Clopper–Pearson upper bound of their error rate
≤ 2 % and an observed rate ≤ 0.5 %; identity fields apart, they keep 0.99 per cell):

- on the **calibration split** (``bench_read.py --split calib``: the networks' validation
  digits, the training fonts' capitals);
- on the **unseen split** (``--split unseen``: whole sheets in the npm style-validation
  families, styles no network is trained on).

The group's threshold is the **stricter** of the two: the guarantee must hold on both.
Printed: both fits and the operating point (filled fields, review, silent errors) of the
chosen thresholds on each split. ``--write`` puts them in ``ocr/models/calibration.json``
(``thresholds`` and ``comb_bound``). Never the held-out split (``read`` refuses it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # fit_trust: load, operating
from fit_trust import MAX_OBSERVED, load, operating

from bordereau.ocr.trust import IDENTITY_FIELDS, IDENTITY_THRESHOLD
from bordereau.ocr.trust_model import GROUPS
from bordereau.simulate.evaluate import FieldOutcome
from bordereau.training.trust_fit import NEVER, risk_threshold, trust_decided

ROOT = Path(__file__).resolve().parent.parent
CALIBRATION = ROOT / "bordereau" / "ocr" / "models" / "calibration.json"


def rows_of(outcomes: list[FieldOutcome], group: str) -> list[FieldOutcome]:
    return [o for o in outcomes if o.kind in GROUPS[group] and o.trust is not None
            and o.expect == "read"]


Score = Callable[[FieldOutcome], float]


def weakest(o: FieldOutcome) -> float:
    """The field's confidence as the trust stage saw it: its weakest cell."""
    assert o.trust is not None
    return float(o.trust["confidence"])


def fit(rows: list[FieldOutcome], alpha: float, delta: float,
        score: Score = weakest) -> dict[str, Any]:
    """The bounded threshold on ``score`` (the weakest cell) of the fields the trust stage
    decides, identity fields left out: they keep their own 0.99 per cell (``at``)."""
    decided = [o for o in trust_decided(rows) if o.field_id not in IDENTITY_FIELDS]
    scores = np.array([score(o) for o in decided])
    right = np.array([o.right for o in decided], dtype=bool)
    found = risk_threshold(scores, right, alpha, delta, MAX_OBSERVED)
    return {"threshold": found.value, "trusted": found.trusted, "trusted_wrong": found.wrong,
            "error_upper_95": round(found.bound, 4), "thresholds_tested": found.tested,
            "decided": len(decided)}


def at(rows: list[FieldOutcome], threshold: float, score: Score = weakest) -> dict[str, int]:
    """Review and silent errors of ``rows`` when the group's threshold on ``score`` is
    ``threshold`` (identity fields: their weakest cell at 0.99 or more as well)."""
    def trusts(o: FieldOutcome) -> bool:
        if o.field_id in IDENTITY_FIELDS:
            return weakest(o) >= max(threshold, IDENTITY_THRESHOLD)
        return score(o) >= threshold
    return operating(rows, [trusts(o) for o in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calib", type=Path, nargs="+", required=True,
                        help="fit_trust.py --outcomes of calibration-split scans")
    parser.add_argument("--unseen", type=Path, nargs="+", required=True,
                        help="fit_trust.py --outcomes of unseen-split scans")
    parser.add_argument("--alpha", type=float, default=0.02)
    parser.add_argument("--delta", type=float, default=0.05)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    calib, n_calib = load(args.calib)
    unseen, n_unseen = load(args.unseen)
    if any(not (o.style or "").startswith("loso unseen: ") for o in unseen):
        sys.exit("--unseen: outcomes of other scans than the unseen split")
    if any((o.style or "").startswith("loso ") for o in calib):
        sys.exit("--calib: outcomes of unseen styles")
    chosen: dict[str, Any] = {}
    for group in ("digit_combs", "letter_combs"):
        fits = {"calib": fit(rows_of(calib, group), args.alpha, args.delta),
                "unseen": fit(rows_of(unseen, group), args.alpha, args.delta)}
        threshold = max(f["threshold"] for f in fits.values())
        points = {"calib": at(rows_of(calib, group), threshold),
                  "unseen": at(rows_of(unseen, group), threshold)}
        chosen[group] = {"threshold": threshold, "fits": fits, "at_threshold": points}
        print(f"{group}: calib {fits['calib']['threshold']:.4f}, unseen "
              f"{fits['unseen']['threshold']:.4f} -> {threshold:.4f}")
        for name, point in points.items():
            print(f"  {name:<7}{point}")
    total = {k: sum(c["at_threshold"][s][k] for c in chosen.values() for s in ("calib", "unseen"))
             for k in ("filled", "review", "silent")}
    print(f"comb fields, both splits: {total}")
    if args.write:
        write(chosen, n_calib, n_unseen)


def write(chosen: dict[str, Any], n_calib: int, n_unseen: int) -> None:
    data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    before = {k: data["thresholds"][k] for k in
              (*GROUPS["digit_combs"], *GROUPS["letter_combs"])}
    for group, found in chosen.items():
        if found["threshold"] >= NEVER:
            sys.exit(f"{group}: no threshold passes the bound: nothing written")
        for kind in GROUPS[group]:
            data["thresholds"][kind] = round(found["threshold"], 4)
    bound = data.setdefault("comb_bound", {})
    bound.update({
        "created": dt.date.today().isoformat(),
        "command": "python scripts/fit_comb_thresholds.py " + " ".join(sys.argv[1:]),
        "rule": "per reader group, the stricter of two bounded thresholds on the field's "
                "weakest cell (lowest of a fixed grid tested from the strictest down, "
                "one-sided 95 % Clopper-Pearson upper bound of the trusted filled fields' "
                "error rate <= 2 %, observed <= 0.5 %, identity fields apart): one fitted on "
                f"the calibration split ({n_calib} sheets), one on the unseen split "
                f"({n_unseen} sheets written in styles no network was trained on)",
        "groups": chosen,
        "before": before,
    })
    CALIBRATION.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                           encoding="utf-8")
    print(f"written: {CALIBRATION}")


if __name__ == "__main__":
    main()
