"""Learning from corrections: review share and silent errors before and after ``models adapt``.

One new writer joins the establishment: every sheet below is filled by the same person
(one pen, one held-out handwriting font, digits from that font only, same size and
slant). Held-out data rule (``bordereau/heldout.py``): the fonts fonts-dkg-handwriting and
fonts-tomsontalks are for evaluation only. Here the reviewers' corrections of that
writer's sheets are what ``models adapt`` fits — exactly what an establishment does with
its own writers — and the adapted model is then judged only on OTHER sheets of that
writer (``--new`` sheets, never ingested, never reviewed, never fitted); the shipped
network itself is not retrained, and nothing of this benchmark goes back into the shipped
model, the thresholds or any tuning.

Steps, for each review size N (cumulative: the base grows by batches):
1. the next sheets are read and stored with the SHIPPED model (any adapted model is set
   aside during ingestion, so N means "N sheets reviewed as read by the shipped model");
2. a simulated reviewer decides every pending field: the truth is the decision (accept
   when the machine read it, else the truth typed in);
3. ``Establishment.adapt_digits()`` (what ``bordereau models adapt`` calls): fit on 75 %
   of the reviewed sheets, check on the other 25 %, installed only when no worse;
4. the M new sheets are read with the model in use; for the digit comb fields (digits,
   date, orpha_code) and for all fields: share sent to review and silent errors (trusted
   but wrong), against the same sheets read with the shipped model.

    .venv/bin/python benchmarks/bench_adapt.py --reviewed 5 10 20 --new 10 --json out.json
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from bordereau.establishment import Establishment
from bordereau.forms.manifest import Layout
from bordereau.heldout import HELDOUT_FONTS
from bordereau.ocr.adapt import adapted_path, home_recognizer
from bordereau.ocr.pipeline import ReadOptions
from bordereau.review.values import format_value
from bordereau.simulate.batch import make_batch
from bordereau.simulate.evaluate import compare
from bordereau.simulate.handwriting import Pen, Writer
from bordereau.simulate.truth import BatchTruth

ROOT = Path(__file__).resolve().parent.parent
CENTRE = ROOT / "samples" / "centres" / "lyon-os.yaml"
DIGIT_KINDS = ("digits", "date", "orpha_code")


def new_writer(font: Path) -> Writer:
    """One person: a held-out font for everything, digits included."""
    return Writer(split="eval", pen=Pen("blue", 70, 0.4), font=font,
                  digit_weights=(0.0, 0.0, 1.0), size=0.62, slant_deg=3.0, jitter=0.5,
                  sloppy_rate=0.03, mark_style="cross")


def review_all(est: Establishment, truths: dict[str, dict[str, Any]],
               layouts: dict[str, Layout]) -> dict[str, int]:
    """Decide every pending item with the truth as the reviewer's answer."""
    counts = {"accepted": 0, "corrected": 0, "left": 0}
    for item in est.review_items():
        answer = truths.get(item.serial, {}).get(item.field_id)
        if answer is None or (answer.expect == "review" and answer.value is None):
            counts["left"] += 1
            continue
        if item.value == answer.value:
            est.accept(item.id)
            counts["accepted"] += 1
            continue
        field = layouts[item.serial].field(item.field_id)
        try:
            est.correct(item.id, format_value(field, answer.value))
            counts["corrected"] += 1
        except Exception:
            counts["left"] += 1
    return counts


def figures(est: Establishment, folder: Path, truth: BatchTruth) -> dict[str, Any]:
    """Review share and silent errors of the new sheets read with the model in use."""
    result = est.read([folder], ReadOptions(workers=2))
    fields = [f for f in compare(result, truth, folder)["fields"] if f.expect == "read"]
    out: dict[str, Any] = {}
    for name, chosen in (("digit fields", [f for f in fields if f.kind in DIGIT_KINDS]),
                         ("all fields", fields)):
        review = sum(f.review for f in chosen)
        silent = sum((not f.review) and not f.right for f in chosen)
        out[name] = {"fields": len(chosen), "review": review, "silent_errors": silent,
                     "review_share": round(review / len(chosen), 4) if chosen else None}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reviewed", type=int, nargs="+", default=[5, 10, 20])
    parser.add_argument("--new", type=int, default=10)
    parser.add_argument("--font", default="TomsonTalks.ttf",
                        help="held-out font of the new writer (file name)")
    parser.add_argument("--profile", default="office_200_jpeg")
    parser.add_argument("--seed", type=int, default=41)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    font = next(f for f in HELDOUT_FONTS if f.name == args.font)
    writer = new_writer(font)
    work = Path(tempfile.mkdtemp(prefix="bench-adapt-"))
    try:
        home = work / "home"
        fresh = make_batch(CENTRE, home, work / "new", sheets=args.new, split="eval",
                           profile=args.profile, seed=args.seed, writer=writer, prefix="new")
        est = Establishment(home, f"sqlite:///{work / 'base.db'}", user="bench")
        shipped = figures(est, work / "new", fresh)
        rows: list[dict[str, Any]] = []
        done = 0
        for n, target in enumerate(sorted(args.reviewed)):
            folder = work / f"reviewed-{n}"
            batch = make_batch(CENTRE, home, folder, sheets=target - done, split="eval",
                               profile=args.profile, seed=args.seed + 1 + n, writer=writer,
                               prefix=f"lot{n}")
            done = target
            model = adapted_path(home)
            aside = model.with_suffix(".aside")
            if model.exists():
                model.replace(aside)
            est.ingest([folder], workers=2)
            if aside.exists():
                aside.replace(model)
            truths = {s.serial: s.fields for s in batch.sheets}
            layouts = {s.serial: est.home.layout(s.layout_id) for s in batch.sheets}
            decisions = review_all(est, truths, layouts)
            adaptation = est.adapt_digits(min_cells=100)
            after = figures(est, work / "new", fresh)
            in_use = home_recognizer(home).meta
            row = {"reviewed_sheets": target, "decisions": decisions,
                   "temperature": in_use.get("adapt_temperature"),
                   "cells": adaptation.cells, "fitted": adaptation.fitted,
                   "held_back": adaptation.held_back, "installed": adaptation.installed,
                   "too_few": adaptation.too_few,
                   "check_before": adaptation.before and adaptation.before.__dict__,
                   "check_after": adaptation.after and adaptation.after.__dict__,
                   "new_sheets": after}
            rows.append(row)
            print(json.dumps(row, ensure_ascii=False), flush=True)
        report = {"writer": {"font": font.name, "digits": "font only"}, "profile": args.profile,
                  "new_sheets": args.new, "seed": args.seed, "shipped": shipped, "rows": rows}
        print(json.dumps({"shipped": shipped}, ensure_ascii=False))
        if args.json:
            args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n",
                                 encoding="utf-8")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
