"""Tamper evidence: records, patients and the audit chain edited or cut with raw SQL are
found by ``base verify`` and not exported, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from bordereau.base.engine import Database, _alembic_config
from bordereau.base.verify import verify
from bordereau.home import Home
from bordereau.review.queue import Queue
from tests.conftest import LYON, run_cli
from tests.factories import INITIALE, Factory

DOUBTS = {"patient.nom_naissance": "lecture incertaine", "activite.date": "chiffre illisible",
          "diagnostic1.statut": "case(s) douteuse(s)"}


@pytest.fixture(params=["sqlite", "postgresql"])
def factory(tmp_path: Path, request: pytest.FixtureRequest) -> Factory:
    url = None if request.param == "sqlite" else str(request.getfixturevalue("pg_url"))
    factory = Factory(tmp_path, LYON, url)
    # two patients, each committed after three decisions (six audit rows in the chain)
    for ipp in ("4100200300", "4100200555"):
        factory.sheet("initiale", {**INITIALE, "patient.ipp": ipp}, DOUBTS)
    queue = Queue(factory.db, "alice")
    for item in queue.items():
        queue.accept(item.id)
    return factory


def sql(factory: Factory, statement: str, **params: object) -> None:
    with factory.db.engine.begin() as connection:
        connection.execute(text(statement), params)


def opts(factory: Factory) -> list[str]:
    url = factory.db.url
    return ["--home", str(factory.home.root), *([] if url.startswith("sqlite") else
                                                ["--base", url])]


def messages(factory: Factory) -> list[str]:
    return [f.message for f in verify(factory.db).findings]


def test_an_untouched_base_verifies(factory: Factory) -> None:
    result = run_cli(["base", "verify", *opts(factory)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ("Base intacte : 2 enregistrement(s), 2 patient(s), 6 décision(s) "
                             "tracée(s) vérifiés, aucune modification hors de bordereau.\n")
    data = json.loads(run_cli(["base", "verify", *opts(factory), "--json"]).stdout)
    assert data == {"ok": True, "checked": {"records": 2, "patients": 2, "audit": 6},
                    "findings": []}


def test_an_edited_birth_date_is_found_and_not_exported(factory: Factory,
                                                         tmp_path: Path) -> None:
    sql(factory, "UPDATE patient SET date_naissance = '2011-04-17' WHERE ipp = '4100200300'")
    result = run_cli(["base", "verify", *opts(factory)])
    assert result.exit_code == 12
    assert "  - patient 1 : identité modifiée hors de bordereau\n" in result.stdout
    assert "2011" not in result.stdout and "4100200300" not in result.stdout
    out = tmp_path / "envoi"
    export = run_cli(["records", "export", "--format", "cda", "--output", str(out),
                      *opts(factory), "--json"])
    assert export.exit_code == 10
    report = json.loads(export.stdout)
    assert [w["patient_ipp"] for w in report["written"]] == ["4100200555"]
    assert report["skipped"] == [{"patient": "Patient 1", "item": "base", "reason": (
        "dossier modifié hors de bordereau (voir bordereau base verify) : non exporté")}]
    assert all("2011-04-17" not in f.read_text() for f in out.glob("*.xml"))
    for fmt in (["--format", "json"], ["--format", "csv"]):
        tabular = run_cli(["records", "export", *fmt, *opts(factory)])
        assert tabular.exit_code == 10
        assert "4100200555" in tabular.stdout and "4100200300" not in tabular.stdout
        assert tabular.stderr == ("Non exporté(s) : 1 patient(s) dont le dossier a été "
                                  "modifié hors de bordereau (voir bordereau base verify).\n")


def test_an_edited_record_value_is_found(factory: Factory) -> None:
    with factory.db.engine.connect() as connection:
        raw = connection.execute(text('SELECT "values" FROM record WHERE id = 2')).scalar_one()
    values = json.loads(raw) if isinstance(raw, str) else raw
    values["patient.nom_naissance"] = "DUPONT"
    cast = "CAST(:v AS JSON)" if factory.db.url.startswith("postgresql") else ":v"
    sql(factory, f'UPDATE record SET "values" = {cast} WHERE id = 2', v=json.dumps(values))
    assert messages(factory) == [
        "enregistrement 2 (bordereau 900003, version 1) : valeurs modifiées hors de bordereau"]
    sql(factory, "UPDATE record_item SET text = '1999-01-01' WHERE record_id = 1 AND "
                 "item = 'activite.date'")
    assert messages(factory)[0] == ("enregistrement 1 (bordereau 900002, version 1) : "
                                    "valeurs modifiées hors de bordereau")


def test_an_edited_audit_row_is_found(factory: Factory) -> None:
    sql(factory, "UPDATE audit SET reviewer = 'mallory' WHERE seq = 2")
    assert messages(factory) == ["décision tracée n° 2 (ligne 2, bordereau 900002) modifiée "
                                 "hors de bordereau"]


def test_deleted_audit_rows_are_found_in_the_middle_and_at_the_end(factory: Factory) -> None:
    sql(factory, "DELETE FROM audit WHERE seq = 3")
    assert messages(factory) == ["décision(s) tracée(s) n° 3 supprimée(s) du journal"]
    sql(factory, "DELETE FROM audit WHERE seq >= 5")
    assert messages(factory) == ["décision(s) tracée(s) n° 3 supprimée(s) du journal",
                                 "décision(s) tracée(s) n° 5 à 6 supprimée(s) du journal"]
    result = run_cli(["base", "verify", *opts(factory), "--json"])
    assert result.exit_code == 12
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["checked"]["audit"] == 3
    assert [f["row"] for f in data["findings"]] == [None, None]


def test_a_row_added_outside_the_chain_or_a_cleared_hash_is_found(factory: Factory) -> None:
    sql(factory, "UPDATE record SET mac = NULL WHERE id = 1")
    Database.close_all()
    reopened = Database.open(factory.home, factory.db.url)  # never sealed again on opening
    assert [f.message for f in verify(reopened).findings] == [
        "enregistrement 1 (bordereau 900002, version 1) : empreinte absente hors de bordereau"]


def test_appends_stay_a_chain_and_a_correction_is_sealed(factory: Factory) -> None:
    queue = Queue(factory.db, "bob")
    item = queue.items(status="accepted")[0]
    decision = queue.set(item.id, "MARTINEZ")
    assert decision.record_version == 2
    assert verify(factory.db).findings == []
    with factory.db.engine.connect() as connection:
        seqs = connection.execute(text("SELECT seq FROM audit ORDER BY id")).scalars().all()
    assert seqs == [1, 2, 3, 4, 5, 6, 7]


def test_a_base_from_before_tamper_evidence_is_sealed_when_first_opened(
    factory: Factory,
) -> None:
    url = factory.db.url
    with factory.db.engine.connect() as connection:
        if url.startswith("sqlite"):  # SQLite rebuilds tables to drop columns
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        command.downgrade(_alembic_config(connection), "0003")
        connection.commit()
    Database.close_all()
    db = Database.open(Home.open(factory.home.root, create=False), url)
    assert db.revision() == "0006"
    result = verify(db)
    assert (result.records, result.patients, result.audit, result.findings) == (2, 2, 6, [])


def test_a_deleted_record_is_found(factory: Factory) -> None:
    sql(factory, "DELETE FROM record_item WHERE record_id = 2")
    sql(factory, "DELETE FROM record WHERE id = 2")
    assert messages(factory) == ["bordereau 900003 enregistré sans enregistrement en vigueur "
                                 "(supprimé hors de bordereau)"]
