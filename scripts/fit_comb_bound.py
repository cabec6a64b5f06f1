"""Fit the bounded threshold of the digit combs on the posterior score (calibration split).

    .venv/bin/python scripts/fit_comb_bound.py --reuse /work/scans/calib \\
        --outcomes /tmp/bound-calib.json                 # read (no threshold), then fit
    .venv/bin/python scripts/fit_comb_bound.py --from-outcomes /tmp/bound-calib.json [--write]

The digit combs (digits, dates, written ORPHA codes) are decided by one bounded threshold
(``comb_bound`` in ``ocr/models/calibration.json``) on a score. Three scores are compared
on the same fields, each read once with no threshold (``ocr.posterior`` keeps them all in
the trust signals):

- ``weakest``: the weakest cell's probability (the confidence today);
- ``posterior``: the value's probability among the valid values of the field
  (``ocr.posterior``; the weakest cell where the field has no rule, and on identity
  fields, which keep their a-priori rule);
- ``marginal``: the weakest cell's probability among the valid values (for comparison).

For each, the threshold is the lowest of the grid fixed in advance (``training.trust_fit``:
steps of 0.02 in log-odds, tested from the strictest down, fixed-sequence testing) at
which the trusted fields — those the trust stage decides: neither sent to review by an
earlier stage nor decided by the sheet's evidence (label, NIR key) afterwards — have a
one-sided 95 % Clopper–Pearson upper bound of their error rate ≤ ``--alpha`` and an
observed rate ≤ 0.5 %, as for ``comb_bound``. Printed: each score's threshold and its
operating point on the filled digit-comb fields (review, silent errors); today's (the
weakest cell at the shipped threshold) for reference.

``--write`` records the posterior's fit in ``comb_bound.posterior`` of ``calibration.json``;
with ``--ship`` it also becomes the shipped score (``comb_bound.score = "posterior"``) and
its threshold the fitted kinds' (``--pool``: the five comb kinds). Not shipped: on the
bundled sample scans (held-out hands) it trusts three wrong dates (docs/reading.md,
« Posterior among the valid values »). Never the held-out split.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # fit_trust: read and load
from fit_trust import MAX_OBSERVED, filled, load, read

from bordereau.ocr.trust import IDENTITY_FIELDS, IDENTITY_THRESHOLD
from bordereau.ocr.trust_model import GROUPS
from bordereau.simulate.evaluate import FieldOutcome
from bordereau.training.trust_fit import NEVER, raised, risk_threshold, trust_decided

ROOT = Path(__file__).resolve().parent.parent
CALIBRATION = ROOT / "bordereau" / "ocr" / "models" / "calibration.json"
GROUP = "digit_combs"
Score = Callable[[FieldOutcome], float]


def weakest(o: FieldOutcome) -> float:
    """The weakest cell (the confidence before any posterior replaced it)."""
    assert o.trust is not None
    return float(o.trust.get("posterior_raw_confidence", o.trust["confidence"]))


def scored(name: str) -> Score:
    """A score of ``ocr.posterior`` where the field has one, else the weakest cell."""
    def score(o: FieldOutcome) -> float:
        assert o.trust is not None
        if o.field_id in IDENTITY_FIELDS or f"posterior_{name}" not in o.trust:
            return weakest(o)
        return float(o.trust[f"posterior_{name}"])
    return score


SCORES: dict[str, Score] = {"weakest": weakest, "posterior": scored("posterior"),
                            "marginal": scored("marginal")}


def trusted(o: FieldOutcome, score: Score, threshold: float) -> bool:
    """What the trust stage decides at ``threshold``: identity fields also need their
    weakest cell at 0.99 (``ocr.trust.limit_for``)."""
    if o.field_id in IDENTITY_FIELDS:
        return weakest(o) >= max(threshold, IDENTITY_THRESHOLD)
    return score(o) >= threshold


def operating(rows: list[FieldOutcome], score: Score, threshold: float,
              ) -> dict[str, Any]:
    """Review and silent errors among the filled fields of ``rows``, per kind too."""
    out: dict[str, Any] = {"filled": 0, "review": 0, "silent": 0, "kinds": {}}
    for o in rows:
        if not filled(o) or o.expect != "read":
            continue
        kind = out["kinds"].setdefault(o.kind, {"filled": 0, "review": 0, "silent": 0})
        reviewed = o.review or not (trusted(o, score, threshold) or raised(o))
        for where in (out, kind):
            where["filled"] += 1
            where["review"] += reviewed
            where["silent"] += not reviewed and not o.right
    return out


def fit(outcomes: list[FieldOutcome], alpha: float, delta: float,
        shipped: float, pool: bool = False) -> dict[str, Any]:
    kinds = (*GROUPS[GROUP], *(GROUPS["letter_combs"] if pool else ()))
    rows = [o for o in outcomes if o.kind in kinds and o.trust is not None
            and o.expect == "read"]
    decided = trust_decided(rows)
    right = np.array([o.right for o in decided], dtype=bool)
    found: dict[str, Any] = {"kinds": list(kinds), "fields": len(decided),
                             "wrong": int((~right).sum()),
                             "today": {"threshold": shipped,
                                       **operating(rows, weakest, shipped)}}
    for name, score in SCORES.items():
        values = np.array([score(o) if o.field_id not in IDENTITY_FIELDS else 0.0
                           for o in decided])  # identity fields: decided apart
        keep = np.array([o.field_id not in IDENTITY_FIELDS for o in decided])
        chosen = risk_threshold(values[keep], right[keep], alpha, delta, MAX_OBSERVED)
        found[name] = {"threshold": chosen.value, "trusted": chosen.trusted,
                       "trusted_wrong": chosen.wrong,
                       "error_upper_95": round(chosen.bound, 4),
                       "thresholds_tested": chosen.tested,
                       **operating(rows, score, chosen.value)}
    return found


def write(found: dict[str, Any], command: str, sheets: int, ship: bool) -> None:
    """Record the posterior's fit in ``comb_bound.posterior`` of ``calibration.json``;
    ``ship``: also make it the shipped score, with its threshold for the fitted kinds."""
    data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    chosen = found["posterior"]
    if chosen["threshold"] >= NEVER:
        sys.exit("no threshold meets the bound: nothing written")
    threshold = math.ceil(chosen["threshold"] * 1e6) / 1e6  # never looser than the grid's
    bound = data.setdefault("comb_bound", {})
    bound["posterior"] = {
        "created": dt.date.today().isoformat(), "command": command, "sheets": sheets,
        "shipped": ship, "kinds": found["kinds"], "threshold": threshold,
        "weakest_threshold_before": found["today"]["threshold"],
        "weakest_threshold_refit": found["weakest"]["threshold"],
        "outcomes": "scripts/fit_comb_bound.py --reuse on the kept scans of "
                    "benchmarks/bench_read.py --split calib --sheets 4 --seed 7 and "
                    "--sheets 8 --seed 9 (read with no threshold)",
        "rule": "digit combs scored by ocr.posterior (the value's probability among the "
                "valid values; the weakest cell where the field has no rule), letter combs "
                "by their weakest cell; identity fields apart (0.99 on the weakest cell); "
                "lowest threshold of the fixed grid, tested from the strictest down, at "
                "which the trusted non-identity fields of these kinds have a one-sided 95 % "
                "Clopper-Pearson upper bound of their error rate <= 2 % and an observed "
                "rate <= 0.5 %",
        "support": {k: chosen[k] for k in ("trusted", "trusted_wrong", "error_upper_95",
                                           "thresholds_tested", "filled", "review",
                                           "silent")},
        "today": {k: found["today"][k] for k in ("filled", "review", "silent")}}
    if ship:
        bound["score"] = "posterior"
        for kind in found["kinds"]:
            data["thresholds"][kind] = threshold
    CALIBRATION.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                           encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", type=Path, nargs="*", default=[],
                        help="calibration-split scans kept by bench_read.py --split calib")
    parser.add_argument("--from-outcomes", type=Path, nargs="*", default=[])
    parser.add_argument("--outcomes", type=Path, help="save the outcomes read here")
    parser.add_argument("--alpha", type=float, default=0.02)
    parser.add_argument("--delta", type=float, default=0.05)
    parser.add_argument("--today", type=float, default=0.9644,
                        help="the shipped threshold on the weakest cell, for reference")
    parser.add_argument("--pool", action="store_true",
                        help="bound the digit and letter combs together (letters on their "
                             "weakest cell), as comb_bound was; else the digit combs alone")
    parser.add_argument("--write", action="store_true",
                        help="record the posterior's fit in calibration.json (not shipped)")
    parser.add_argument("--ship", action="store_true",
                        help="with --write: make the posterior the shipped score")
    args = parser.parse_args()
    outcomes, sheets = load(args.from_outcomes)
    if args.reuse:
        fresh, n = read(args.reuse)
        if args.outcomes:
            args.outcomes.write_text(json.dumps(
                {"sheets": n, "fields": [o.model_dump() for o in fresh]},
                ensure_ascii=False, default=str))
        outcomes += fresh
        sheets += n
    found = fit(outcomes, args.alpha, args.delta, args.today, args.pool)
    print(f"{sheets} calibration sheets, {found['fields']} comb fields decided by the "
          f"trust stage, {found['wrong']} wrong ({'digit and letter' if args.pool else 'digit'}"
          " combs)")
    for name in ("today", *SCORES):
        point = found[name]
        kinds = ", ".join(f"{k} {v['review']}/{v['filled']} ({v['silent']})"
                          for k, v in sorted(point["kinds"].items()))
        print(f"{name:<10} threshold {point['threshold']:.4f}: review {point['review']} of "
              f"{point['filled']}, silent {point['silent']}; {kinds}")
    if args.write:
        write(found, "python scripts/fit_comb_bound.py " + " ".join(sys.argv[1:]), sheets,
              args.ship)
        print(f"written: {CALIBRATION.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
