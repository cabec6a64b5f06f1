"""``bordereau report``: indicator values on a base with known records, period filtering,
one self-contained HTML page, the JSON contract, exact French errors."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bordereau.export.model import Age, AgePrecision, Coded, Diagnostic, PartialDate
from bordereau.export.report import diagnosis_delay
from bordereau.export.report_html import duration
from bordereau.forms.model import value_sets
from tests.conftest import LYON, run_cli
from tests.factories import INITIALE, SUIVI, Factory

CONFIRME, EN_COURS = "255545003", "385651009"
A_L_AGE_DE = "767023003"


@pytest.fixture(scope="module")
def factory(tmp_path_factory: pytest.TempPathFactory) -> Factory:
    """Three patients. MARTIN: fiche initiale 09/01/2023 (consultation, ORPHA:666 confirmé,
    signs and diagnosis at birth: 0 month) and a suivi 02/03/2024 (consultation
    pluridisciplinaire). BERNARD: 10/02/2024, téléconsultation, ORPHA:15 confirmé, first
    signs at 6 months, diagnosis at 3 years (30 months), opposes. DURAND: 15/03/2024,
    consultation, diagnosis « en cours » without a code."""
    factory = Factory(tmp_path_factory.mktemp("report"), LYON)
    sheets = [
        factory.sheet("initiale", INITIALE),
        factory.sheet("suivi", SUIVI),
        factory.sheet("initiale", {
            **INITIALE, "patient.ipp": "4100200555", "patient.nom_naissance": "BERNARD",
            "opposition.opposition_eds": "Y", "activite.date": "2024-02-10",
            "activite.contexte": "MED-096", "diagnostic1.maladie": "15",
            "diagnostic1.age_premiers_signes": A_L_AGE_DE,
            "diagnostic1.age_premiers_signes_valeur": "6",
            "diagnostic1.age_premiers_signes_unite": "mo",
            "diagnostic1.age_diagnostic": A_L_AGE_DE, "diagnostic1.age_diagnostic_valeur": "3",
            "diagnostic1.age_diagnostic_unite": "a"}),
        factory.sheet("initiale", {
            **INITIALE, "patient.ipp": "4100200777", "patient.nom_naissance": "DURAND",
            "activite.date": "2024-03-15", "diagnostic1.statut": EN_COURS,
            "diagnostic1.maladie": None}),
    ]
    assert [s.status for s in sheets] == ["committed"] * 4
    return factory


def home(factory: Factory) -> list[str]:
    return ["--home", str(factory.home.root)]


def figures(factory: Factory, *args: str) -> dict[str, Any]:
    result = run_cli(["report", "--json", *args, *home(factory)])
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_indicators_of_2024(factory: Factory) -> None:
    f = figures(factory, "--from", "2024-01-01", "--to", "31/12/2024")
    assert f["report_version"] == 1
    assert f["period"] == {"from": "2024-01-01", "to": "2024-12-31"}
    assert f["centres"] == [{"code": "S901", "name": "Centre de référence des maladies "
                                                     "osseuses constitutionnelles"}]
    assert f["records"] == {"initiale": 2, "suivi": 1, "total": 3}
    assert f["file_active"] == {"patients": 3, "activities": 3, "activities_without_date": 0,
                                "activities_imprecise_date": 0}
    months = f["activities_by_month"]
    assert [m["month"] for m in months] == [f"2024-{n:02d}" for n in range(1, 13)]
    assert [m["count"] for m in months][:4] == [0, 1, 2, 0] and months[2]["label"] == "mars 2024"
    assert f["activities_by_context"] == [
        {"code": "11429006", "label": "Consultation", "count": 1},
        {"code": "ORG-028", "label": "Consultation pluridisciplinaire", "count": 1},
        {"code": "MED-096", "label": "Téléconsultation", "count": 1}]
    assert f["diagnoses"]["total"] == 3
    assert f["diagnoses"]["by_orpha"] == [
        {"code": "15", "label": "Achondroplasie", "count": 1},
        {"code": "666", "label": "Ostéogenèse imparfaite", "count": 1},
        {"code": None, "label": None, "count": 1}]
    assert f["diagnoses"]["by_status"] == [
        {"code": EN_COURS, "label": "En cours", "count": 1},
        {"code": CONFIRME, "label": "Confirmé", "count": 2}]
    delay = f["time_to_diagnosis"]
    assert (delay["diagnoses"], delay["included"], delay["median_months"]) == (3, 2, 15.0)
    assert (delay["min_months"], delay["max_months"]) == (0.0, 30.0)
    assert [b["count"] for b in delay["bins"]] == [1, 0, 0, 0, 1, 0, 0]
    assert delay["excluded"] == [{"reason": "not_confirmed", "count": 1, "label": (
        "diagnostic non confirmé (statut autre que « Confirmé »)")}]
    assert f["opposition"] == {"patients": 3, "yes": 1, "no": 2, "unknown": 0,
                               "share": 0.3333}
    complete = {(r["form"], r["item"]): r for r in f["completeness"]}
    assert complete[("initiale", "diagnostic1.statut")]["records"] == 2
    assert complete[("suivi", "activite.date")] | {} == {
        "form": "suivi", "form_label": "Fiche de suivi", "item": "activite.date",
        "label": "Date de l’activité", "filled": 1, "records": 1, "share": 1.0}
    assert ("initiale", "diagnostic2.statut") not in complete  # optional section
    assert f["unreadable_records"] == []


def test_the_period_filters_every_indicator(factory: Factory) -> None:
    f = figures(factory, "--from", "2023-01-01", "--to", "2023-12-31")
    assert f["file_active"]["patients"] == 1 and f["file_active"]["activities"] == 1
    assert f["records"] == {"initiale": 1, "suivi": 0, "total": 1}
    assert [m["count"] for m in f["activities_by_month"]] == [1] + [0] * 11
    assert f["diagnoses"]["by_orpha"] == [
        {"code": "666", "label": "Ostéogenèse imparfaite", "count": 1}]
    assert f["opposition"]["share"] == 0.0
    everything = figures(factory)
    assert everything["period"] == {"from": None, "to": None}
    assert everything["file_active"]["patients"] == 3
    assert everything["file_active"]["activities"] == 4
    months = everything["activities_by_month"]
    assert (months[0]["month"], months[-1]["month"], len(months)) == ("2023-01", "2024-03", 15)
    only_march = figures(factory, "--from", "2024-03-01")
    assert only_march["file_active"] == {"patients": 2, "activities": 2,
                                         "activities_without_date": 0,
                                         "activities_imprecise_date": 0}


def test_html_is_one_self_contained_french_page(factory: Factory, tmp_path: Path) -> None:
    target = tmp_path / "rapport.html"
    result = run_cli(["report", "--output", str(target), "--from", "2024-01-01", "--to",
                      "2024-12-31", *home(factory)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"Rapport écrit dans {target}.\n"
    assert (target.stat().st_mode & 0o777) == 0o600
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="fr">' in html
    assert not re.search(r"https?:|//[a-z]|<script|<link|<img|@import|url\(", html)
    assert html.count("<svg") == 8
    for text in ("Rapport d’activité maladies rares", "du 01/01/2024 au 31/12/2024",
                 "3 patients</strong>", "ORPHA:15 Achondroplasie", "Téléconsultation",
                 "Ostéogenèse imparfaite", "Délai au diagnostic", "1 an et 3 mois",
                 "Opposition : 1 (33\u00a0%)", "Complétude des items obligatoires",
                 "Sans code ORPHA", "mars"):
        assert text in html, text
    for name in ("MARTIN", "BERNARD", "DURAND", "4100200300", "2012-04-17"):
        assert name not in html  # aggregates only


def test_json_and_html_together(factory: Factory, tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    result = run_cli(["report", "--json", "-o", str(target), *home(factory)])
    assert json.loads(result.stdout)["file_active"]["patients"] == 3
    assert target.exists()


@pytest.mark.parametrize(("args", "message"), [
    (["--from", "2024-13-01", "--json"],
     "Date invalide pour --from : « 2024-13-01 » (date attendue au format AAAA-MM-JJ ou "
     "JJ/MM/AAAA)."),
    (["--to", "31/02/2024", "--json"],
     "Date invalide pour --to : « 31/02/2024 » (date attendue au format AAAA-MM-JJ ou "
     "JJ/MM/AAAA)."),
    (["--from", "2024-02-01", "--to", "2024-01-01", "--json"],
     "Période vide : --from (01/02/2024) est après --to (01/01/2024)."),
    ([], "Indiquer la page à écrire (--output rapport.html) ou demander --json."),
])
def test_usage_errors_are_exit_2(factory: Factory, args: list[str], message: str) -> None:
    result = run_cli(["report", *args, *home(factory)])
    assert (result.exit_code, result.stderr) == (2, f"Erreur : {message}\n")


def test_unknown_centre_is_exit_8(factory: Factory) -> None:
    result = run_cli(["report", "--json", "--centre", "S999", *home(factory)])
    assert result.exit_code == 8
    assert result.stderr == ("Erreur : Centre « S999 » absent de la base (centres présents : "
                             "S901).\n")
    assert figures(factory, "--centre", "S901")["file_active"]["patients"] == 3


def test_unwritable_output_is_exit_4(factory: Factory, tmp_path: Path) -> None:
    missing = tmp_path / "absent" / "r.html"
    result = run_cli(["report", "-o", str(missing), *home(factory)])
    assert result.exit_code == 4
    assert result.stderr == f"Erreur : {missing} : le dossier {missing.parent} n’existe pas.\n"


def test_empty_base_gives_an_empty_report(tmp_path: Path) -> None:
    factory = Factory(tmp_path, LYON)
    f = figures(factory)
    assert f["file_active"]["patients"] == 0 and f["activities_by_month"] == []
    assert f["time_to_diagnosis"]["median_months"] is None and f["opposition"]["share"] is None
    target = tmp_path / "vide.html"
    assert run_cli(["report", "-o", str(target), *home(factory)]).exit_code == 0
    assert "Aucune donnée sur la période." in target.read_text(encoding="utf-8")


def test_a_disease_changed_by_a_suivi_counts_once_as_the_new_disease(tmp_path: Path) -> None:
    factory = Factory(tmp_path, LYON)
    factory.sheet("initiale", INITIALE)  # ORPHA:666 confirmé
    factory.sheet("suivi", {**SUIVI, "diagnostic.maladie": "15"})
    diagnoses = figures(factory)["diagnoses"]
    assert diagnoses["total"] == 1  # diagnosis 1 is closed (history), not counted
    assert [(d["code"], d["count"]) for d in diagnoses["by_orpha"]] == [("15", 1)]


def test_a_year_only_activity_counts_only_in_periods_that_hold_the_whole_year(
    tmp_path: Path,
) -> None:
    factory = Factory(tmp_path, LYON)
    sheet = factory.sheet("initiale", {**INITIALE, "activite.date": "2024"}, confidence=1.0)
    assert sheet.status == "committed"
    year = figures(factory, "--from", "2024-01-01", "--to", "2024-12-31")
    assert year["file_active"]["patients"] == 1
    assert year["activities_by_month"][-1] == {"month": None, "label": "mois non précisé",
                                               "count": 1}
    half = figures(factory, "--from", "2024-01-01", "--to", "2024-06-30")
    assert half["file_active"] == {"patients": 0, "activities": 0,
                                   "activities_without_date": 0,
                                   "activities_imprecise_date": 1}
    assert half["records"]["total"] == 0
    target = tmp_path / "r.html"
    run_cli(["report", "-o", str(target), "--from", "2024-01-01", "--to", "2024-12-31",
             *home(factory)])
    assert "mois non précisé : 1" in target.read_text(encoding="utf-8")


def _coded(value_set: str, code: str) -> Coded:
    concept = value_sets()[value_set].concept(code)
    assert concept is not None
    return Coded(code=code, system=concept.system, label=concept.label)


def _age(code: str | None, value: int | None = None, unit: str = "mo") -> Age:
    precision = AgePrecision(value=value, unit=_coded("unite_age", unit)) if value else None
    return Age(period=_coded("age", code) if code else None, precision=precision)


def _diag(signs: Age, at: Age, status: str = CONFIRME, date: str | None = None) -> Diagnostic:
    return Diagnostic(id="0" * 8 + "-0000-0000-0000-" + "0" * 12, number=1,
                      status=_coded("statut_diagnostic", status), age_first_signs=signs,
                      age_clinical=at, date=PartialDate.model_validate(date) if date else None)


@pytest.mark.parametrize(("signs", "at", "date", "expected"), [
    (_age("255407002"), _age("303112003"), None, 0.0),  # at birth, antenatal: both 0
    (_age(A_L_AGE_DE, 3, "wk"), _age(A_L_AGE_DE, 1, "a"), None, 12 - 21 / 30.4375),
    (_age(A_L_AGE_DE, 2, "mo"), _age(A_L_AGE_DE), "2014-10-17", 26.0),  # 28 months old
    (_age(A_L_AGE_DE, 2, "mo"), _age(None), "2014-10", 26.0),  # to the month is enough
    (_age(A_L_AGE_DE, 2, "mo"), _age(None), "2014", "diagnosis_unknown"),
    (_age(A_L_AGE_DE, 2, "a"), _age(A_L_AGE_DE, 1, "a"), None, "negative"),
    (_age("MED-1288"), _age("255407002"), None, "no_signs"),
    (_age("373068000"), _age("255407002"), None, "signs_undetermined"),
    (_age(A_L_AGE_DE), _age("255407002"), None, "signs_without_value"),
    (_age(None), _age("255407002"), None, "signs_missing"),
    (_age("255407002"), _age("303113008"), None, "post_mortem"),
    (_age("255407002"), _age("373068000"), None, "diagnosis_undetermined"),
])
def test_diagnosis_delay_rules(signs: Age, at: Age, date: str | None,
                               expected: float | str) -> None:
    birth = PartialDate.model_validate("2012-06-17")
    result = diagnosis_delay(_diag(signs, at, date=date), birth)
    if isinstance(expected, float):
        assert result == pytest.approx(expected)
    else:
        assert result == expected
    assert diagnosis_delay(_diag(signs, at, EN_COURS), birth) == "not_confirmed"


@pytest.mark.parametrize(("months", "text"), [
    (None, "–"), (0.0, "0 jour"), (0.5, "15 jours"), (7.2, "7 mois"), (12.0, "1 an"),
    (15.0, "1 an et 3 mois"), (30.0, "2 ans et 6 mois"),
])
def test_durations_in_words(months: float | None, text: str) -> None:
    assert duration(months) == text


def test_report_and_tables_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    factory = Factory(tmp_path, LYON, pg_url)
    factory.sheet("initiale", INITIALE)
    factory.sheet("suivi", SUIVI)
    opts = [*home(factory), "--base", pg_url]
    f = json.loads(run_cli(["report", "--json", *opts]).stdout)
    assert f["file_active"] == {"patients": 1, "activities": 2, "activities_without_date": 0,
                                "activities_imprecise_date": 0}
    table = json.loads(run_cli(["records", "export", "-f", "json", "--tabular", *opts]).stdout)
    assert [r["kind"] for r in table["records"]] == ["initiale", "suivi"]
    assert table["records"][0]["committed_at"].endswith("+00:00")
