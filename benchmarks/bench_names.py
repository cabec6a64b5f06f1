"""Handwritten names and gene symbols against their lists: how many the lists confirm, and
at what risk (the INSEE lists of first names and birth names, the HGNC approved symbols).

Reads the field outcomes that ``bench_read.py --outcomes`` writes (they keep each names
comb's cells with their most probable characters) and replays ``ocr.lexicon`` on them:

- **as shipped**: each name compared with the full lists;
- **name left out**: the same, with the written name taken out of its list — what happens
  to a patient whose name the lists do not hold (the simulator draws names the lists hold;
  real patients' names are not all there). A name confirmed then is a misreading that
  happens to be another name of the list: a silent error.

For each, per list: the names read right, confirmed (trusted on the list at the letters
threshold), confirmed but wrong, and — for names read wrong — how often the right name is
among the list's suggestions. ``--fit`` picks the lowest ``TEMPERATURE`` and ``MIN_CELL`` at
which names
confirmed in both modes are right at least 99.5 % of the time with a one-sided 95 %
Clopper–Pearson upper bound of their error rate at most 2 % (the rule of
``scripts/calibrate.py``): run it on outcomes of the calibration split only, never on the
held-out one.

    .venv/bin/python benchmarks/bench_names.py /tmp/calib-out.json --fit
    .venv/bin/python benchmarks/bench_names.py /tmp/eval-out.json --json docs/bench-names.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bordereau.ocr import lexicon
from bordereau.ocr.trust import thresholds
from bordereau.simulate.evaluate import clopper_pearson_upper

TARGET, BOUND = 0.995, 0.02


def _rows(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    rows = (data.get("outcomes") or data.get("fields") or []) if isinstance(data, dict) else data
    return [r for r in rows if r.get("kind") in {"letters", "alphanumeric"} and r.get("cells")
            and lexicon.list_for(r["field_id"]) and r.get("truth")]


def replay(rows: list[dict[str, Any]], leave_out: bool, threshold: float) -> dict[str, Any]:
    """Counts of one mode (``threshold``: the letters one; gene symbols take the
    alphanumeric one)."""
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        limit = thresholds()["alphanumeric"] if row["kind"] == "alphanumeric" else threshold
        truth = str(row["truth"])
        kind = lexicon.list_for(row["field_id"]) or ""
        words = frozenset(truth.split(" ")) if kind == "prenoms" else frozenset([truth])
        # the value the comb read, before any sheet rule: the cells' best characters
        read = _read(row["cells"])
        found = lexicon.match(row["field_id"], read, row["cells"],
                              leave_out=words if leave_out else frozenset())
        share = lexicon.confirmed(found, read)
        c = out.setdefault(kind, {"names": 0, "read_right": 0, "confirmed": 0,
                                  "confirmed_wrong": 0, "wrong": 0, "suggested": 0})
        c["names"] += 1
        right = read == truth
        c["read_right"] += right
        if share is not None and share >= limit:
            c["confirmed"] += 1
            c["confirmed_wrong"] += not right
        if not right:
            c["wrong"] += 1
            offered = [found.best, *found.others] if found else []
            c["suggested"] += truth in offered[:2]
    return out


def _read(cells: list[dict[str, Any]]) -> str | None:
    chars = [str(c.get("char") or "") for c in cells]
    filled = [n for n, ch in enumerate(chars) if ch]
    if not filled:
        return None
    text = "".join(ch or " " for ch in chars[filled[0]:filled[-1] + 1])
    return " ".join(text.split())


def upper_bound(errors: int, n: int) -> float:
    return clopper_pearson_upper(errors, n)


def fit(rows: list[dict[str, Any]], threshold: float) -> tuple[float, float] | None:
    """The lowest TEMPERATURE, then the lowest MIN_CELL, at which the names confirmed in
    both modes together are right often enough with a small enough bound."""
    for temperature in (1.0, 1.25, 1.5, 2.0):
        for floor in (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            lexicon.TEMPERATURE, lexicon.MIN_CELL = temperature, floor
            n = errors = 0
            for mode in (False, True):
                for c in replay(rows, mode, threshold).values():
                    n, errors = n + c["confirmed"], errors + c["confirmed_wrong"]
            bound = upper_bound(errors, n)
            ok = n > 0 and (n - errors) / n >= TARGET and bound <= BOUND
            print(f"temperature {temperature}, least cell {floor}: {n} confirmed, {errors} "
                  f"wrong, bound {bound:.4f}{'  <- holds' if ok else ''}")
            if ok:
                return temperature, floor
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outcomes", type=Path)
    parser.add_argument("--fit", action="store_true", help="fit TEMPERATURE (calibration split)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    rows = _rows(args.outcomes)
    threshold = thresholds()["letters"]
    if args.fit:
        fit(rows, threshold)
        return
    modes = {"as_shipped": replay(rows, False, threshold),
             "name_left_out": replay(rows, True, threshold)}
    figures: dict[str, Any] = {"temperature": lexicon.TEMPERATURE,
                               "min_cell": lexicon.MIN_CELL, "threshold": threshold, **modes}
    for mode, counts in modes.items():
        for kind, c in counts.items():
            print(f"{mode:14} {kind:8} {c['names']:4} names, read right {c['read_right']}, "
                  f"confirmed {c['confirmed']} (wrong {c['confirmed_wrong']}), "
                  f"read wrong {c['wrong']}: right name suggested {c['suggested']}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
