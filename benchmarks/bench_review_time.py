"""Human time to review a batch: replay its review queue against the truth, with a time model.

    nice -n 10 .venv/bin/python benchmarks/bench_review_time.py [--sheets 40] [--keep DIR]
        [--reuse] [--mode single|field|sheet] [--json FILE]

A batch of fiches initiales and fiches de suivi is simulated with held-out handwriting
(``--split eval``, random scanner profiles), ingested into a fresh SQLite base, and its review
queue is replayed through :class:`bordereau.review.queue.Queue` exactly as a careful reviewer
would: for each item offered, compare the machine's value with what is written on the paper
(the truth), and keep it, take a suggestion, type the right value, send a blank required item
or a double mark to the clinician, or link the sheet to a patient. Every action is priced by
the time model below; each sheet also costs the scanning of its pages. The figures are human
seconds per fiche initiale and per fiche de suivi (mean, median, p90), and the share of items
whose machine value was already right, and where the time goes (per field and action).
Decisions go through the queue, so whatever the queue does after a decision (re-checking the
sheet, committing it) is what the reviewer sees next. The replay itself, and the time model,
are in ``review_replay.py``.

``--keep DIR`` keeps the batch (scans and truth) and, after ingestion, a copy of the ingested
base; ``--reuse`` replays that copy (no reading again), so the modes compare on one batch.

Most fiches de suivi are for patients already in the base (their fiche initiale was reviewed
earlier): the base is seeded with ``--known`` of them (share); the others predate the tool.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bordereau.base.engine import Database
from bordereau.base.ingest import Ingestor
from bordereau.base.schema import Patient
from bordereau.home import Home
from bordereau.review.queue import Queue
from bordereau.simulate.batch import make_batch
from bordereau.simulate.evaluate import _expected
from bordereau.simulate.truth import Answer, BatchTruth

sys.path.insert(0, str(Path(__file__).resolve().parent))
from review_replay import MODEL, MODES, Replay, TimeModel

ROOT = Path(__file__).resolve().parent.parent
CENTRE = ROOT / "samples" / "centres" / "lyon-os.yaml"


def _truths(truth: BatchTruth) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for sheet in truth.sheets:
        label = next((a.label.model_dump() for a in sheet.fields.values() if a.label), None)
        values: dict[str, Any] = {}
        for field_id, answer in sheet.fields.items():
            values[field_id] = _expected(field_id, answer, label)
            values[f"{field_id}#expect"] = answer.ambiguity
        out[sheet.serial] = values
    return out


def _seed_patients(db: Database, truth: BatchTruth, known: float, seed: int) -> int:
    """Patients of fiches de suivi whose fiche initiale was reviewed before this batch."""
    rng = random.Random(seed)
    count = 0
    with db.writing(), db.session() as session:
        for sheet in truth.sheets:
            if sheet.kind != "suivi" or rng.random() >= known:
                continue
            answers: dict[str, Answer] = sheet.fields
            label = next((a.label for a in answers.values() if a.label), None)
            ipp = answers["patient.ipp"].value or (label.ipp if label else None)
            if not ipp:
                continue
            # what the fiche initiale, reviewed then, put in the base (its identity)
            identity = {trait: answers[f"patient.{trait}"].value for trait in (
                "nom_naissance", "premier_prenom", "date_naissance")
                if f"patient.{trait}" in answers}
            session.add(Patient(ipp=ipp, **identity))
            count += 1
        session.commit()
    return count


def _stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {"n": len(values), "mean": round(statistics.fmean(values), 1),
            "median": round(statistics.median(values), 1), "p90": round(p90, 1),
            "under_30": sum(v <= 30 for v in values)}


def _copy_base(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite base (the backup API, not a file copy)."""
    target.unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def run(out: Path, sheets: int, seed: int, known: float, workers: int | None,
        model: TimeModel, mode: str = "single", reuse: bool = False) -> dict[str, Any]:
    home_dir, folder = out / "home", out / "scans"
    base, ingested = out / "base.sqlite", out / "base.ingested.sqlite"
    today = dt.date.today()
    if (folder / "truth.json").exists():  # a batch kept by an earlier run: a fresh base
        truth = BatchTruth.model_validate_json((folder / "truth.json").read_text())
        today = dt.date.fromisoformat(truth.today)
        for old in out.glob("base.sqlite*"):
            old.unlink()
    else:
        truth = make_batch(CENTRE, home_dir, folder, sheets=sheets, split="eval",
                           profile=None, seed=seed, prefix="lot", today=today)
    home = Home.open(home_dir, create=False)
    reading = None
    if reuse and ingested.exists():
        _copy_base(ingested, base)
        db = Database.open(home, f"sqlite:///{base}")
        with db.session() as session:
            seeded = session.query(Patient).count()
    else:
        db = Database.open(home, f"sqlite:///{base}")
        seeded = _seed_patients(db, truth, known, seed)
        started = time.perf_counter()
        Ingestor(db, "banc", today).ingest([folder], workers=workers)
        reading = round(time.perf_counter() - started, 1)
        _copy_base(base, ingested)
    queue = Queue(db, "banc", today=today)
    replay = Replay(queue, _truths(truth), model)
    replay.run(mode)
    per_kind: dict[str, list[float]] = defaultdict(list)
    items = right = 0
    actions: dict[str, int] = defaultdict(int)
    for sheet in truth.sheets:
        tally = replay.sheets[sheet.serial]
        per_kind[sheet.kind].append(sheet.pages * model.page + tally.seconds)
        items += tally.items
        right += tally.right
        for action, count in tally.actions.items():
            actions[action] += count
    counts = {kind: len(v) for kind, v in per_kind.items()}
    return {
        "sheets": counts, "mode": mode,
        "known_patients_seeded": seeded, "reading_seconds": reading,
        "model": model.__dict__, "items": items,
        "already_right": round(right / items, 3) if items else None,
        "actions": dict(actions),
        "seconds": {kind: _stats(v) for kind, v in per_kind.items()},
        "scanning_seconds": {kind: round(statistics.fmean(
            s.pages * model.page for s in truth.sheets if s.kind == kind), 1) for kind in counts},
        "for_clinician": len(replay.clinician), "unresolved": replay.unresolved,
        "by_field": {k: {"items": int(v[0]), "seconds": round(v[1], 1),
                         "per_sheet": round(v[1] / counts.get(k.split()[0], 1), 2),
                         "actions": dict(replay.field_actions[k])}
                     for k, v in sorted(replay.by_field.items(), key=lambda kv: -kv[1][1])},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=40,
                        help="sheets, half fiches initiales, half fiches de suivi")
    parser.add_argument("--seed", type=int, default=1010)
    parser.add_argument("--known", type=float, default=0.75,
                        help="share of fiches de suivi whose patient is already in the base")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--mode", choices=MODES, default="single",
                        help="single: one item at a time; field: grouped mode for fields with "
                        "3 items or more waiting; sheet: grouped mode by sheet")
    parser.add_argument("--grouped", action="store_true", help="the same as --mode field")
    parser.add_argument("--keep", type=Path, help="keep the batch and the base in this folder "
                        "(a batch already there is read again into a fresh base)")
    parser.add_argument("--reuse", action="store_true",
                        help="with --keep: replay the base ingested by an earlier run")
    parser.add_argument("--top", type=int, default=12, help="fields listed in the breakdown")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args()
    mode = "field" if args.grouped else args.mode
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        figures = run(args.keep, args.sheets, args.seed, args.known, args.workers, MODEL,
                      mode, args.reuse)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            figures = run(Path(tmp), args.sheets, args.seed, args.known, args.workers, MODEL,
                          mode)
    print(f"{figures['mode']} mode; sheets {figures['sheets']}, {figures['items']} review items, "
          f"{figures['already_right']:.0%} already right; actions {figures['actions']}")
    for kind, row in figures["seconds"].items():
        print(f"fiche {kind:<9} mean {row['mean']:>5} s  median {row['median']:>5} s  "
              f"p90 {row['p90']:>5} s  ({row['under_30']}/{row['n']} under 30 s)")
    print(f"scanning (in the figures above): {figures['scanning_seconds']} s per sheet")
    print(f"for the clinician: {figures['for_clinician']}; "
          f"left unresolved: {len(figures['unresolved'])}")
    print("where the time goes (field: items, seconds per sheet of its kind, actions):")
    for name, row in list(figures["by_field"].items())[:args.top]:
        acts = ", ".join(f"{a} {n}" for a, n in sorted(row["actions"].items()))
        print(f"  {name:<48} {row['items']:>3}  {row['per_sheet']:>5} s  {acts}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
