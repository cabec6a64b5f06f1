"""Human time to review a batch: replay its review queue against the truth, with a time model.

    nice -n 10 .venv/bin/python benchmarks/bench_review_time.py [--sheets 40] [--keep DIR]

A batch of fiches initiales and fiches de suivi is simulated with held-out handwriting
(``--split eval``, random scanner profiles), ingested into a fresh SQLite base, and its review
queue is replayed through :class:`bordereau.review.queue.Queue` exactly as a careful reviewer
would: for each item offered, compare the machine's value with what is written on the paper
(the truth), and keep it, take a suggestion, type the right value, send a blank required item
or a double mark to the clinician, or link the sheet to a patient. Every action is priced by
the time model below; each sheet also costs the scanning of its pages. The figures are human
seconds per fiche initiale and per fiche de suivi (mean, median, p90), and the share of items
whose machine value was already right. Decisions go through the queue, so whatever the queue
does after a decision (re-checking the sheet, committing it) is what the reviewer sees next.

Most fiches de suivi are for patients already in the base (their fiche initiale was reviewed
earlier): the base is seeded with ``--known`` of them (share); the others predate the tool.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bordereau.base.engine import Database
from bordereau.base.ingest import Ingestor
from bordereau.base.schema import Patient
from bordereau.errors import BordereauError
from bordereau.forms.manifest import FieldLayout
from bordereau.home import Home
from bordereau.review.queue import Item, Queue
from bordereau.review.values import format_value
from bordereau.simulate.batch import make_batch
from bordereau.simulate.evaluate import _expected, _same
from bordereau.simulate.truth import Answer, BatchTruth

ROOT = Path(__file__).resolve().parent.parent
CENTRE = ROOT / "samples" / "centres" / "lyon-os.yaml"


@dataclass(frozen=True)
class TimeModel:
    """Seconds a reviewer spends on each action (see ``docs/review-app.md``)."""

    page: float = 3.0  # feeding one page to the scanner, taking it out, stacking it
    look: float = 2.0  # reading the item card and its crop, comparing with the paper value
    key: float = 0.4  # one command key: Entrée, Échap, a suggestion's key, a choice number
    char: float = 0.4  # one typed character (a careful typist checking what she types)
    zoom: float = 2.0  # opening the page or zooming once, and finding the place again
    scroll: float = 0.3  # one arrow key to move the page under the view
    row: float = 1.2  # grouped mode: reading one row (its crop beside the machine's value)


MODEL = TimeModel()
# The comment box at the bottom of the fiche initiale: read with the page (^o), two zooms,
# and about 40 arrow presses to follow the lines (measured by hand, issue 10).
COMMENT_ZOOMS, COMMENT_SCROLLS = 3, 40


@dataclass
class Tally:
    seconds: float = 0.0
    items: int = 0
    right: int = 0
    actions: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _typed(field: FieldLayout, value: Any) -> str:
    """What a reviewer types for ``value``: choice numbers, compact dates, o/n."""
    if value is None or value == []:
        return "-"
    if field.choices:
        codes = [c.code for c in field.choices]
        values = value if isinstance(value, list) else [value]
        return ",".join(str(codes.index(v) + 1) for v in values if v in codes)
    if field.kind == "boolean":
        return "o" if value else "n"
    if field.kind == "date":
        return "".join(reversed(str(value).split("-")))
    return format_value(field, value)


def _suggestions(item: Item) -> list[Any]:
    return [s.value for s in getattr(item, "suggestions", None) or []]


class Replay:
    """One reviewer going through the queue of the batch with the paper at hand."""

    def __init__(self, queue: Queue, truths: dict[str, dict[str, Any]],
                 model: TimeModel) -> None:
        self.queue, self.truths, self.model = queue, truths, model
        self.sheets: dict[str, Tally] = defaultdict(Tally)
        self.first_seen: dict[int, Any] = {}
        self.unresolved: list[str] = []
        self.clinician: list[str] = []
        self.by_field: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])

    def run_grouped(self, least: int = 3) -> None:
        """Grouped mode first: for each field with at least ``least`` items waiting, read
        the rows, mark the right ones (Espace), accept them (one Entrée for the group) and
        correct the others in place; then one item at a time for what is left."""
        m = self.model
        waiting = Counter(i.field_id for i in self.queue.items("pending"))
        for field_id, count in waiting.most_common():
            if count < least or self.queue.field_of(
                    self.queue.items("pending", field_id=field_id)[0].id).kind == "free_text":
                continue
            marked: list[Item] = []
            for listed in self.queue.items("pending", field_id=field_id):
                item = self.queue.claim(listed.id)
                if item.status != "pending":
                    continue
                truth = self.truths[item.serial].get(item.field_id)
                right = _same(item.value, truth) and not (
                    getattr(item, "ink", False) and truth in (None, [], False))
                if right and "patient inconnu" not in (item.reason or "") and not (
                        truth in (None, []) and getattr(item, "required", False)):
                    self.charge(item, m.row + m.key, "group")
                    marked.append(item)
                else:
                    self.queue.release(item.id)
            for item in marked:
                self.queue.accept(item.id)
            if marked:
                self.charge(marked[0], m.key, "group")  # the Entrée that accepts them
        self.run()

    def run(self) -> None:
        skipped: set[int] = set()
        while (item := self.queue.claim_next(skip=skipped)) is not None:
            try:
                decided = self.decide(item)
            except BordereauError as exc:  # the replay met a refusal: counted, skipped
                self.unresolved.append(f"{item.serial} {item.field_id}: {exc.message}")
                decided = False
            if not decided:
                skipped.add(item.id)
                self.queue.release(item.id)

    def charge(self, item: Item, seconds: float, action: str) -> None:
        spent = self.by_field[f"{item.sheet_kind} {item.field_id}"]
        spent[0] += int(item.id not in self.first_seen)
        spent[1] += seconds
        tally = self.sheets[item.serial]
        tally.seconds += seconds
        tally.actions[action] += 1
        if item.id not in self.first_seen:
            self.first_seen[item.id] = item.value
            tally.items += 1
            answer = self.truths[item.serial].get(item.field_id)
            if answer is not None and _same(item.value, answer):
                tally.right += 1

    def decide(self, item: Item) -> bool:
        """Decide one item as the reviewer would; False when it had to be skipped."""
        m = self.model
        field = self.queue.field_of(item.id)
        truth = self.truths[item.serial].get(item.field_id)
        expect = self.truths[item.serial].get(f"{item.field_id}#expect")
        reason = item.reason or ""
        if "patient inconnu" in reason and _same(item.value, truth):
            return self.unknown_patient(item)
        if field.kind == "free_text":
            return self.comment(item, field, truth)
        required = getattr(item, "required", field.required)
        if expect == "two_marks" or (truth in (None, [], False) and required
                                     and field.kind != "boolean"):
            return self.missing(item)
        if _same(item.value, truth) and item.status == "pending":
            if getattr(item, "ink", False) and truth in (None, [], False):
                self.charge(item, m.look + 4 * m.char + m.key, "type")  # « vide », on purpose
                self.queue.set(item.id, "vide")
                return True
            self.charge(item, m.look + m.key, "accept")
            self.queue.accept(item.id)
            return True
        if any(_same(s, truth) for s in _suggestions(item)):
            self.charge(item, m.look + m.key, "suggestion")
            self.queue.set(item.id, format_value(field, truth))
            return True
        text = _typed(field, truth)
        try:
            self.queue.set(item.id, text)
        except BordereauError:
            self.charge(item, m.look + m.key, "skip")
            self.unresolved.append(f"{item.serial} {item.field_id}: refused")
            return False
        self.charge(item, m.look + len(text) * m.char + m.key, "type")
        return True

    def comment(self, item: Item, field: FieldLayout, truth: Any) -> bool:
        m = self.model
        text = str(truth or "")
        cost = (m.look + m.key + COMMENT_ZOOMS * m.zoom + COMMENT_SCROLLS * m.scroll
                + len(text) * m.char + m.key)
        self.charge(item, cost, "transcribe")
        self.queue.set(item.id, text or "-")
        return True

    def missing(self, item: Item) -> bool:
        """Blank on paper or two marks: a question for the clinician."""
        m = self.model
        ask = getattr(self.queue, "ask_clinician", None)
        self.clinician.append(f"{item.serial} {item.field_id}")
        if ask is None:
            self.charge(item, m.look + m.key, "skip")
            self.unresolved.append(f"{item.serial} {item.field_id}: missing on paper")
            return False
        self.charge(item, m.look + m.key, "clinician")
        ask(item.id)
        return True

    def unknown_patient(self, item: Item) -> bool:
        m = self.model
        link = getattr(self.queue, "create_patient", None)
        if link is None:
            self.charge(item, m.look + m.key, "skip")
            self.unresolved.append(f"{item.serial} {item.field_id}: unknown patient")
            return False
        self.charge(item, m.look + m.key, "patient")
        link(item.id)
        return True


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
            nom = answers.get("patient.nom_naissance")
            birth = answers.get("patient.date_naissance")
            session.add(Patient(ipp=ipp, nom_naissance=nom.value if nom else None,
                                date_naissance=birth.value if birth else None))
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


def run(out: Path, sheets: int, seed: int, known: float, workers: int | None,
        model: TimeModel, grouped: bool = False) -> dict[str, Any]:
    home_dir, folder = out / "home", out / "scans"
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
    db = Database.open(home, f"sqlite:///{out / 'base.sqlite'}")
    seeded = _seed_patients(db, truth, known, seed)
    started = time.perf_counter()
    Ingestor(db, "banc", today).ingest([folder], workers=workers)
    reading = time.perf_counter() - started
    queue = Queue(db, "banc", today=today)
    replay = Replay(queue, _truths(truth), model)
    if grouped:
        replay.run_grouped()
    else:
        replay.run()
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
    return {
        "sheets": {kind: len(v) for kind, v in per_kind.items()},
        "mode": "grouped" if grouped else "single",
        "known_patients_seeded": seeded, "reading_seconds": round(reading, 1),
        "model": model.__dict__, "items": items,
        "already_right": round(right / items, 3) if items else None,
        "actions": dict(actions),
        "seconds": {kind: _stats(v) for kind, v in per_kind.items()},
        "for_clinician": len(replay.clinician), "unresolved": replay.unresolved,
        "by_field": {k: {"items": v[0], "seconds": round(v[1], 1)} for k, v in sorted(
            replay.by_field.items(), key=lambda kv: -kv[1][1])},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=40,
                        help="sheets, half fiches initiales, half fiches de suivi")
    parser.add_argument("--seed", type=int, default=1010)
    parser.add_argument("--known", type=float, default=0.75,
                        help="share of fiches de suivi whose patient is already in the base")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--grouped", action="store_true",
                        help="use grouped mode for fields with 3 items or more waiting")
    parser.add_argument("--keep", type=Path, help="keep the batch and the base in this folder "
                        "(a batch already there is replayed on a fresh base)")
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        figures = run(args.keep, args.sheets, args.seed, args.known, args.workers, MODEL,
                      args.grouped)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            figures = run(Path(tmp), args.sheets, args.seed, args.known, args.workers, MODEL,
                          args.grouped)
    print(f"{figures['mode']} mode; sheets {figures['sheets']}, {figures['items']} review items, "
          f"{figures['already_right']:.0%} already right; actions {figures['actions']}")
    for kind, row in figures["seconds"].items():
        print(f"fiche {kind:<9} mean {row['mean']:>5} s  median {row['median']:>5} s  "
              f"p90 {row['p90']:>5} s  ({row['under_30']}/{row['n']} under 30 s)")
    print(f"for the clinician: {figures['for_clinician']}; "
          f"left unresolved: {len(figures['unresolved'])}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
