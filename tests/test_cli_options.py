"""Command options that were ignored: ``review``'s own options, ``--deidentified`` with CDA."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bordereau.base.schema import Audit, ExportLog
from bordereau.review.queue import Queue
from tests.conftest import LYON, run_cli
from tests.factories import INITIALE, Factory

DOUBTS = {"patient.nom_naissance": "lecture incertaine", "activite.date": "chiffre illisible"}


@pytest.fixture
def factory(tmp_path: Path) -> Factory:
    return Factory(tmp_path, LYON)


def test_the_reviewer_given_to_review_is_the_one_audited(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, DOUBTS)
    name, date = Queue(factory.db, "x").items()
    home = str(factory.home.root)
    first = run_cli(["review", "--reviewer", "Mme Roux", "accept", str(name.id),
                     "--home", home])
    assert first.exit_code == 0, first.stderr
    second = run_cli(["review", "--home", home, "--reviewer", "M. Blanc", "set",
                      str(date.id), "10/01/2023"])
    assert second.exit_code == 0, second.stderr
    with factory.db.session() as session:
        assert session.scalars(select(Audit.reviewer).order_by(Audit.id)).all() == [
            "Mme Roux", "M. Blanc"]


def test_the_home_given_to_review_is_the_one_listed(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, DOUBTS)
    result = run_cli(["review", "--home", str(factory.home.root), "list", "--json"],
                     env={"BORDEREAU_HOME": str(factory.root / "elsewhere")})
    assert result.exit_code == 0, result.stderr
    assert [i["field_id"] for i in json.loads(result.stdout)] == [
        "patient.nom_naissance", "activite.date"]


def test_a_command_option_wins_over_the_group_option(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, DOUBTS)
    name, _ = Queue(factory.db, "x").items()
    result = run_cli(["review", "--reviewer", "groupe", "accept", str(name.id),
                      "--reviewer", "commande", "--home", str(factory.home.root)])
    assert result.exit_code == 0, result.stderr
    with factory.db.session() as session:
        assert session.scalars(select(Audit.reviewer)).all() == ["commande"]


def test_a_deidentified_cda_export_is_refused_and_nothing_is_logged(
    factory: Factory, tmp_path: Path,
) -> None:
    factory.sheet("initiale", INITIALE)
    out = tmp_path / "envoi"
    result = run_cli(["records", "export", "--format", "cda", "--deidentified", "--output",
                      str(out), "--home", str(factory.home.root)])
    assert result.exit_code == 2
    assert result.stderr == (
        "Erreur : --deidentified ne s’applique pas à --format cda : un document CDA pour "
        "BaMaRa est nominatif par nature. Pour un export désidentifié : --format csv, ou "
        "--format json --tabular.\n")
    assert not out.exists()
    with factory.db.session() as session:
        assert session.scalar(select(func.count()).select_from(ExportLog)) == 0
    # the next real export still sends the patient
    real = run_cli(["records", "export", "--format", "cda", "--output", str(out),
                    "--home", str(factory.home.root), "--json"])
    assert real.exit_code == 0, real.stderr
    assert [w["patient_ipp"] for w in json.loads(real.stdout)["written"]] == ["4100200300"]
