"""Reviewers racing on the same items, in separate processes (tests and
``scripts/reliability_races.py``).

``race_pairs``: two processes decide the same item at the same moment (a barrier before
each decision), item after item; exactly one must win each time, the other must get the
French conflict error. ``review_flow``: several processes review the same queue the way
the application does (claim the next item, or claim a listed one, then decide).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bordereau.base.engine import Database
from bordereau.base.schema import Audit, Reading, Record
from bordereau.home import Home
from bordereau.review.queue import LEASE, ConflictError, Queue
from tests.factories import INITIALE, Factory

TIMEOUT = 300.0


def make_items(factory: Factory, count: int) -> list[int]:
    """At least ``count`` pending items (fiches initiales with every field doubtful, one
    patient each); their ids, in queue order."""
    layout = factory.layout("initiale")
    doubts = {f.id: "lecture incertaine" for f in layout.fields}
    sheets = -(-count // len(layout.fields))
    for n in range(sheets):
        factory.sheet("initiale", {**INITIALE, "patient.ipp": f"66{n:06d}"}, doubts)
    return [item.id for item in Queue(factory.db, "liste").items()][:count]


def _open(url: str | None, home: str) -> Database:
    return Database.open(Home.open(Path(home), create=False), url)


def _guard(body: Any, args: tuple[Any, ...]) -> None:
    """Run a racer; on any error, break the barrier so the others stop too."""
    barrier, out = args[-2], args[-1]
    try:
        body(*args)
    except BaseException as exc:
        barrier.abort()
        out.put(("error", repr(exc)))
        raise


def _racer(*args: Any) -> None:
    _guard(_race, args)


def _flow(*args: Any) -> None:
    _guard(_review, args)


def _race(url: str | None, home: str, name: str, ids: list[int], cli: bool, barrier: Any,
          out: Any) -> None:
    results: list[tuple[int, bool, int, str]] = []
    queue = None if cli else Queue(_open(url, home), name)
    for item_id in ids:
        barrier.wait(timeout=TIMEOUT)
        if queue is not None:
            try:
                queue.accept(item_id)
                results.append((item_id, True, 0, ""))
            except ConflictError as exc:
                results.append((item_id, False, int(exc.exit_code), exc.message))
        else:
            from tests.conftest import run_cli

            base = ["--base", url] if url else []
            done = run_cli(["review", "accept", str(item_id), "--home", home, *base,
                            "--reviewer", name])
            results.append((item_id, done.exit_code == 0, done.exit_code, done.stderr))
    Database.close_all()
    out.put((name, results))


@dataclass
class RaceResult:
    """What the two racers got, per item."""

    trials: int = 0
    single_wins: int = 0  # exactly one racer won
    double_decisions: int = 0  # both won
    no_decision: int = 0  # neither won
    loser_messages: Counter[str] = field(default_factory=Counter)
    loser_codes: Counter[int] = field(default_factory=Counter)
    audit_rows: int = 0
    winners_match_base: bool = False


def process_context() -> multiprocessing.context.ForkServerContext:
    """Where racing processes come from: a fork server (one per test process) that has
    imported this module, and so the base and the review queue, once, and read the static
    tables the queue reads (``tests/race_server.py``). Each racer is still a new process
    with nothing open (forked from that clean server, not from the caller), but it starts
    at once instead of importing everything again (about 2 s of CPU each)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.race_server"])
    return context


def _spawn(target: Any, args_for: list[tuple[Any, ...]]) -> list[Any]:
    context = process_context()
    out = context.Queue()
    barrier = context.Barrier(len(args_for))
    workers = [context.Process(target=target, args=(*args, barrier, out)) for args in args_for]
    for worker in workers:
        worker.start()
    got = [out.get(timeout=TIMEOUT) for _ in workers]
    errors = [g for g in got if g[0] == "error"]
    if errors:
        raise RuntimeError(f"a racer failed: {errors}")
    for worker in workers:
        worker.join(timeout=60)
        if worker.exitcode != 0:
            raise RuntimeError(f"racer exited with {worker.exitcode}")
    return got


def race_pairs(url: str | None, home: Path, ids: list[int], cli: bool = False) -> RaceResult:
    """Two processes accept each item of ``ids`` at the same moment."""
    got = _spawn(_racer, [(url, str(home), name, ids, cli) for name in ("r1", "r2")])
    by_item: dict[int, list[tuple[str, bool, int, str]]] = {}
    for name, results in got:
        for item_id, won, code, message in results:
            by_item.setdefault(item_id, []).append((name, won, code, message))
    result = RaceResult(trials=len(ids))
    winners = {}
    for item_id, outcomes in by_item.items():
        wins = [o for o in outcomes if o[1]]
        if len(wins) == 1:
            result.single_wins += 1
            winners[item_id] = wins[0][0]
        elif wins:
            result.double_decisions += 1
        else:
            result.no_decision += 1
        for _, won, code, message in outcomes:
            if not won:
                result.loser_codes[code] += 1
                result.loser_messages[message.replace(str(item_id), "N")] += 1
    db = _open(url, str(home))
    with db.session() as session:
        result.audit_rows = session.scalar(select(func.count()).select_from(Audit)
                                           .where(Audit.reading_id.in_(ids))) or 0
        decided = {row.id: row.decided_by for row in session.execute(
            select(Reading.id, Reading.decided_by).where(Reading.id.in_(ids)))}
    db.close()
    result.winners_match_base = decided == winners
    return result


def _review(url: str | None, home: str, name: str, lease_ms: int | None, barrier: Any,
            out: Any) -> None:
    """Review like the application: alternately the next free item, and a listed one.
    ``lease_ms``: a lease that expires at once (a reviewer who comes back to an item
    after their lease ran out, and another took it)."""
    lease = LEASE if lease_ms is None else dt.timedelta(milliseconds=lease_ms)
    queue = Queue(_open(url, home), name, lease=lease)
    barrier.wait(timeout=TIMEOUT)
    decided: list[int] = []
    conflicts = 0
    turn = 0
    while True:
        turn += 1
        if turn % 2:
            item = queue.claim_next()
        else:
            listed = queue.items(limit=5)
            item = None
            for candidate in listed:  # the group view: claim the rows listed, decide
                try:
                    item = queue.claim(candidate.id)
                    break
                except ConflictError:
                    conflicts += 1
            if item is None and listed:
                continue
        if item is None:
            break
        try:
            decided.append(queue.accept(item.id).item.id)
        except ConflictError:
            conflicts += 1
    Database.close_all()
    out.put((name, decided, conflicts))


@dataclass
class FlowResult:
    """What several reviewers working the same queue did."""

    items: int
    decisions: int  # decisions that succeeded, all reviewers together
    decided_twice: int  # items two reviewers both decided
    never_decided: int
    audit_rows: int
    audit_per_item_max: int
    sheets: int
    records: int  # record versions
    reviewers_who_worked: int
    conflicts: int


def review_flow(url: str | None, home: Path, ids: list[int], reviewers: int = 4,
                expired: int = 0) -> FlowResult:
    """``reviewers`` processes review the queue; ``expired`` of them with leases that
    run out at once."""
    got = _spawn(_flow, [(url, str(home), f"v{n}", 0 if n < expired else None)
                         for n in range(reviewers)])
    counts = Counter(i for _, decided, _ in got for i in decided)
    db = _open(url, str(home))
    with db.session() as session:
        audit = Counter(session.scalars(select(Audit.reading_id)).all())
        sheets = session.scalar(select(func.count(func.distinct(Reading.sheet_id)))
                                .where(Reading.id.in_(ids))) or 0
        records = session.scalar(select(func.count()).select_from(Record)) or 0
    db.close()
    return FlowResult(
        items=len(ids), decisions=sum(counts.values()),
        decided_twice=sum(1 for n in counts.values() if n > 1),
        never_decided=sum(1 for i in ids if i not in counts),
        audit_rows=sum(audit.values()), audit_per_item_max=max(audit.values(), default=0),
        sheets=sheets, records=records,
        reviewers_who_worked=sum(1 for _, decided, _ in got if decided),
        conflicts=sum(c for _, _, c in got))
