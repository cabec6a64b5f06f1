"""Fit the field-level trust model on the calibration split and say whether it ships.

    .venv/bin/python scripts/fit_trust.py --reuse /work/scans/calib /work/scans/calib8 \\
        --outcomes /tmp/trust-calib.json            # read (no threshold), then fit
    .venv/bin/python scripts/fit_trust.py --from-outcomes /tmp/trust-calib.json [MORE.json]

For each reader group (digit combs: digits, dates, ORPHA codes; letter combs: names,
alphanumeric) it
1. takes the comb fields a zero-threshold reading left to the trust stage (not sent to
   review by another stage, not decided by the sheet's evidence — label, NIR key —
   afterwards) with their trust signals (``ocr.trust_model``), right or wrong;
2. chooses among a few predeclared feature sets and L2 strengths by cross-validated
   log-loss, folds grouped by the writer's font (every sheet of a font in one fold, so
   each fold's model is judged on fonts it never learnt from; ``--group-by sheet``: by
   sheet);
3. scores every field out of fold and picks the threshold by fixed-sequence
   Clopper–Pearson testing (``training.trust_fit.risk_threshold``): the trusted fields'
   error rate has a 95 % upper bound ≤ ``--alpha`` and an observed rate ≤ 0.5 %, as the
   shipped thresholds' rule (``scripts/calibrate.py``) asks;
4. compares, on the same out-of-fold scores, with today's decision (the shipped
   per-kind thresholds and 0.99 per identity cell): silent errors at equal review and
   review at equal silent errors, and at the threshold of step 3. The group's model is
   marked ``shipped`` only when step 3's operating point has fewer silent errors at no
   more review, or less review at no more silent errors.
The model refitted on every field and the thresholds go to ``--output``
(``bordereau/ocr/models/trust-model.json``). Never the held-out split.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from bordereau.ocr.trust import (
    DEFAULT_THRESHOLDS,
    IDENTITY_FIELDS,
    TARGET_PRECISION,
    limit_for,
    thresholds,
)
from bordereau.ocr.trust_model import GROUPS
from bordereau.simulate.evaluate import FieldOutcome, compare, kept_batches, read_kept
from bordereau.training.trust_fit import (
    NEVER,
    fit_logistic,
    grouped_folds,
    log_loss,
    raised,
    risk_threshold,
    trust_decided,
)

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bordereau" / "ocr" / "models" / "trust-model.json"
MAX_OBSERVED = round(1 - TARGET_PRECISION, 6)  # observed error rate: 0.005
CELLS = ["min_logit", "second_logit", "mean_logit", "weak_margin", "inked"]
DIGIT_KINDS = ["kind_date", "kind_orpha"]
LETTER_EXTRA = ["confidence_logit", "alone_share", "listed", "list_share_logit",
                "kind_alphanumeric"]
WRITER = ["writer_median_logit", "writer_doubt_share"]
FEATURE_SETS: dict[str, dict[str, list[str]]] = {
    "confidence": {"digit_combs": ["min_logit", *DIGIT_KINDS],
                   "letter_combs": ["confidence_logit", "kind_alphanumeric"]},
    "cells": {"digit_combs": CELLS + DIGIT_KINDS, "letter_combs": CELLS + LETTER_EXTRA},
    "cells+writer": {"digit_combs": CELLS + DIGIT_KINDS + WRITER,
                     "letter_combs": CELLS + LETTER_EXTRA + WRITER},
}
L2 = [0.3, 3.0, 30.0]


def filled(o: FieldOutcome) -> bool:
    return o.truth not in (None, False, [], "")


def load(paths: list[Path]) -> tuple[list[FieldOutcome], int]:
    """Outcomes saved by this script or calibrate.py ({"sheets": n, "fields": [...]}) or
    bench_read.py (a list), and their number of sheets (serials restart at 1 in each
    simulated home: counted per file)."""
    found: list[FieldOutcome] = []
    sheets = 0
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = data["fields"] if isinstance(data, dict) else data
        found += [FieldOutcome.model_validate(r) for r in rows]
        sheets += (int(data["sheets"]) if isinstance(data, dict)
                   else len({r["serial"] for r in rows}))
    return found, sheets


def read(dirs: list[Path]) -> tuple[list[FieldOutcome], int]:
    zero = {kind: 0.0 for kind in DEFAULT_THRESHOLDS}
    fields: list[FieldOutcome] = []
    sheets = 0
    for kept in dirs:
        result, batches, _ = read_kept(kept, thresholds=zero)
        if any(truth.split not in {"calib", "unseen"} for _, truth in batches):
            sys.exit(f"{kept}: not (only) calibration-split or unseen-split scans")
        for folder, truth in batches:
            # The unseen split's styles were never trained on: they count as unseen styles
            # (``is_loso``) like the leave-one-style-out folds.
            tag = "loso unseen: " if truth.split == "unseen" else ""
            fields += [o.model_copy(update={"style": f"{tag}{o.style}"}) if tag else o
                       for o in compare(result, truth, folder)["fields"]]
        sheets += len(result.sheets)
    return fields, sheets


def read_loso(folds: list[Path]) -> tuple[list[FieldOutcome], int]:
    """The sheets of ``benchmarks/bench_loso_fields.py``'s folds (``WORK/S``): written in
    the style S only, read with that fold's networks, which never saw S (``S/eval`` with
    the home ``S/eval-home``), no threshold."""
    from bordereau.home import Home
    from bordereau.ocr import adapt
    from bordereau.ocr.pipeline import ReadOptions, read_batch

    zero = {kind: 0.0 for kind in DEFAULT_THRESHOLDS}
    fields: list[FieldOutcome] = []
    sheets = 0
    for fold in folds:
        batches = kept_batches(fold / "eval")
        if any(truth.split == "eval" for _, truth in batches):
            sys.exit(f"{fold}: held-out scans")
        result = read_batch([f for f, _ in batches],
                            Home.open(fold / "eval-home", create=False),
                            ReadOptions(thresholds=zero))
        own_letters = hasattr(adapt, "home_letters")  # the reader takes a home's letters
        if not own_letters:
            print(f"{fold.name}: this reader reads letters with the shipped network, which "
                  "saw the style: its letter combs are left out")
        for folder, truth in batches:
            fields += [o.model_copy(update={"style": f"loso {fold.name}: {o.style}"})
                       for o in compare(result, truth, folder)["fields"]
                       if own_letters or o.kind not in GROUPS["letter_combs"]]
        sheets += len(result.sheets)
    return fields, sheets


def today_trusts(o: FieldOutcome) -> bool:
    assert o.trust is not None
    return float(o.trust["confidence"]) >= limit_for(o.field_id, o.kind, thresholds())


def operating(rows: list[FieldOutcome], trusts: list[bool]) -> dict[str, int]:
    """Review and silent errors among the filled fields of ``rows`` (a group's fields
    with trust signals) when the trust stage trusts ``trusts``; other stages' review and
    the evidence's decisions as they were."""
    review = silent = n = 0
    for o, ok in zip(rows, trusts, strict=True):
        if not filled(o) or o.expect != "read":
            continue
        n += 1
        if o.review or not (ok or raised(o)):
            review += 1
        elif not o.right:
            silent += 1
    return {"filled": n, "review": review, "silent": silent}


def is_loso(o: FieldOutcome) -> bool:
    return (o.style or "").startswith("loso ")


def compare_points(rows: list[FieldOutcome], score_of: dict[int, float],
                   own_of: dict[int, float], threshold: float, confidence_threshold: float,
                   ) -> dict[str, dict[str, Any] | None]:
    """Today's decision, the confidence alone and the model at their bounded thresholds,
    and the model at today's review and at today's silent errors, on ``rows``."""

    def trusts(of: dict[int, float], t: float) -> list[bool]:
        return [id(o) in of and of[id(o)] >= t and (
            o.field_id not in IDENTITY_FIELDS or today_trusts(o)) for o in rows]

    base = operating(rows, [today_trusts(o) for o in rows])
    sweep = [operating(rows, trusts(score_of, t))
             for t in np.unique([score_of[id(o)] for o in rows if id(o) in score_of])]
    return {
        "today": base,
        "confidence_at_bound": operating(rows, trusts(own_of, confidence_threshold)),
        "at_threshold": operating(rows, trusts(score_of, threshold)),
        "equal_review": min((p for p in sweep if p["review"] <= base["review"]),
                            key=lambda p: (p["silent"], p["review"]), default=None),
        "equal_silent": min((p for p in sweep if p["silent"] <= base["silent"]),
                            key=lambda p: (p["review"], p["silent"]), default=None)}


def cross_validate(x: np.ndarray, y: np.ndarray, groups: list[str], names: list[str],
                   l2: float, k: int) -> np.ndarray:
    scores = np.zeros(len(y))
    for fold in grouped_folds(groups, k):
        train = np.setdiff1d(np.arange(len(y)), fold)
        scores[fold] = fit_logistic(x[train], y[train], names, l2).predict(x[fold])
    return scores


def fit_group(group: str, outcomes: list[FieldOutcome], args: argparse.Namespace,
              ) -> dict[str, Any]:
    rows = [o for o in outcomes if o.kind in GROUPS[group] and o.trust is not None
            and o.expect == "read"]
    decided = trust_decided(rows)
    y = np.array([o.right for o in decided], dtype=float)
    groups = [(o.style or o.serial).split(",")[0] if args.group_by == "style" else o.serial
              for o in decided]  # a style: the font (any pen)
    tried = []
    for set_name, sets in FEATURE_SETS.items():
        names = sets[group]
        x = np.array([[float(o.trust.get(n, 0.0)) for n in names] for o in decided])  # type: ignore[union-attr]
        for l2 in L2:
            scores = cross_validate(x, y, groups, names, l2, args.folds)
            tried.append((log_loss(scores, y), set_name, l2, names, x, scores))
    tried.sort(key=lambda t: t[0])
    best_loss, set_name, l2, names, x, scores = tried[0]
    own = np.array([float(o.trust["confidence"]) for o in decided])  # type: ignore[index]
    bound_rows = np.array([args.bound_on == "all" or is_loso(o) for o in decided])
    right = y.astype(bool)
    chosen = risk_threshold(scores[bound_rows], right[bound_rows], args.alpha, args.delta,
                            MAX_OBSERVED)
    recalibrated = risk_threshold(own[bound_rows], right[bound_rows], args.alpha,
                                  args.delta, MAX_OBSERVED)
    score_of = {id(o): s for o, s in zip(decided, scores, strict=True)}
    own_of = {id(o): s for o, s in zip(decided, own, strict=True)}
    cv = {"all": compare_points(rows, score_of, own_of, chosen.value, recalibrated.value)}
    if any(is_loso(o) for o in rows):
        cv["loso"] = compare_points([o for o in rows if is_loso(o)], score_of, own_of,
                                    chosen.value, recalibrated.value)
        cv["calib"] = compare_points([o for o in rows if not is_loso(o)], score_of, own_of,
                                     chosen.value, recalibrated.value)
    at, base = cv["all"]["at_threshold"], cv["all"]["today"]
    assert at is not None and base is not None
    ships = ((at["silent"] < base["silent"] and at["review"] <= base["review"])
             or (at["review"] < base["review"] and at["silent"] <= base["silent"]))
    model = fit_logistic(x, y, names, l2)
    return {**model.as_dict(), "kinds": list(GROUPS[group]), "shipped": bool(ships),
            "threshold": chosen.value if chosen.value < NEVER else NEVER,
            "support": {"fields": len(decided), "wrong": int(len(y) - y.sum()),
                        "trusted": chosen.trusted, "trusted_wrong": chosen.wrong,
                        "error_upper_95": round(chosen.bound, 4),
                        "thresholds_tested": chosen.tested},
            "selection": {"feature_set": set_name, "l2": l2,
                          "cv_log_loss": round(best_loss, 4),
                          "tried": [[s, c, round(v, 4)] for v, s, c, *_ in tried]},
            "confidence_threshold": recalibrated.value, "cv": cv}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", type=Path, nargs="*", default=[],
                        help="scans kept by bench_read.py --split calib (or --split unseen:"
                             " styles no network was trained on, counted as unseen styles)")
    parser.add_argument("--from-outcomes", type=Path, nargs="*", default=[],
                        help="field outcomes with trust signals (calibration data only)")
    parser.add_argument("--loso", type=Path, nargs="*", default=[],
                        help="bench_loso_fields.py fold folders (WORK/STYLE): unseen styles")
    parser.add_argument("--outcomes", type=Path, help="save the outcomes read here")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--alpha", type=float, default=0.02)
    parser.add_argument("--delta", type=float, default=0.05)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--group-by", choices=["sheet", "style"], default="style")
    parser.add_argument("--bound-on", choices=["all", "loso"], default="all",
                        help="the fields the thresholds are bounded on (loso: unseen styles)")
    args = parser.parse_args()
    outcomes, sheets = load(args.from_outcomes)
    if args.reuse or args.loso:
        (calib, n), (loso, m) = read(args.reuse), read_loso(args.loso)
        fresh = calib + loso
        if args.outcomes:
            args.outcomes.write_text(json.dumps(
                {"sheets": n + m,
                 "fields": [o.model_dump() for o in fresh]}, ensure_ascii=False, default=str))
        outcomes += fresh
        sheets += n + m
    lacking = sum(o.kind in GROUPS["digit_combs"] + GROUPS["letter_combs"]
                  and o.trust is None and o.value is not None for o in outcomes)
    if lacking:
        print(f"{lacking} comb fields read without trust signals (older reader): left out")
    result = {g: fit_group(g, outcomes, args) for g in GROUPS}
    data = {"created": dt.date.today().isoformat(), "split": "calib",
            "command": "python scripts/fit_trust.py " + " ".join(sys.argv[1:]),
            "sheets": sheets, "fields": len(outcomes), "alpha": args.alpha,
            "delta": args.delta, "max_observed": MAX_OBSERVED, "groups": result}
    args.output.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    for group, found in result.items():
        print(f"{group}: {found['selection']['feature_set']} (l2 {found['selection']['l2']}), "
              f"threshold {found['threshold']:.4f}, shipped {found['shipped']}")
        print(f"  support {found['support']}")
        for subset, points in found["cv"].items():
            for name, point in points.items():
                print(f"  {subset:<6}{name:<20} {point}")


if __name__ == "__main__":
    main()
