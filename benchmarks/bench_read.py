"""Measure reading: page states, silent errors, review load, time per page.

    .venv/bin/python benchmarks/bench_read.py [--sheets 4] [--split eval] [--keep DIR]
        [--reuse DIR] [--json FILE] [--kinds initiale,suivi | annexe_identite,annexe_statut]

Simulated scans of both sample centres are made with every scanner profile (held-out
handwriting by default: ``--split eval``), read by the pipeline with the shipped
thresholds, and compared with their truth. ``--reuse DIR`` reads the batches a former
``--keep DIR`` left, so two versions of the reader can be compared on the same scans.

Prints and writes (``--json``):
- per field kind: clean fields, coverage (trusted share), precision (right when trusted),
  raw accuracy, deliberately ambiguous fields caught;
- **silent errors** (trusted but wrong) as a share of the *filled* fields, and on the
  identity fields (IPP, NIR, date of birth); **review rate** of the filled fields (free
  text apart); per field kind, per scanner profile and per writer style (font and pen);
- the precision–coverage curve: for each confidence threshold applied on top of the
  reader's decision, the coverage and the errors among trusted fields;
- written comments the reader neither flagged nor kept (must be 0);
- fields written but lost by a bilevel scan (``expect == "lost"``), counted apart.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from bordereau.forms.model import ALL_KINDS, FormKind
from bordereau.simulate.evaluate import (
    FieldOutcome,
    compare,
    read_kept,
    simulate_and_read,
    summarise,
)
from bordereau.simulate.profiles import PRESETS

ROOT = Path(__file__).resolve().parent.parent
CENTRES = sorted((ROOT / "samples" / "centres").glob("*.yaml"))
IDENTITY = {"patient.ipp", "patient.ins", "patient.date_naissance"}
CHOICES = {"single_choice", "multi_choice", "boolean"}


def filled(outcome: FieldOutcome) -> bool:
    """A field the writer filled (something written or marked on the form)."""
    return outcome.truth not in (None, False, [], "")


def rates(outcomes: list[FieldOutcome]) -> dict[str, Any]:
    """Silent errors and review among filled clean fields (free text apart)."""
    rows = [o for o in outcomes if o.expect == "read" and filled(o) and o.kind != "free_text"]
    silent = [o for o in rows if not o.review and not o.right]
    review = [o for o in rows if o.review]
    n = len(rows)
    return {"filled": n, "silent": len(silent), "review": len(review),
            "silent_rate": round(len(silent) / n, 5) if n else None,
            "review_rate": round(len(review) / n, 4) if n else None,
            "right_when_trusted": (round(1 - len(silent) / (n - len(review)), 5)
                                   if n > len(review) else None)}


def grouped(outcomes: list[FieldOutcome], key: Any) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[FieldOutcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[key(outcome)].append(outcome)
    return {name: rates(rows) for name, rows in sorted(groups.items())}


def curve(outcomes: list[FieldOutcome]) -> list[dict[str, Any]]:
    """Coverage and silent errors of handwritten fields if trusted only above a threshold."""
    rows = [o for o in outcomes if o.expect == "read" and filled(o)
            and o.kind not in CHOICES | {"free_text", "label_zone"} and not o.review]
    total = len([o for o in outcomes if o.expect == "read" and filled(o)
                 and o.kind not in CHOICES | {"free_text", "label_zone"}])
    points = []
    for threshold in (0.0, 0.5, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999):
        kept = [o for o in rows if o.confidence >= threshold]
        wrong = sum(not o.right for o in kept)
        points.append({"threshold": threshold, "coverage": round(len(kept) / total, 4)
                       if total else None, "trusted": len(kept), "wrong": wrong})
    return points


def run(out: Path, sheets: int, split: str, profiles: list[str], seed: int,
        workers: int | None, reuse: bool = False,
        kinds: tuple[FormKind, ...] = ("initiale", "suivi"),
        thresholds: dict[str, float] | None = None, home: Path | None = None) -> dict[str, Any]:
    """Simulate and read (or read again with ``reuse``: with ``thresholds`` and another
    ``home``'s models when given), then measure."""
    if reuse:
        result, batches, elapsed = read_kept(out, workers, thresholds, home)
    else:
        result, batches, elapsed = simulate_and_read(out, CENTRES, sheets, split, profiles,
                                                     seed, workers, kinds=kinds)
    return measure(result, batches, elapsed, split, profiles)


def measure(result: Any, batches: list[tuple[Path, Any]], elapsed: float, split: str,
            profiles: list[str]) -> dict[str, Any]:
    """Every figure of the benchmark (and each field's outcome) for batches read."""
    fields: list[FieldOutcome] = []
    pages_right, pages_total, wrong_pages = 0, 0, []
    profile_of: dict[str, str] = {}
    style_of: dict[str, str] = {}
    for folder, truth in batches:
        compared = compare(result, truth, folder)
        fields += compared["fields"]
        pages_right += compared["pages"]["right"]
        pages_total += compared["pages"]["total"]
        wrong_pages += compared["pages"]["wrong"]
        for sheet in truth.sheets:
            profile_of[sheet.serial] = folder.name.rsplit("-", 2)[0].split("-")[0]
            style_of[sheet.serial] = f"{sheet.writer.font}, {sheet.writer.pen}"
    errors = [f.model_dump() for f in fields
              if f.expect == "read" and not f.review and not f.right]
    lost = [f.model_dump() for f in fields
            if f.kind == "free_text" and filled(f) and not f.review]
    identity = [o for o in fields if o.field_id in IDENTITY]
    lost_by_scan = [o for o in fields if o.expect == "lost"]
    split = ",".join(sorted({truth.split for _, truth in batches})) or split  # --reuse: the
    # split the kept scans were made from, not the --split option's default
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "split": split, "profiles": profiles, "sheets": len(result.sheets),
        "pages": len(result.pages), "seconds": round(elapsed, 2),
        "seconds_per_page": round(elapsed / max(1, len(result.pages)), 3),
        "page_states": {"right": pages_right, "total": pages_total, "wrong": wrong_pages},
        "by_kind": summarise(fields), "trusted_errors": errors,
        "overall": rates(fields),
        "handwritten": rates([o for o in fields if o.kind not in CHOICES]),
        "identity": rates(identity),
        "rates_by_kind": grouped(fields, lambda o: o.kind),
        "by_profile": grouped(fields, lambda o: profile_of.get(o.serial, "?")),
        "by_style": grouped(fields, lambda o: style_of.get(o.serial, "?")),
        "precision_coverage": curve(fields),
        "comments_lost": lost,
        "lost_by_scan": {"fields": len(lost_by_scan),
                         "trusted_empty": sum(o.value is None and not o.review
                                              for o in lost_by_scan),
                         "review": sum(o.review for o in lost_by_scan)},
        "outcomes": [o.model_dump() | {"profile": profile_of.get(o.serial),
                                       "style": style_of.get(o.serial)} for o in fields],
    }


def show(figures: dict[str, Any]) -> None:
    states = figures["page_states"]
    print(f"{figures['machine']} — split {figures['split']}, {figures['sheets']} sheets, "
          f"{figures['pages']} pages read in {figures['seconds']} s "
          f"({figures['seconds_per_page']} s/page)")
    print(f"page states right: {states['right']}/{states['total']}")
    print(f"{'kind':<14}{'clean':>7}{'coverage':>10}{'precision':>11}{'raw acc.':>10}"
          f"{'ambig. caught':>15}")
    for kind, row in figures["by_kind"].items():
        caught = (f"{row.get('ambiguous_caught', 0)}/{row['ambiguous']}"
                  if row.get("ambiguous") else "-")
        print(f"{kind:<14}{row['clean']:>7}{row['coverage'] or 0:>10.3f}"
              f"{row['precision'] or 0:>11.4f}{row['raw_accuracy'] or 0:>10.3f}{caught:>15}")

    def line(name: str, row: dict[str, Any]) -> None:
        print(f"  {name:<34}{row['filled']:>7}{row['silent']:>8}"
              f"{100 * (row['silent_rate'] or 0):>9.2f} %{100 * (row['review_rate'] or 0):>9.1f} %")

    print(f"\nfilled fields (free text apart)     {'filled':>7}{'silent':>8}{'silent':>11}"
          f"{'review':>11}")
    for name in ("overall", "handwritten", "identity"):
        line(name, figures[name])
    for title in ("rates_by_kind", "by_profile", "by_style"):
        print(title.replace("_", " "))
        for name, row in figures[title].items():
            line(name, row)
    print("precision–coverage (handwritten fields):")
    for point in figures["precision_coverage"]:
        print(f"  ≥ {point['threshold']:<6} coverage {point['coverage']}  trusted "
              f"{point['trusted']}  wrong {point['wrong']}")
    print(f"trusted but wrong: {len(figures['trusted_errors'])}; written comments neither "
          f"flagged nor kept: {len(figures['comments_lost'])}")
    gone = figures["lost_by_scan"]
    print(f"written but lost by the scan (not counted above): {gone['fields']} "
          f"({gone['trusted_empty']} read empty, {gone['review']} to review)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=4, help="sheets per centre and profile")
    parser.add_argument("--split", default="eval", choices=["eval", "calib", "train", "unseen"])
    parser.add_argument("--profiles", default=",".join(PRESETS))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--keep", type=Path, help="keep the scans in this folder")
    parser.add_argument("--reuse", type=Path, help="read the scans a former --keep left")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--outcomes", type=Path, help="write every field's outcome here")
    parser.add_argument("--kinds", default="initiale,suivi",
                        help="form kinds to simulate, in turn (annexes: annexe_identite, "
                             "annexe_genetique, annexe_statut, annexe_grossesse, "
                             "annexe_traitements)")
    args = parser.parse_args()
    profiles = args.profiles.split(",")
    kinds = tuple(k for k in ALL_KINDS if k in args.kinds.split(","))
    if args.reuse:
        figures = run(args.reuse, args.sheets, args.split, profiles, args.seed, args.workers,
                      reuse=True)
    elif args.keep:
        figures = run(args.keep, args.sheets, args.split, profiles, args.seed, args.workers,
                      kinds=kinds)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            figures = run(Path(tmp), args.sheets, args.split, profiles, args.seed, args.workers,
                          kinds=kinds)
    show(figures)
    outcomes = figures.pop("outcomes")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False, default=str))
    if args.outcomes:
        args.outcomes.write_text(json.dumps(outcomes, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
