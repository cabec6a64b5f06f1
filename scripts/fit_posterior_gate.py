"""The posterior gated by the writer: fitted on the calibration and unseen splits, checked
on the bundled sample scans (experiment; docs/reading.md « Posterior gated by the writer »).

    .venv/bin/python scripts/fit_posterior_gate.py --calib /tmp/calib.json \\
        --unseen /tmp/unseen.json [--samples]

``--calib`` and ``--unseen`` are ``scripts/fit_trust.py --outcomes`` of the calibration and
unseen splits (read with no threshold, as for ``fit_comb_thresholds.py``). For the digit
combs (digits, dates, written ORPHA codes; identity fields keep 0.99 on their weakest
cell), the score is the field's posterior among its valid values (``ocr.posterior``) when
it has one **and** the share of doubtful cells in the other comb fields of its sheet
(``writer_doubt_share``) is at most the gate; otherwise its weakest cell. For each gate of a
grid fixed in advance (no gate = the weakest cell; 1.0 = the posterior everywhere) the
bounded threshold is fitted on each split by the rule of ``comb_bound`` and the stricter
kept; printed: review and silent errors of the digit combs on both splits at that
threshold. ``--samples``: the bundled sample scans (held-out hands) read with each gate and
its threshold (replayed Tesseract output, as ``tests/test_reading.py``), the trusted fields
and the wrong ones among them. Writes nothing; the held-out split is never read.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # fit_trust, fit_comb_thresholds
from fit_comb_thresholds import Score, at, fit, rows_of, weakest
from fit_trust import load

from bordereau.simulate.evaluate import FieldOutcome

ROOT = Path(__file__).resolve().parent.parent
GATES: tuple[float | None, ...] = (None, 0.0, 0.02, 0.05, 0.10, 1.0)


def gated(gate: float | None) -> Score:
    """The gated score of a field read with no threshold: its posterior where it has one
    and its sheet's writer passes ``gate``, else its weakest cell (``gate`` None)."""
    def score(o: FieldOutcome) -> float:
        assert o.trust is not None
        if (gate is not None and "posterior_posterior" in o.trust
                and o.trust["writer_doubt_share"] <= gate + 1e-12):
            return float(o.trust["posterior_posterior"])
        return weakest(o)
    return score


def samples(gate: float | None, threshold: float) -> tuple[int, list[tuple[str, ...]]]:
    """Trusted fields of the bundled sample scans read with ``gate`` and ``threshold``,
    and the wrong ones (forked reading processes inherit the patched calibration)."""
    sys.path.insert(0, str(ROOT))
    from bordereau.home import Home
    from bordereau.ocr import posterior, trust
    from bordereau.ocr.pipeline import ReadOptions, read_batch
    from bordereau.simulate.evaluate import compare
    from bordereau.simulate.truth import TruthSet
    from tests.conftest import SAMPLES, replay

    shipped = trust.calibration()
    bound = shipped.setdefault("comb_bound", {})
    bound.pop("writer_gate", None)
    bound.pop("score", None)
    if gate is not None:
        bound["score"] = "posterior"
        if gate < 1.0:
            bound["writer_gate"] = gate
    for kind in ("digits", "date", "orpha_code"):
        shipped["thresholds"][kind] = threshold
    for cached in (trust.thresholds, posterior.enabled, posterior.writer_gate):
        cached.cache_clear()
    scans = SAMPLES / "scans"
    home = Path(tempfile.mkdtemp()) / "home"
    shutil.copytree(SAMPLES / "home", home)
    try:
        result = read_batch([scans], Home.open(home, create=False),
                            ReadOptions(workers=2, engine=replay("samples")))
    finally:
        shutil.rmtree(home.parent)
    truths = TruthSet.model_validate_json((scans / "truth.json").read_text())
    outcomes = [o for b in truths.batches for o in compare(result, b, scans)["fields"]]
    trusted = [o for o in outcomes if o.expect == "read" and not o.review]
    return len(trusted), [(o.serial, o.field_id, str(o.truth), str(o.value))
                          for o in trusted if not o.right]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calib", type=Path, nargs="+", required=True)
    parser.add_argument("--unseen", type=Path, nargs="+", required=True)
    parser.add_argument("--samples", action="store_true")
    args = parser.parse_args()
    calib = rows_of(load(args.calib)[0], "digit_combs")
    unseen = rows_of(load(args.unseen)[0], "digit_combs")
    for gate in GATES:
        score = gated(gate)
        threshold = max(fit(rows, 0.02, 0.05, score)["threshold"] for rows in (calib, unseen))
        points = {"calib": at(calib, threshold, score), "unseen": at(unseen, threshold, score)}
        review = sum(p["review"] for p in points.values())
        silent = sum(p["silent"] for p in points.values())
        name = "weakest cell" if gate is None else f"gate {gate:.2f}"
        print(f"{name:<13} threshold {threshold:.4f}  review {review}  silent {silent}  "
              f"{points}")
        if args.samples:
            trusted, wrong = samples(gate, threshold)
            print(f"{'':<13} samples: {trusted} trusted, {len(wrong)} wrong {wrong}")


if __name__ == "__main__":
    main()
