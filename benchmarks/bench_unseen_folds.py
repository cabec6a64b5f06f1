"""Leave-one-style-out on the unseen split: every style judged by thresholds fitted without it.

    .venv/bin/python scripts/fit_trust.py --reuse /work/scans/calib /work/scans/calib8 \\
        --outcomes /tmp/calib.json --output /tmp/tm-calib.json
    .venv/bin/python scripts/fit_trust.py --reuse /work/scans/unseen /work/scans/unseen8 \\
        --outcomes /tmp/unseen.json --output /tmp/tm-unseen.json --bound-on loso
    .venv/bin/python benchmarks/bench_unseen_folds.py --calib /tmp/calib.json \\
        --unseen /tmp/unseen.json [--json docs/bench-unseen-folds.json]

The unseen split (``bench_read.py --split unseen``) writes whole sheets in the eleven npm
style-validation families (``heldout.STYLE_VALIDATION_FAMILIES``): no network was trained
on them. The shipped comb thresholds were fitted on that split too (the stricter of the
calibration and unseen bounds, ``scripts/fit_comb_thresholds.py``), so its shipped figures
are not an evaluation. Here each family in turn is the fold: the two comb groups'
thresholds are fitted again by the same rule on the calibration split and on the unseen
split *without that family*, the stricter kept, and the family's sheets are decided with
them (identity fields at 0.99 per cell as shipped; every other kind by its shipped
threshold; the other stages' review and the sheet's evidence as read). Reported over the
eleven folds: silent errors and review among filled fields (free text apart), per field
kind, identity fields apart, per family and pen, with each fold's thresholds.

Caveat, said where the figures are: the families were not trained on, but the networks
chose their epoch and fitted their temperature on validation slices that hold them
(docs/digits.md « More writing styles »).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))  # fit_trust...
from fit_comb_thresholds import fit, rows_of
from fit_trust import filled, load

from bordereau.ocr.trust import IDENTITY_FIELDS, limit_for, thresholds
from bordereau.ocr.trust_model import GROUP_OF
from bordereau.simulate.evaluate import FieldOutcome
from bordereau.training.trust_fit import raised

PREFIX = "loso unseen: "


def family(o: FieldOutcome) -> str:
    """The writer's font family of an unseen-split field (``"indie-flower"``, ...)."""
    font = (o.style or "").removeprefix(PREFIX).split(",")[0]
    return font.removesuffix(".woff2").removesuffix("-latin-400-normal")


def reviewed(o: FieldOutcome, table: dict[str, float]) -> bool:
    """Whether the reader sends ``o`` (read with no threshold) to review with ``table``."""
    if o.review:
        return True
    if raised(o) or (o.value is None and o.confidence >= 0.5):
        return False  # decided by the sheet's evidence; a blank read surely is not checked
    score = float(o.trust["confidence"]) if o.trust is not None else o.confidence
    return score < limit_for(o.field_id, o.kind, table)


def fold_thresholds(calib: list[FieldOutcome], rest: list[FieldOutcome],
                    alpha: float, delta: float) -> dict[str, float]:
    table = dict(thresholds())
    for group in ("digit_combs", "letter_combs"):
        found = max(fit(rows_of(calib, group), alpha, delta)["threshold"],
                    fit(rows_of(rest, group), alpha, delta)["threshold"])
        table.update({kind: found for kind, g in GROUP_OF.items() if g == group})
    return table


def rates(rows: list[tuple[FieldOutcome, bool]]) -> dict[str, Any]:
    n = len(rows)
    review = sum(r for _, r in rows)
    silent = sum(not r and not o.right for o, r in rows)
    return {"filled": n, "review": review, "silent": silent,
            "review_rate": round(review / n, 4) if n else None,
            "silent_rate": round(silent / n, 5) if n else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calib", type=Path, nargs="+", required=True)
    parser.add_argument("--unseen", type=Path, nargs="+", required=True)
    parser.add_argument("--alpha", type=float, default=0.02)
    parser.add_argument("--delta", type=float, default=0.05)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    calib, _ = load(args.calib)
    unseen, sheets = load(args.unseen)
    if any(not (o.style or "").startswith(PREFIX) for o in unseen):
        sys.exit("--unseen: outcomes of other scans than the unseen split")
    decided: list[tuple[FieldOutcome, bool]] = []
    folds: dict[str, dict[str, float]] = {}
    for name in sorted({family(o) for o in unseen}):
        rest = [o for o in unseen if family(o) != name]
        table = fold_thresholds(calib, rest, args.alpha, args.delta)
        folds[name] = {"digit_combs": table["digits"], "letter_combs": table["letters"]}
        decided += [(o, reviewed(o, table)) for o in unseen if family(o) == name
                    and o.expect == "read" and filled(o) and o.kind != "free_text"]
    by: dict[str, dict[str, list[tuple[FieldOutcome, bool]]]] = collections.defaultdict(
        lambda: collections.defaultdict(list))
    for o, r in decided:
        by["kind"][o.kind].append((o, r))
        pen = (o.style or "").rsplit(", ", 1)[-1]
        by["style"][f"{family(o)}, {pen}"].append((o, r))
        if o.field_id in IDENTITY_FIELDS:
            by["identity"]["identity"].append((o, r))
    overall, identity = rates(decided), rates(by["identity"]["identity"])
    by_kind = {k: rates(v) for k, v in sorted(by["kind"].items())}
    by_style = {k: rates(v) for k, v in sorted(by["style"].items())}
    figures = {"sheets": sheets, "overall": overall, "identity": identity, "folds": folds,
               "by_kind": by_kind, "by_style": by_style}
    print(f"unseen split, {sheets} sheets, {len(folds)} folds (one font family each)")
    for name, row in [("overall", overall), ("identity", identity),
                      *[(f"  {k}", v) for k, v in by_kind.items()],
                      *[(f"  {k}", v) for k, v in by_style.items()]]:
        print(f"{name:<40}{row['filled']:>6}{row['silent']:>5}  "
              f"{100 * (row['silent_rate'] or 0):6.2f} %  {100 * (row['review_rate'] or 0):5.1f} %")
    for name, found in folds.items():
        print(f"fold {name:<28} digit combs {found['digit_combs']:.4f}  "
              f"letter combs {found['letter_combs']:.4f}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n",
                             encoding="utf-8")


if __name__ == "__main__":
    main()
