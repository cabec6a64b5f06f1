"""Compare what the reader produced with the truth of a simulated batch.

Shared by ``benchmarks/bench_read.py`` (figures on the held-out split) and
``scripts/calibrate.py`` (thresholds on the training split). A field "counts" as right
when the reader's value equals the written value; fields written deliberately ambiguous
(``expect == "review"``) are right only when they went to review; fields the scan lost
(``expect == "lost"``, ``simulate/legibility.py``) are counted apart.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from bordereau.forms.model import FormKind
from bordereau.ocr.label import plain
from bordereau.ocr.pipeline import ReadResult
from bordereau.simulate.truth import BatchTruth


class FieldOutcome(BaseModel):
    """One field of one sheet: what was written, what was read."""

    serial: str
    field_id: str
    kind: str
    expect: str
    truth: Any
    value: Any
    confidence: float
    review: bool
    reason: str | None
    raw_confidence: float | None = None  # before sheet rules and thresholds
    raw_review: bool | None = None
    cells: list[dict[str, Any]] | None = None  # a letter or alphanumeric comb's cells (ocr.lexicon)
    trust: dict[str, float] | None = None  # a comb field's trust signals (ocr.trust_model)
    style: str | None = None  # who wrote the sheet: "font, pen"

    @property
    def right(self) -> bool:
        return _same(self.value, self.truth)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list) or isinstance(b, list):
        return sorted(a or []) == sorted(b or [])
    return bool(a == b)


# Identity fields a reader takes from the patient sticker when nothing is written there
# (ocr.rules.apply_label_evidence), and the sticker's key for each.
FROM_LABEL = {"patient.ipp": "ipp", "patient.nom_naissance": "nom",
              "patient.premier_prenom": "prenom", "patient.date_naissance": "date_naissance"}


def _expected(field_id: str, answer: Any, label: dict[str, Any] | None) -> Any:
    """The value a reader should give: what is written, or, when an identity field is left
    blank, what the patient sticker says (names as written on a form: capitals without
    accents)."""
    key = FROM_LABEL.get(field_id)
    if key is None or answer.value is not None or not label or not label.get(key):
        return answer.value
    return plain(label[key]) if key in {"nom", "prenom"} else label[key]


def compare(result: ReadResult, truth: BatchTruth, root: Path) -> dict[str, Any]:
    """Page states and field outcomes of one batch."""
    pages_truth = {(str((root / p.file).resolve()), p.index or 0): p for p in truth.pages}
    right = total = 0
    wrong: list[dict[str, Any]] = []
    for outcome in result.pages:
        key = (str(outcome.source.resolve()), outcome.index)
        expected = pages_truth.get(key)
        if expected is None:
            continue
        total += 1
        if expected.state == outcome.state:
            right += 1
        else:
            wrong.append({"file": expected.file, "index": outcome.index,
                                    "expected": expected.state, "got": outcome.state,
                                    "reason": outcome.reason})
    raw: dict[tuple[str, str], Any] = {}
    for page in result.results:
        if page.code is None:
            continue
        for page_reading in page.readings:
            raw[(page.code.sheet, page_reading.id)] = page_reading
    read = {s.serial: s for s in result.sheets}
    fields: list[FieldOutcome] = []
    for sheet in truth.sheets:
        got = read.get(sheet.serial)
        if got is None:
            continue
        label = next((a.label.model_dump() for a in sheet.fields.values() if a.label), None)
        for field_id, answer in sheet.fields.items():
            reading = got.fields.get(field_id)
            if reading is None or (reading.reason and "manquante" in reading.reason):
                continue
            before = raw.get((sheet.serial, field_id))
            fields.append(FieldOutcome(
                serial=sheet.serial, field_id=field_id, kind=answer.kind, expect=answer.expect,
                truth=_expected(field_id, answer, label), value=reading.value,
                confidence=reading.confidence, review=reading.review, reason=reading.reason,
                raw_confidence=before.confidence if before else None,
                raw_review=before.review if before else None,
                cells=_list_cells(before), trust=_trust_signals(reading),
                style=f"{sheet.writer.font}, {sheet.writer.pen}"))
    return {"pages": {"right": right, "wrong": wrong, "total": total}, "fields": fields}


def _trust_signals(reading: Any) -> dict[str, float] | None:
    found = reading.details.get("trust")
    return dict(found) if isinstance(found, dict) else None


def _list_cells(reading: Any) -> list[dict[str, Any]] | None:
    if reading is None or reading.kind not in {"letters", "alphanumeric", "digits", "date",
                                               "orpha_code"}:
        return None
    cells = reading.details.get("cells")
    return cells if isinstance(cells, list) else None


def summarise(fields: list[FieldOutcome]) -> dict[str, dict[str, Any]]:
    """Per field kind: trusted share, errors among trusted, ambiguous fields caught."""
    table: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    for f in fields:
        row = table[f.kind]
        if f.expect == "lost":  # nothing left on the scan to read: neither right nor wrong
            row["lost"] += 1
            continue
        if f.expect == "review":
            row["ambiguous"] += 1
            row["ambiguous_caught"] += int(f.review)
            continue
        row["clean"] += 1
        if f.review:
            row["review"] += 1
        elif f.right:
            row["trusted_right"] += 1
        else:
            row["trusted_wrong"] += 1
        row["read_right"] += int(f.right)
    out = {}
    for kind, row in sorted(table.items()):
        trusted = row["trusted_right"] + row["trusted_wrong"]
        out[kind] = {
            "clean": 0, "review": 0, "trusted_right": 0, "trusted_wrong": 0, "read_right": 0,
            "ambiguous": 0, "ambiguous_caught": 0, "lost": 0,
            **row,
            "coverage": round(trusted / row["clean"], 4) if row["clean"] else None,
            "precision": round(row["trusted_right"] / trusted, 4) if trusted else None,
            "raw_accuracy": round(row["read_right"] / row["clean"], 4) if row["clean"] else None,
        }
    return out


def simulate(out: Path, centres: list[Path], sheets: int, split: str, profiles: list[str],
             seed: int, kinds: tuple[FormKind, ...] = ("initiale", "suivi"),
             style: str | None = None) -> list[tuple[Path, BatchTruth]]:
    """Simulate one batch per (profile, centre) under ``out`` (its home in ``out/home``),
    sheets of ``kinds`` in turn, written in ``style`` only when given (a font family)."""
    from bordereau.simulate.batch import make_batch

    home = out / "home"
    batches = []
    for n, profile in enumerate(profiles):
        for m, centre in enumerate(centres):
            folder = out / f"{profile}-{centre.stem}"
            truth = make_batch(centre, home, folder, sheets=sheets, split=split,  # type: ignore[arg-type]
                               profile=profile, seed=seed + 100 * n + m, prefix=profile,
                               kinds=kinds, style=style)
            batches.append((folder, truth))
    return batches


def simulate_and_read(out: Path, centres: list[Path], sheets: int, split: str,
                      profiles: list[str], seed: int, workers: int | None = None,
                      thresholds: dict[str, float] | None = None,
                      kinds: tuple[FormKind, ...] = ("initiale", "suivi"),
                      ) -> tuple[Any, list[tuple[Path, BatchTruth]], float]:
    """Simulate one batch per (profile, centre) under ``out`` and read them all
    (sheets of ``kinds`` in turn: fiches, annexes).

    Returns the read result, the batches with their truth, and the reading time.
    """
    import time

    from bordereau.home import Home
    from bordereau.ocr.pipeline import ReadOptions, read_batch

    home = out / "home"
    batches = simulate(out, centres, sheets, split, profiles, seed, kinds)
    start = time.perf_counter()
    result = read_batch([f for f, _ in batches], Home.open(home, create=False),
                        ReadOptions(workers=workers, thresholds=thresholds))
    return result, batches, time.perf_counter() - start


def kept_batches(folder: Path) -> list[tuple[Path, BatchTruth]]:
    """The batches a former ``--keep`` left in ``folder``, with their truth."""
    return [(truth.parent, BatchTruth.model_validate_json(truth.read_text(encoding="utf-8")))
            for truth in sorted(folder.glob("*/truth.json"))]


def read_kept(out: Path, workers: int | None = None,
              thresholds: dict[str, float] | None = None, home: Path | None = None,
              ) -> tuple[Any, list[tuple[Path, BatchTruth]], float]:
    """Read again the batches a former ``--keep`` left in ``out`` (its home included), as
    ``simulate_and_read`` returns them: two readers compare on the same scans. ``home``:
    read with a copy of that home instead (same secret and layouts, other ``models/``)."""
    import time

    from bordereau.home import Home
    from bordereau.ocr.pipeline import ReadOptions, read_batch

    batches = kept_batches(out)
    start = time.perf_counter()
    result = read_batch([f for f, _ in batches], Home.open(home or out / "home", create=False),
                        ReadOptions(workers=workers, thresholds=thresholds))
    return result, batches, time.perf_counter() - start


def _log_binomials(k: int, n: int) -> list[float]:
    """log C(n, i) for i in 0..k, as ``_binomial_cdf`` adds them up."""
    return [math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
            for i in range(k + 1)]


def _binomial_cdf(k: int, n: int, p: float, logs: list[float] | None = None) -> float:
    """P(X <= k) for X ~ Binomial(n, p); ``logs``: ``_log_binomials(k, n)`` if known."""
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 1.0 if k >= n else 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for i, log_c in enumerate(_log_binomials(k, n) if logs is None else logs):
        total += math.exp(log_c + i * log_p + (n - i) * log_q)
    return min(total, 1.0)


def clopper_pearson_upper(errors: int, n: int, level: float = 0.95) -> float:
    """One-sided Clopper–Pearson upper bound of an error rate (``errors`` in ``n``)."""
    if n == 0:
        return 1.0
    if errors >= n:
        return 1.0
    logs = _log_binomials(errors, n)  # the same at every step: computed once
    low, high = errors / n, 1.0
    for _ in range(60):  # bisection: P(X <= errors | n, p) = 1 - level
        mid = (low + high) / 2
        if _binomial_cdf(errors, n, mid, logs) > 1 - level:
            low = mid
        else:
            high = mid
    return high
