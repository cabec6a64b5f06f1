"""The field-level trust model: its fitting, its risk-controlled threshold, its signals and
the trust stage deciding with it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

from bordereau.home import Home
from bordereau.ocr import trust_model
from bordereau.ocr.pipeline import ReadOptions, read_pages
from bordereau.ocr.trust import IDENTITY_FIELDS, apply_thresholds
from bordereau.ocr.types import FieldReading
from bordereau.simulate.evaluate import FieldOutcome, clopper_pearson_upper
from bordereau.training.trust_fit import (
    NEVER,
    fit_logistic,
    grouped_folds,
    least_support,
    raised,
    risk_threshold,
    trust_decided,
)
from tests.conftest import SAMPLES, replay


def _fields(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Scores in [0, 1] and whether each field is right: right with probability
    0.9 + 0.1 * score**0.5, so the higher the score, the rarer the errors."""
    rng = np.random.default_rng(seed)
    scores = rng.random(n)
    right = rng.random(n) < 0.9 + 0.1 * np.sqrt(scores)
    return scores, right


def test_the_threshold_meets_its_bound_on_the_data_and_on_fresh_fields() -> None:
    scores, right = _fields(5_000, 1)
    found = risk_threshold(scores, right, alpha=0.02, delta=0.05)
    kept = scores >= found.value
    assert found.trusted == int(kept.sum()) and found.wrong == int((~right[kept]).sum())
    assert found.bound == clopper_pearson_upper(found.wrong, found.trusted, 0.95)
    assert found.bound <= 0.02 and 0.0 < found.value < 1.0
    # error rate of trusted fields x: 1 - (0.9 + 0.1 E[sqrt s | s >= t]); on fresh
    # fields from the same source it stays under alpha (the point of the bound)
    fresh_scores, fresh_right = _fields(200_000, 2)
    trusted = fresh_scores >= found.value
    assert 1 - fresh_right[trusted].mean() <= 0.02


def test_repeated_draws_rarely_break_the_bound() -> None:
    """Over many calibration sets, the true error rate of the fields trusted from the
    threshold exceeds alpha in at most about delta of them (here: at most 2 of 20)."""
    broken = 0
    for seed in range(20):
        scores, right = _fields(2_000, 100 + seed)
        found = risk_threshold(scores, right, alpha=0.03, delta=0.05)
        if found.value < NEVER:
            t = found.value
            # exact error rate above t: 1 - 0.9 - 0.1 * (2/3)(1 - t^1.5)/(1 - t)
            mean_sqrt = (2 / 3) * (1 - t ** 1.5) / (1 - t)
            broken += (1 - 0.9 - 0.1 * mean_sqrt) > 0.03
    assert broken <= 2


def test_a_laxer_bound_never_raises_the_threshold() -> None:
    scores, right = _fields(5_000, 3)
    values = [risk_threshold(scores, right, alpha).value for alpha in (0.01, 0.02, 0.05)]
    assert values[0] >= values[1] >= values[2]


def test_too_few_fields_are_never_trusted() -> None:
    scores = np.linspace(0.5, 0.99, least_support(0.02, 0.05, 1) - 1)
    found = risk_threshold(scores, np.ones_like(scores, dtype=bool), 0.02)
    assert found.value == NEVER and found.trusted == 0 and found.tested == 0


def test_one_early_failure_stops_the_search() -> None:
    """Fixed-sequence testing: an error among the surest fields stops it there, even if
    laxer thresholds would pass again."""
    n = 1000
    scores = np.linspace(0.999, 0.0, n)
    right = np.ones(n, dtype=bool)
    right[:3] = False  # the three surest fields are wrong: past what the start absorbs
    found = risk_threshold(scores, right, alpha=0.02, max_observed=0.005)
    assert found.value == NEVER


def test_the_logistic_fit_learns_the_direction_and_matches_the_run_time_formula() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4_000, 2))
    truth = 1 / (1 + np.exp(-(2.0 * x[:, 0] - 0.5 * x[:, 1] + 1.0)))
    y = (rng.random(4_000) < truth).astype(float)
    model = fit_logistic(x, y, ["a", "b"], l2=1.0)
    assert model.coef[0] > 0 > model.coef[1]
    shipped = {**model.as_dict(), "threshold": 0.5}
    for row in x[:20]:
        found = {"a": float(row[0]), "b": float(row[1])}
        assert abs(trust_model.probability(found, shipped) - model.predict(row[None])[0]) < 1e-5
    # monotonic: a surer weakest cell never lowers the probability
    low, high = {"a": -1.0, "b": 0.0}, {"a": 1.0, "b": 0.0}
    assert trust_model.probability(high, shipped) > trust_model.probability(low, shipped)


def test_folds_keep_a_sheet_whole() -> None:
    groups = [f"sheet{n % 37}" for n in range(500)]
    folds = grouped_folds(groups, 5)
    assert sorted(np.concatenate(folds).tolist()) == list(range(500))
    for fold in folds:
        inside = {groups[i] for i in fold}
        assert all(groups[i] not in inside for f in folds if f is not fold for i in f)


def _outcome(field_id: str, confidence: float, seen: float | None, review: bool,
             ) -> FieldOutcome:
    """A digit field read as "12" with ``confidence`` in the end, ``seen`` by the trust
    stage (None: no trust signals)."""
    return FieldOutcome(serial="1", field_id=field_id, kind="digits", expect="read",
                        truth="12", value="12", confidence=confidence, review=review,
                        reason=None,
                        trust=None if seen is None else {"confidence": seen, "min_logit": 2.0})


def test_the_fits_keep_the_fields_the_trust_stage_decides() -> None:
    """Left out: a field another stage sent to review, and one the sheet's evidence
    decided after the trust stage (its confidence raised above what the trust stage saw);
    kept, in their order: the others, identity fields included."""
    plain = _outcome("a", 0.97, 0.97, review=False)
    reviewed = _outcome("b", 0.999, 0.999, review=True)
    by_label = _outcome("patient.ipp", 1.0, 0.6, review=False)
    identity = _outcome("patient.date_naissance", 0.95, 0.95, review=False)
    lowered = _outcome("c", 0.5, 0.9, review=False)  # only a raise is the evidence's
    nearly = _outcome("d", 0.9 + 1e-7, 0.9, review=False)  # rounding, not a raise
    assert [raised(o) for o in (plain, reviewed, by_label, lowered, nearly)] == [
        False, False, True, False, False]
    rows = [lowered, by_label, plain, reviewed, identity, nearly]
    assert trust_decided(rows) == [lowered, plain, identity, nearly]
    assert trust_decided(iter(rows)) == [lowered, plain, identity, nearly]


def _comb(field_id: str, kind: str, confidences: list[float]) -> FieldReading:
    cells = [{"char": "1", "confidence": p, "source": "chiffres",
              "top": [["1", p], ["7", (1 - p) / 2]]} for p in confidences]
    return FieldReading(id=field_id, kind=kind, value="1" * len(cells),
                        confidence=min(confidences), review=False, details={"cells": cells})


def test_the_writer_signal_comes_from_the_other_fields_of_the_sheet() -> None:
    sheet = {"a": _comb("a", "digits", [0.99, 0.6]), "b": _comb("b", "digits", [0.99, 0.99]),
             "c": _comb("c", "date", [0.5, 0.5, 0.99, 0.99]),
             "d": FieldReading(id="d", kind="boolean", value=True, confidence=1.0,
                               review=False)}
    found = trust_model.sheet_signals(sheet)
    assert set(found) == {"a", "b", "c"}
    assert found["b"]["writer_doubt_share"] == 3 / 6  # a's 0.6, c's two 0.5
    assert found["a"]["writer_doubt_share"] == 2 / 6
    assert found["a"]["writer_fields"] == 2
    assert abs(found["a"]["weak_margin"] - (0.6 - 0.2)) < 1e-9
    assert found["c"]["kind_date"] == 1.0 and found["a"]["inked"] == 2


def test_the_trust_stage_decides_comb_fields_with_a_model() -> None:
    """A model that trusts a sure field and not a doubtful one; an identity field must
    also reach 0.99 per cell."""
    model = {"features": ["min_logit"], "mean": [0.0], "scale": [1.0], "coef": [1.0],
             "intercept": -3.0, "threshold": 0.9}  # p >= 0.9 from min_logit 5.2 (0.9945)
    sheet = {"a": _comb("a", "digits", [0.999, 0.998]), "b": _comb("b", "digits", [0.99, 0.97]),
             "patient.ipp": _comb("patient.ipp", "digits", [0.999, 0.985])}
    apply_thresholds(sheet, models={"digit_combs": model})
    assert not sheet["a"].review
    assert sheet["b"].review
    assert sheet["b"].reason == ("lecture incertaine (confiance 0,97, exactitude estimée "
                                 "0,617 < 0,900)")
    assert sheet["patient.ipp"].review  # 0.985 < 0.99 per identity cell, whatever the model
    assert sheet["patient.ipp"].reason == "lecture incertaine (confiance 0,98 < 0,99)"
    assert sheet["a"].details["trust"]["p"] > 0.9  # type: ignore[index]


MODEL_FILE = Path(trust_model.__file__).parent / "models" / "trust-model.json"


def test_the_reader_keeps_the_signals_and_decides_with_the_fitted_model(
        tmp_path: Path) -> None:
    """The bundled sample scans, read by the real reader: every inked comb field carries
    its signals, and the fitted models (shipped or not) decide from them — a field under
    its group's threshold goes to review saying so, one above it is trusted unless it is
    an identity field under 0.99 per cell."""
    home = tmp_path / "home"
    shutil.copytree(SAMPLES / "home", home)
    results = read_pages([SAMPLES / "scans"], Home.open(home, create=False),
                         ReadOptions(workers=1, engine=replay("samples")))
    models = json.loads(MODEL_FILE.read_text(encoding="utf-8"))["groups"]
    sheets: dict[str, dict[str, FieldReading]] = {}
    for result in results:
        if result.code is not None and result.outcome.state == "read":
            sheets.setdefault(result.code.sheet, {}).update(
                {r.id: r for r in result.readings})
    decided = {"trusted": 0, "review": 0}
    for fields in sheets.values():
        before = {fid: r.review for fid, r in fields.items()}
        apply_thresholds(fields, models=models)
        for fid, reading in fields.items():
            trust = reading.details.get("trust")
            if reading.kind not in trust_model.GROUP_OF or not isinstance(trust, dict):
                continue
            assert trust["writer_fields"] == sum(
                1 for other in fields.values() if other.id != fid
                and other.kind in trust_model.GROUP_OF and "trust" in other.details)
            if before[fid] or "p" not in trust:
                continue
            threshold = models[trust_model.GROUP_OF[reading.kind]]["threshold"]
            if trust["p"] < threshold:
                assert reading.review and "exactitude estimée" in (reading.reason or "")
                decided["review"] += 1
            else:
                assert not reading.review
                assert fid not in IDENTITY_FIELDS or reading.confidence >= 0.99
                decided["trusted"] += 1
    assert decided["trusted"] > 0 and decided["review"] > 0
