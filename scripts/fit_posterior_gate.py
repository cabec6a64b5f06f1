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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # fit_trust, fit_comb_thresholds
from fit_comb_thresholds import rows_of
from fit_trust import MAX_OBSERVED, load, operating

from bordereau.ocr.trust import IDENTITY_FIELDS, IDENTITY_THRESHOLD
from bordereau.simulate.evaluate import FieldOutcome
from bordereau.training.trust_fit import risk_threshold, trust_decided

ROOT = Path(__file__).resolve().parent.parent
GATES: tuple[float | None, ...] = (None, 0.0, 0.02, 0.05, 0.10, 1.0)


def score(o: FieldOutcome, gate: float | None) -> float:
    """The gated score of a field read with no threshold."""
    assert o.trust is not None
    if (gate is not None and "posterior_posterior" in o.trust
            and o.trust["writer_doubt_share"] <= gate + 1e-12):
        return float(o.trust["posterior_posterior"])
    return float(o.trust["confidence"])


def fit(rows: list[FieldOutcome], gate: float | None) -> float:
    decided = [o for o in trust_decided(rows) if o.field_id not in IDENTITY_FIELDS]
    found = risk_threshold(np.array([score(o, gate) for o in decided]),
                           np.array([o.right for o in decided], dtype=bool),
                           0.02, 0.05, MAX_OBSERVED)
    return found.value


def at(rows: list[FieldOutcome], gate: float | None, threshold: float) -> dict[str, int]:
    def trusts(o: FieldOutcome) -> bool:
        if o.field_id in IDENTITY_FIELDS:
            return float(o.trust["confidence"]) >= max(threshold, IDENTITY_THRESHOLD)  # type: ignore[index]
        return score(o, gate) >= threshold
    return operating(rows, [trusts(o) for o in rows])


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
        threshold = max(fit(calib, gate), fit(unseen, gate))
        points = {"calib": at(calib, gate, threshold), "unseen": at(unseen, gate, threshold)}
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
