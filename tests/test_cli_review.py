"""``bordereau review …``, ``records …`` and ``scan status``: exact messages and JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bordereau.review.queue import Queue
from tests.conftest import LYON, run_cli
from tests.factories import INITIALE, Factory

DOUBTS = {"patient.nom_naissance": "lecture incertaine", "activite.date": "chiffre illisible"}


@pytest.fixture
def factory(tmp_path: Path) -> Factory:
    return Factory(tmp_path, LYON)


def opts(factory: Factory) -> list[str]:
    return ["--home", str(factory.home.root)]


def test_review_list_human_and_json(factory: Factory) -> None:
    sheet = factory.sheet("initiale", INITIALE, DOUBTS)
    result = run_cli(["review", "list", *opts(factory)])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "2 champ(s) à vérifier :"
    assert sheet.serial in lines[1] and "lecture incertaine" in result.stdout
    data = json.loads(run_cli(["review", "list", *opts(factory), "--json"]).stdout)
    assert [d["field_id"] for d in data] == ["patient.nom_naissance", "activite.date"]
    assert set(data[0]) >= {"id", "serial", "field_id", "label", "value", "shown", "confidence",
                            "reason", "status"}
    assert data[1]["shown"] == "09/01/2023"


def test_review_show_writes_the_crop(factory: Factory, tmp_path: Path) -> None:
    factory.sheet("initiale", INITIALE, DOUBTS)
    item = Queue(factory.db, "x").items()[0]
    target = tmp_path / "crop.png"
    result = run_cli(["review", "show", str(item.id), *opts(factory), "-o", str(target)])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == f"Extrait du scan : {target}"
    assert target.read_bytes().startswith(b"\x89PNG")
    assert "Motif : lecture incertaine" in result.stdout


def test_review_set_refuses_an_invalid_value_with_exit_3(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, DOUBTS)
    item = Queue(factory.db, "x").items(field_id="activite.date")[0]
    result = run_cli(["review", "set", str(item.id), "2023-13-01", *opts(factory)])
    assert result.exit_code == 3
    assert result.stderr == ("Erreur : Valeur refusée pour « Date de l’activité » : date "
                             "impossible (2023-13-01).\n")


def test_review_set_and_accept_commit_the_sheet(factory: Factory) -> None:
    sheet = factory.sheet("initiale", INITIALE, DOUBTS)
    queue = Queue(factory.db, "x")
    name, date = queue.items()
    result = run_cli(["review", "set", str(name.id), "Martinez", *opts(factory),
                      "--reviewer", "Mme Roux"])
    assert result.stdout == f"Élément {name.id} (patient.nom_naissance) corrigé : MARTINEZ.\n"
    same = run_cli(["review", "set", str(name.id), "MARTIN", *opts(factory)])
    assert same.stdout == f"Élément {name.id} (patient.nom_naissance) accepté : MARTIN.\n"
    result = run_cli(["review", "accept", str(date.id), *opts(factory), "--json"])
    (decision,) = json.loads(result.stdout)
    assert decision["sheet_status"] == "committed" and decision["record_version"] == 1
    records = json.loads(run_cli(["records", "list", *opts(factory), "--json"]).stdout)
    assert [r["serial"] for r in records] == [sheet.serial]
    accepted = queue.items(status="accepted")
    assert [(i.field_id, i.final) for i in accepted] == [("patient.nom_naissance", "MARTIN"),
                                                         ("activite.date", "2023-01-09")]


def test_records_show_and_export(factory: Factory, tmp_path: Path) -> None:
    sheet = factory.sheet("initiale", INITIALE)
    (record,) = json.loads(run_cli(["records", "list", *opts(factory), "--json"]).stdout)
    shown = run_cli(["records", "show", str(record["id"]), *opts(factory)])
    assert shown.stdout.splitlines()[0] == (
        f"Enregistrement {record['id']} — bordereau {sheet.serial} (initiale), version 1, "
        "IPP 4100200300")
    target = tmp_path / "export.json"
    result = run_cli(["records", "export", "--format", "json", "-o", str(target),
                      *opts(factory)])
    assert result.exit_code == 0 and result.stdout == f"Export écrit dans {target}.\n"
    (entry,) = json.loads(target.read_text())
    assert set(entry) == {"serial", "kind", "centre", "committed_at", "fields", "record"}
    assert entry["fields"]["patient.date_naissance"] == "2012-04-17"
    assert entry["fields"]["activite.objectifs"] == ["MED-097"]
    assert entry["fields"]["vital.decede"] is False
    assert entry["centre"] == "S901" and entry["record"]["version"] == 1
    assert (target.stat().st_mode & 0o777) == 0o600
    bad = run_cli(["records", "export", "--format", "xls", *opts(factory)])
    assert bad.exit_code == 2
    assert bad.stderr == ("Erreur : Format d’export inconnu : « xls ». "
                          "Formats possibles : cda, csv, json.\n")


def test_records_show_unknown_is_exit_8(factory: Factory) -> None:
    result = run_cli(["records", "show", "999", *opts(factory)])
    assert result.exit_code == 8
    assert result.stderr == "Erreur : Enregistrement 999 introuvable.\n"


def test_scan_status_counts(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE)
    factory.sheet("initiale", {**INITIALE, "patient.ipp": "123456"}, DOUBTS)
    factory.sheet("initiale", {**INITIALE, "patient.ipp": "654321"}, pages=[1, 2])
    data = json.loads(run_cli(["scan", "status", *opts(factory), "--json"]).stdout)
    assert data["sheets"] == {"committed": 1, "waiting_review": 1, "waiting_pages": 1}
    assert data["review_items"] == 2
    assert data["pages"] == {"read": 12, "blank": 0, "refused": 0}
    assert data["waiting_pages"][0]["missing"] == [3, 4, 5]
    human = run_cli(["scan", "status", *opts(factory)]).stdout.splitlines()
    assert human[1] == ("Bordereaux : 1 enregistré(s), 1 à vérifier (2 champ(s)), 1 en "
                        "attente de pages.")


def test_a_missing_home_is_exit_5(tmp_path: Path) -> None:
    result = run_cli(["review", "list", "--home", str(tmp_path / "nowhere")])
    assert result.exit_code == 5
    assert result.stderr.startswith(f"Erreur : {tmp_path / 'nowhere'} : dossier de "
                                    "l’établissement introuvable.")
