"""The activity report as one self-contained, printable HTML page (inline CSS and SVG).

The page is drawn from the figures of :func:`bordereau.export.report.compute_report`, so
the HTML and ``--json`` always agree. Jinja2 template: ``templates/report/report.html.j2``.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from bordereau.export.report import CONFIRMED, DAYS_PER_MONTH
from bordereau.export.report_svg import (
    BLUE,
    GREY,
    RED,
    Bar,
    column_chart,
    french_number,
    hbar_chart,
    percent,
    stacked_bar,
)

LOW_COMPLETENESS = 0.8  # items filled in fewer records than this are drawn in red


@cache
def _environment() -> Environment:
    env = Environment(loader=PackageLoader("bordereau", "templates/report"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = percent
    env.filters["months"] = duration
    env.filters["day"] = _french_day
    env.globals["pl"] = plural
    return env


def plural(count: int, singular: str, several: str) -> str:
    """``1 fiche initiale``, ``2 fiches initiales`` (0 and 1 take the singular in French)."""
    return f"{count} {singular if count < 2 else several}"


def duration(months: float | None) -> str:
    """A number of months in words: ``5 jours``, ``7 mois``, ``2 ans et 3 mois``."""
    if months is None:
        return "–"
    if months < 1:
        days = round(months * DAYS_PER_MONTH)
        return f"{days} jour{'s' if days > 1 else ''}"
    whole = round(months)
    years, rest = divmod(whole, 12)
    if not years:
        return f"{rest} mois"
    text = f"{years} an{'s' if years > 1 else ''}"
    return text + (f" et {rest} mois" if rest else "")


def _french_day(iso: str | None) -> str:
    return dt.date.fromisoformat(iso).strftime("%d/%m/%Y") if iso else ""


def period_text(period: dict[str, str | None]) -> str:
    start, end = _french_day(period["from"]), _french_day(period["to"])
    if start and end:
        return f"du {start} au {end}"
    if start:
        return f"depuis le {start}"
    if end:
        return f"jusqu’au {end}"
    return "toutes les activités enregistrées"


def _orpha_label(entry: dict[str, Any]) -> str:
    if entry["code"] is None:
        return "Sans code ORPHA"
    return f"ORPHA:{entry['code']} " + (entry["label"] or "(hors thésaurus du centre)")


def charts(figures: dict[str, Any]) -> dict[str, Markup]:
    """Every chart of the report, as inline SVG."""
    months = [(*(e["label"].split(" ") if e["month"] else ("?", "")), e["label"], e["count"])
              for e in figures["activities_by_month"]]
    contexts = [Bar(e["label"], e["count"], str(e["count"]))
                for e in figures["activities_by_context"]]
    diagnoses = figures["diagnoses"]
    orpha = [Bar(_orpha_label(e), e["count"], str(e["count"])) for e in diagnoses["by_orpha"]]
    status = [Bar(e["label"], e["count"], str(e["count"]),
                  BLUE if e["code"] == CONFIRMED else GREY) for e in diagnoses["by_status"]]
    delay = figures["time_to_diagnosis"]
    bins = [Bar(b["label"], b["count"], str(b["count"])) for b in delay["bins"]]
    opposition = figures["opposition"]
    result = {
        "months": column_chart(months, "Activités par mois"),
        "contexts": hbar_chart(contexts, "Activités par contexte"),
        "orpha": hbar_chart(orpha, "Diagnostics par maladie (code ORPHA)"),
        "status": hbar_chart(status, "Diagnostics par statut"),
        "delay": hbar_chart(bins, "Délai entre premiers signes et diagnostic")
        if delay["included"] else hbar_chart([], ""),
        "opposition": stacked_bar([("Opposition", opposition["yes"], RED),
                                   ("Pas d’opposition", opposition["no"], BLUE),
                                   ("Non renseigné", opposition["unknown"], GREY)],
                                  "Opposition à la réutilisation des données (EDS BNDMR)"),
    }
    for kind in ("initiale", "suivi"):
        rows = [r for r in figures["completeness"] if r["form"] == kind and r["records"]]
        bars = [Bar(r["label"], 100 * (r["share"] or 0), percent(r["share"]),
                    RED if (r["share"] or 0) < LOW_COMPLETENESS else BLUE,
                    f"{r['filled']} sur {r['records']}") for r in rows]
        title = f"Complétude des items obligatoires — {kind}"
        result[f"completeness_{kind}"] = hbar_chart(bars, title, scale_max=100, unit="\u00a0%")
    return result


def render_html(figures: dict[str, Any]) -> str:
    """The whole report page."""
    generated = dt.datetime.fromisoformat(figures["generated_at"])
    forms = {r["form"]: r["form_label"] for r in figures["completeness"]}
    return _environment().get_template("report.html.j2").render(
        f=figures, charts=charts(figures), period=period_text(figures["period"]),
        generated=generated.strftime("%d/%m/%Y à %Hh%M"), forms=forms,
        number=french_number, low=LOW_COMPLETENESS,
    )
