"""``records export --format csv|json [--tabular] [--deidentified]``: columns, labels, files,
exact French errors, and the proof that a de-identified export keeps no identifier."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest

from bordereau.export.tabular import META_COLUMNS, build_table, form_items, item_columns
from tests.conftest import LYON, run_cli
from tests.factories import INITIALE, SUIVI, Factory

# A patient whose every identifier is distinctive, so that it can be searched in the output.
IDENTIFIERS = {
    "patient.nom_naissance": "ZYGOMALTIER",
    "patient.premier_prenom": "PERPETUINE",
    "patient.nom_utilise": "QUIRBALDEZ",
    "patient.date_naissance": "1987-11-23",
    "patient.lieu_naissance": "69123",
    "patient.commune_residence": "38185",
    "patient.ipp": "9876543210",
    "patient.ins": "287116912345686",
    "famille.premier_cas": "N",
    "famille.ipp_premier_cas": "1234509876",
    "commentaire.texte": "Voisine de palier WOLFRAMINE",
    "vital.date_deces": None,
}
SEARCHED = [
    "ZYGOMALTIER", "PERPETUINE", "QUIRBALDEZ", "WOLFRAMINE", "9876543210", "1234509876",
    "287116912345686", "2871169123456", "1987-11-23", "23/11/1987", "19871123", "69123",
    "38185",
]


@pytest.fixture(scope="module")
def factory(tmp_path_factory: pytest.TempPathFactory) -> Factory:
    factory = Factory(tmp_path_factory.mktemp("tabular"), LYON)
    sheets = [
        factory.sheet("initiale", {**INITIALE, "diagnostic1.techniques": ["MED-081", "MED-083"],
                                   "activite.objectifs": ["MED-097", "ORG-047"]}),
        factory.sheet("suivi", SUIVI),
        factory.sheet("initiale", {**INITIALE, **IDENTIFIERS}, confidence=1.0),
        factory.sheet("suivi", {**SUIVI, **{k: IDENTIFIERS[k] for k in (
            "patient.ipp", "patient.nom_naissance", "patient.premier_prenom",
            "patient.date_naissance")}}),
        factory.sheet("initiale", {**INITIALE, "patient.ipp": "1234509876",
                                   "patient.nom_naissance": "DUPONT"}),
    ]
    assert [s.status for s in sheets] == ["committed"] * 5
    return factory


def home(factory: Factory) -> list[str]:
    return ["--home", str(factory.home.root)]


def csv_rows(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    text = data.decode("utf-8-sig")
    lines = [line for line in text.split("\r\n") if not line.startswith("#")]
    reader = csv.DictReader(io.StringIO("\r\n".join(lines)), delimiter=";")
    return list(reader.fieldnames or []), list(reader)


def test_csv_is_excel_ready_with_codes_and_french_labels(factory: Factory,
                                                         tmp_path: Path) -> None:
    target = tmp_path / "export.csv"
    result = run_cli(["records", "export", "--format", "csv", "-o", str(target),
                      *home(factory)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"Export écrit dans {target}.\n"
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfserial;kind;kind__libelle;centre;centre__libelle;"
                           b"committed_at;record_id;record_version;patient_ipp;")
    assert b"\r\n" in data and (target.stat().st_mode & 0o777) == 0o600
    header, rows = csv_rows(data)
    assert header == list(META_COLUMNS) + item_columns(form_items(), False)
    assert len(rows) == 5 and [r["kind"] for r in rows] == [
        "initiale", "suivi", "initiale", "suivi", "initiale"]
    first = rows[0]
    assert first["kind__libelle"] == "Fiche initiale" and first["centre"] == "S901"
    assert first["centre__libelle"] == ("Centre de référence des maladies osseuses "
                                        "constitutionnelles")
    assert first["patient_ipp"] == "4100200300" and first["record_version"] == "1"
    assert (first["patient.sexe"], first["patient.sexe__libelle"]) == ("F", "Féminin")
    assert first["activite.objectifs"] == "MED-097|ORG-047"
    assert first["activite.objectifs__libelle"] == "Diagnostic|Suivi"
    assert first["diagnostic1.techniques__libelle"] == (
        "Chromosomique (caryotype, FISH)|Analyse moléculaire ciblée")
    assert (first["diagnostic1.maladie"], first["diagnostic1.maladie__libelle"]) == (
        "666", "Ostéogenèse imparfaite")
    assert first["prise_en_charge.medecin_referent__libelle"] == "Dr Claire Moreau"
    assert (first["vital.decede"], first["vital.decede__libelle"]) == ("N", "Non")
    assert first["patient.date_naissance"] == "2012-04-17"
    assert first["diagnostic2.statut"] == "" and first["diagnostic2.statut__libelle"] == ""
    suivi = rows[1]
    assert suivi["activite.contexte__libelle"] == "Consultation pluridisciplinaire"
    assert suivi["diagnostic.statut"] == "" and suivi["opposition.information"] == ""


def test_tabular_json_has_arrays_and_the_same_columns(factory: Factory) -> None:
    result = run_cli(["records", "export", "--format", "json", "--tabular", *home(factory)])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"format", "version", "desidentifie", "note", "columns", "records"}
    assert document["format"] == "bordereau-tabulaire" and document["version"] == 1
    assert document["desidentifie"] is False and document["note"] is None
    first = document["records"][0]
    assert list(first) == document["columns"]
    assert first["activite.objectifs"] == ["MED-097", "ORG-047"]
    assert first["activite.objectifs__libelle"] == ["Diagnostic", "Suivi"]
    assert first["record_id"] == 1 and first["diagnostic2.statut"] is None


def test_default_json_keeps_its_documented_form(factory: Factory) -> None:
    result = run_cli(["records", "export", *home(factory)])
    entries = json.loads(result.stdout)
    assert isinstance(entries, list) and len(entries) == 5
    assert set(entries[0]) == {"serial", "kind", "centre", "committed_at", "fields", "record"}


def test_deidentified_exports_keep_no_identifier(factory: Factory, tmp_path: Path) -> None:
    nominative = run_cli(["records", "export", "--format", "csv", *home(factory)]).stdout
    assert all(text in nominative for text in SEARCHED[:6])  # the search itself works
    outputs: dict[str, bytes] = {}
    for fmt, extra in (("csv", []), ("json", ["--tabular"])):
        target = tmp_path / f"anonyme.{fmt}"
        result = run_cli(["records", "export", "--format", fmt, *extra, "--deidentified",
                          "-o", str(target), *home(factory)])
        assert result.exit_code == 0, result.stderr
        outputs[fmt] = target.read_bytes()
    for fmt, data in outputs.items():
        lowered = data.lower()
        for text in SEARCHED:
            assert text.lower().encode() not in lowered, (fmt, text)
        assert b"1987-11" in data  # the date of birth kept to the month
    header, rows = csv_rows(outputs["csv"])
    assert outputs["csv"].decode("utf-8-sig").startswith("# Export désidentifié : ")
    for column in ("serial", "record_id", "patient_ipp", "patient.ipp", "patient.ins",
                   "patient.nom_naissance", "patient.premier_prenom", "patient.nom_utilise",
                   "patient.etiquette", "patient.lieu_naissance", "patient.commune_residence",
                   "commentaire.texte"):
        assert column not in header
    pseudonyms = [r["patient_pseudonyme"] for r in rows]
    assert pseudonyms[2] == pseudonyms[3] != pseudonyms[0] == pseudonyms[1]
    assert all(p.startswith("PS-") and len(p) == 19 for p in pseudonyms)
    # The family link survives inside the file: same pseudonym as the first case's rows.
    assert rows[2]["famille.ipp_premier_cas"] == pseudonyms[4]
    document = json.loads(outputs["json"])
    assert document["desidentifie"] is True
    assert document["note"].startswith("Export désidentifié : noms, prénoms, IPP, INS")
    # A new salt for every export: pseudonyms cannot be linked from one file to another.
    again = json.loads(outputs["json"])["records"][0]["patient_pseudonyme"]
    other = run_cli(["records", "export", "--format", "json", "--tabular", "--deidentified",
                     *home(factory)])
    assert json.loads(other.stdout)["records"][0]["patient_pseudonyme"] != again


def test_pseudonym_is_a_keyed_hash_of_the_ipp(factory: Factory) -> None:
    one = build_table(factory.db, deidentified=True, salt=b"k" * 32)
    two = build_table(factory.db, deidentified=True, salt=b"k" * 32)
    assert [r["patient_pseudonyme"] for r in one.rows] == [
        r["patient_pseudonyme"] for r in two.rows]
    assert one.rows[0]["patient.date_naissance"] == "2012-04"


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--format", "xls"], 2,
     "Format d’export inconnu : « xls ». Formats possibles : cda, csv, json."),
    (["--format", "json", "--deidentified"], 2,
     "--deidentified ne s’applique qu’à l’export tabulaire : --format csv, ou --format json "
     "--tabular."),
])
def test_usage_errors(factory: Factory, args: list[str], code: int, message: str) -> None:
    result = run_cli(["records", "export", *args, *home(factory)])
    assert (result.exit_code, result.stderr) == (code, f"Erreur : {message}\n")


def test_unwritable_outputs_are_exit_4(factory: Factory, tmp_path: Path) -> None:
    missing = tmp_path / "absent" / "x.csv"
    result = run_cli(["records", "export", "-f", "csv", "-o", str(missing), *home(factory)])
    assert result.exit_code == 4
    assert result.stderr == f"Erreur : {missing} : le dossier {missing.parent} n’existe pas.\n"
    result = run_cli(["records", "export", "-f", "csv", "-o", str(tmp_path), *home(factory)])
    assert result.exit_code == 4
    assert result.stderr == (f"Erreur : {tmp_path} : c’est un dossier ; donner un nom de "
                             "fichier.\n")


def test_a_formula_is_never_left_for_a_spreadsheet_to_run(tmp_path: Path) -> None:
    factory = Factory(tmp_path, LYON)
    values: dict[str, Any] = {**INITIALE, "commentaire.texte": "=HYPERLINK(\"x\")"}
    assert factory.sheet("initiale", values).status == "committed"
    data = run_cli(["records", "export", "-f", "csv", *home(factory)]).stdout
    _, rows = csv_rows(data.encode())
    assert rows[0]["commentaire.texte"] == "'=HYPERLINK(\"x\")"
