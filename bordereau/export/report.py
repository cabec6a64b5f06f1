"""Activity indicators of a rare-disease centre, from the committed records of its base.

:func:`compute_report` returns the figures as a JSON-ready dict (the ``bordereau report
--json`` contract, ``report_version`` 1); ``report_html.render_html`` draws the same figures
in one self-contained HTML page. Definitions, exclusions and units: ``docs/exports.md``.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterable
from typing import Any

from bordereau import clock
from bordereau.base.engine import Database
from bordereau.base.queries import followup
from bordereau.export.model import Activite, Age, Diagnostic, ExportPatient, PartialDate
from bordereau.export.report_data import BaseContent, PatientFile, Period, load_base
from bordereau.forms.model import FORM_KINDS, load_form, value_sets

REPORT_VERSION = 1
MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
          "nov.", "déc.")
NOT_FILLED = "Non renseigné"
CONFIRMED = "255545003"  # statut « Confirmé » (SNOMED CT diagnostic définitif)
AT_BIRTH = frozenset({"303112003", "255407002"})  # anténatal, à la naissance: 0 mois
AT_AGE = "767023003"  # « À l’âge de (préciser) »: the precision gives the age
POST_MORTEM, UNDETERMINED, NO_SIGNS = "303113008", "373068000", "MED-1288"
DAYS_PER_MONTH = 30.4375
MONTHS_PER_UNIT = {"d": 1 / DAYS_PER_MONTH, "wk": 7 / DAYS_PER_MONTH, "mo": 1.0, "a": 12.0}
DELAY_BINS: tuple[tuple[float, float | None, str], ...] = (
    (0, 1, "moins d’1 mois"),
    (1, 6, "1 à moins de 6 mois"),
    (6, 12, "6 mois à moins d’1 an"),
    (12, 24, "1 à moins de 2 ans"),
    (24, 60, "2 à moins de 5 ans"),
    (60, 120, "5 à moins de 10 ans"),
    (120, None, "10 ans et plus"),
)
EXCLUSIONS = {
    "not_confirmed": "diagnostic non confirmé (statut autre que « Confirmé »)",
    "signs_missing": "âge aux premiers signes non renseigné",
    "signs_without_value": "« à l’âge de » sans l’âge précisé (premiers signes)",
    "signs_undetermined": "âge aux premiers signes non déterminé",
    "no_signs": "aucun signe (diagnostic présymptomatique)",
    "post_mortem": "premiers signes ou diagnostic post-mortem",
    "diagnosis_unknown": "âge au diagnostic inconnu (ni âge précisé, ni dates de naissance "
                         "et de diagnostic au mois près)",
    "diagnosis_undetermined": "âge au diagnostic non déterminé",
    "negative": "âge au diagnostic inférieur à l’âge aux premiers signes",
}


def month_label(key: str) -> str:
    """``2024-03`` → ``mars 2024``."""
    year, month = key.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def _order(value_set: str) -> dict[str, int]:
    return {c.code: n for n, c in enumerate(value_sets()[value_set].concepts)}


def _counts(pairs: Iterable[tuple[str | None, str]], order: dict[str, int]) -> list[dict[str, Any]]:
    """[{code, label, count}] in value-set order, « Non renseigné » (code None) last."""
    counter = Counter(pairs)
    keys = sorted(counter, key=lambda k: (k[0] is None, order.get(k[0] or "", 999), k[1]))
    return [{"code": code, "label": label, "count": counter[(code, label)]}
            for code, label in keys]


def _months_axis(keys: set[str], period: Period) -> list[str]:
    first = [f"{period.start:%Y-%m}"] if period.start else []
    last = [f"{period.end:%Y-%m}"] if period.end else []
    bounds = sorted(keys) or first + last
    if not bounds:
        return []
    start, end = (first or bounds)[0], (last or bounds)[-1]
    year, month = map(int, start.split("-"))
    axis = []
    while f"{year:04d}-{month:02d}" <= end:
        axis.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return axis


def _activities(files: list[PatientFile], period: Period) -> dict[str, Any]:
    kept: list[tuple[int, Activite]] = []
    undated = imprecise = 0
    for index, file in enumerate(files):
        for act in file.activities:
            if act.date is None:
                undated += 1
                continue
            place = period.place(act.date)
            if place == "in":
                kept.append((index, act))
            imprecise += place == "imprecise"
    months = Counter(f"{a.date.year:04d}-{a.date.month:02d}" for _, a in kept
                     if a.date and a.date.month)
    by_month = [{"month": key, "label": month_label(key), "count": months.get(key, 0)}
                for key in _months_axis(set(months), period)]
    unknown_month = sum(1 for _, a in kept if a.date and a.date.month is None)
    if unknown_month:
        by_month.append({"month": None, "label": "mois non précisé", "count": unknown_month})
    contexts = _counts(((a.contexte.code, a.contexte.text) if a.contexte else (None, NOT_FILLED)
                        for _, a in kept), _order("contexte_activite"))
    return {
        "active": sorted({index for index, _ in kept}),
        "file_active": {"patients": len({index for index, _ in kept}),
                        "activities": len(kept), "activities_without_date": undated,
                        "activities_imprecise_date": imprecise},
        "activities_by_month": by_month,
        "activities_by_context": contexts,
    }


def _diagnoses(patients: list[ExportPatient]) -> dict[str, Any]:
    diagnoses = [d for p in patients for d in p.diagnostics if d.closed is None]  # current
    orpha = Counter((d.disease.code, d.disease.label or None) if d.disease else (None, None)
                    for d in diagnoses)
    by_orpha = [{"code": code, "label": label, "count": n} for (code, label), n in sorted(
        orpha.items(), key=lambda kv: (-kv[1], kv[0][0] is None, int(kv[0][0] or 0)))]
    status = _counts(((d.status.code, d.status.text) if d.status else (None, NOT_FILLED)
                      for d in diagnoses), _order("statut_diagnostic"))
    return {"total": len(diagnoses), "by_orpha": by_orpha, "by_status": status}


def _age_months(age: Age) -> float | str | None:
    """Months, an exclusion reason, or None when the precision is missing."""
    code = age.period.code if age.period else None
    if code in AT_BIRTH:
        return 0.0
    if code in (AT_AGE, None) and age.precision is not None:
        return age.precision.value * MONTHS_PER_UNIT.get(age.precision.unit.code, 0.0)
    if code == POST_MORTEM:
        return "post_mortem"
    if code == NO_SIGNS:
        return "no_signs"
    if code == UNDETERMINED:
        return "undetermined"
    return None


def _months_between(birth: PartialDate | None, day: PartialDate | None) -> float | None:
    if not (birth and day and birth.month and day.month):
        return None
    months = float((day.year - birth.year) * 12 + day.month - birth.month)
    if birth.day and day.day:
        months += (day.day - birth.day) / DAYS_PER_MONTH
    return months


def diagnosis_delay(diag: Diagnostic, birth: PartialDate | None) -> float | str:
    """Months from the first signs to the clinical diagnosis, or why it cannot be known."""
    if diag.status is None or diag.status.code != CONFIRMED:
        return "not_confirmed"
    signs = _age_months(diag.age_first_signs)
    if signs is None:
        return "signs_missing" if diag.age_first_signs.period is None else "signs_without_value"
    if isinstance(signs, str):
        return "signs_undetermined" if signs == "undetermined" else signs
    at = _age_months(diag.age_clinical)
    if at is None:
        at = _months_between(birth, diag.date)
        if at is None:
            return "diagnosis_unknown"
    if isinstance(at, str):
        return {"undetermined": "diagnosis_undetermined", "no_signs": "diagnosis_undetermined"
                }.get(at, at)
    if at < signs:
        return "negative"
    return at - signs


def _delays(patients: list[ExportPatient]) -> dict[str, Any]:
    values: list[float] = []
    excluded: Counter[str] = Counter()
    considered = 0
    for patient in patients:
        for diag in patient.diagnostics:
            if diag.closed is not None:  # replaced by a fiche de suivi: history only
                continue
            considered += 1
            delay = diagnosis_delay(diag, patient.identity.birth_date)
            if isinstance(delay, str):
                excluded[delay] += 1
            else:
                values.append(delay)
    bins = [{"label": label, "from_months": low, "to_months": high,
             "count": sum(1 for v in values if v >= low and (high is None or v < high))}
            for low, high, label in DELAY_BINS]
    quartiles = (statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1
                 else values * 3)

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return {
        "diagnoses": considered, "included": len(values),
        "median_months": rounded(statistics.median(values)) if values else None,
        "q1_months": rounded(quartiles[0]) if values else None,
        "q3_months": rounded(quartiles[2]) if values else None,
        "min_months": rounded(min(values)) if values else None,
        "max_months": rounded(max(values)) if values else None,
        "bins": bins,
        "excluded": [{"reason": key, "label": label, "count": excluded[key]}
                     for key, label in EXCLUSIONS.items() if excluded[key]],
    }


def _opposition(patients: list[ExportPatient]) -> dict[str, Any]:
    answers = Counter(p.consent.opposes_eds for p in patients)
    total = len(patients)
    return {"patients": total, "yes": answers[True], "no": answers[False],
            "unknown": answers[None],
            "share": round(answers[True] / total, 4) if total else None}


def _completeness(content: BaseContent, period: Period) -> list[dict[str, Any]]:
    records = [r for f in content.patients for r in f.records if r.in_period(period)]
    rows = []
    for kind in FORM_KINDS:
        form = load_form(kind)
        mine = [r for r in records if r.kind == kind]
        for section in form.sections:
            if section.optional:
                continue
            for item in section.items:
                if not item.required:
                    continue
                filled = sum(1 for r in mine if r.values.get(item.id) not in (None, "", []))
                rows.append({"form": kind, "form_label": form.title, "item": item.id,
                             "label": item.label, "filled": filled, "records": len(mine),
                             "share": round(filled / len(mine), 4) if mine else None})
    return rows


def _records(content: BaseContent, period: Period) -> dict[str, int]:
    counts = Counter(r.kind for f in content.patients for r in f.records
                     if r.in_period(period))
    return {"initiale": counts["initiale"], "suivi": counts["suivi"],
            "total": sum(counts.values())}


def compute_report(db: Database, period: Period | None = None, centre: str | None = None,
                   now: dt.datetime | None = None) -> dict[str, Any]:
    """Every indicator of the period (both bounds inclusive; None: all the base)."""
    period = period or Period()
    content = load_base(db, centre)
    activity = _activities(content.patients, period)
    active = [content.patients[i].patient for i in activity.pop("active")]
    moment = now or clock.now().astimezone()
    return {
        "report_version": REPORT_VERSION,
        "generated_at": moment.isoformat(timespec="seconds"),
        "period": {"from": period.start.isoformat() if period.start else None,
                   "to": period.end.isoformat() if period.end else None},
        "centres": [{"code": code, "name": name} for code, name in content.centres.items()],
        "records": _records(content, period),
        **activity,
        "diagnoses": _diagnoses(active),
        "time_to_diagnosis": _delays(active),
        "opposition": _opposition(active),
        "completeness": _completeness(content, period),
        "unreadable_records": content.unreadable,
        "followup": followup(db),
    }
