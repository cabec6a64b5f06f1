"""The queue after issue 10: re-check after every decision, ink never dropped by default,
comments kept as images (transcription opt-in), suggestions from the label, the NIR and the
centre."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from bordereau.base.queries import show_record
from bordereau.base.schema import Reading, Record
from bordereau.errors import InputError
from bordereau.review import images
from bordereau.review.queue import Queue
from tests.conftest import LYON, run_cli
from tests.factories import INITIALE, Factory

COMMENT_INK = {"commentaire.texte": {"ink": 0.05}}
LABEL = {"patient.etiquette": {"identity": {"nom": "GUILLOT", "date_naissance": "2012-04-17",
                                             "ipp": "4100200300", "sexe": "F"}}}


@pytest.fixture
def factory(tmp_path: Path) -> Factory:
    return Factory(tmp_path, LYON)


def _items(queue: Queue, status: str | None = None) -> dict[str, Any]:
    return {item.field_id: item for item in queue.items(status=status)}


def test_a_corrected_birth_date_clears_the_dates_flagged_only_because_of_it(
        factory: Factory) -> None:
    values = INITIALE | {"patient.date_naissance": "2023-05-17",  # misread: after both
                         "vital.decede": True, "vital.date_deces": "2020-01-01"}
    factory.sheet("initiale", values, doubtful={
        "patient.date_naissance": "lecture incertaine",
        "prise_en_charge.date_inclusion": "lecture incertaine (confiance 0,80 < 0,95)"})
    queue = Queue(factory.db, "alice")
    before = _items(queue, "pending")
    assert set(before) == {"patient.date_naissance", "prise_en_charge.date_inclusion",
                           "vital.date_deces"}
    assert "est après la date d’inclusion" in before["prise_en_charge.date_inclusion"].reason
    assert "antérieure à la date de naissance" in before["vital.date_deces"].reason
    decision = queue.set(before["patient.date_naissance"].id, "17/04/2012")
    # The date of death was flagged only because of the birth date: settled at once.
    assert decision.cleared == [before["vital.date_deces"].id]
    after = _items(queue, "pending")
    assert set(after) == {"prise_en_charge.date_inclusion"}
    # The inclusion date keeps its own doubt, the stale rule message gone.
    assert after["prise_en_charge.date_inclusion"].reason == (
        "lecture incertaine (confiance 0,80 < 0,95)")
    assert _items(queue)["vital.date_deces"].status == "trusted"


def test_a_birth_date_is_not_told_it_is_before_itself(factory: Factory) -> None:
    values = INITIALE | {"patient.date_naissance": "2012-04-17",
                         "vital.decede": True, "vital.date_deces": "2010-01-01"}
    factory.sheet("initiale", values)
    items = _items(Queue(factory.db, "alice"), "pending")
    assert "antérieure à la date de naissance" in items["vital.date_deces"].reason
    assert "antérieure" not in items["patient.date_naissance"].reason
    assert "postérieure" in items["patient.date_naissance"].reason


def test_a_comment_is_kept_as_an_image_and_transcribed_only_on_request(
        factory: Factory) -> None:
    sheet = factory.sheet("initiale", INITIALE, details=COMMENT_INK)
    assert sheet.status == "committed"  # the comment does not hold the sheet back
    queue = Queue(factory.db, "alice")
    assert queue.items("pending") == []
    transcribe = Queue(factory.db, "alice", transcribe=True)
    item = transcribe.claim_next()
    assert item is not None and item.field_id == "commentaire.texte"
    assert item.status == "image" and item.ink
    assert transcribe.counts() == (1, 1)
    with pytest.raises(InputError) as info:  # accepting the empty reading would drop ink
        transcribe.accept(item.id)
    assert "écriture a été trouvée" in info.value.message
    decision = transcribe.set(item.id, "Bilan cardiaque à prévoir")
    assert decision.record_version == 2
    assert transcribe.claim_next() is None
    with factory.db.session() as session:
        record = session.scalars(select(Record).where(Record.current.is_(True))).one()
        assert record.values["commentaire.texte"] == "Bilan cardiaque à prévoir"


def test_ink_is_never_emptied_by_accepting(factory: Factory) -> None:
    cells = {"cells": [{"ink": 0.2, "char": "?", "confidence": 0.1, "source": "cnn"}]}
    factory.sheet("initiale", INITIALE, doubtful={"patient.nom_utilise": "caractère illisible"},
                  details={"patient.nom_utilise": cells})
    queue = Queue(factory.db, "alice")
    item = _items(queue, "pending")["patient.nom_utilise"]
    assert item.ink and item.value is None
    with pytest.raises(InputError):
        queue.accept(item.id)
    assert queue.get(item.id).status == "pending"
    decision = queue.set(item.id, "vide")  # said on purpose: audited as a correction
    assert decision.action == "accept" and decision.item.final is None


def test_suggestions_from_the_label_the_nir_and_the_centre(factory: Factory) -> None:
    values = INITIALE | {"patient.nom_naissance": "GUILOT", "patient.ins": "212047510801242",
                         "diagnostic1.code_orpha": "668", "diagnostic1.maladie": None}
    factory.sheet("initiale", values, details=LABEL, doubtful={
        "patient.nom_naissance": "lecture incertaine", "patient.sexe": "case douteuse",
        "diagnostic1.code_orpha": "chiffre douteux"})
    queue = Queue(factory.db, "alice")
    items = _items(queue, "pending")
    name = items["patient.nom_naissance"]
    assert [(s.key, s.source, s.value) for s in name.suggestions] == [
        ("f5", "étiquette", "GUILLOT")]
    sexe = items["patient.sexe"].suggestions
    assert [(s.source, s.value) for s in sexe] == [("étiquette", "F")]
    orpha = items["diagnostic1.code_orpha"]
    assert orpha.notes == ["ORPHA 668 : absent du thésaurus du centre"]
    assert "666" in [s.value for s in orpha.suggestions]
    decision = queue.set(name.id, name.suggestions[0].shown)
    assert decision.item.final == "GUILLOT"


def test_the_comment_image_is_listed_with_the_record(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, details=COMMENT_INK)
    with factory.db.session() as session:
        record_id = session.scalars(select(Record.id)).one()
        reading = session.scalars(select(Reading).where(
            Reading.field_id == "commentaire.texte")).one()
        assert reading.crop
    shown = show_record(factory.db, record_id)
    assert shown["images"] == [{"field_id": "commentaire.texte", "item": reading.id,
                                "label": "Commentaire libre (ne pas écrire d’information "
                                         "identifiante)", "transcribed": False}]


def test_review_without_a_terminal_says_so_and_exits_2(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, doubtful={"patient.nom_naissance": "incertain"})
    result = run_cli(["review", "--home", str(factory.home.root)])
    assert result.exit_code == 2
    assert result.stderr.startswith("Erreur : L’application de vérification a besoin d’un "
                                    "terminal")


def test_review_show_writes_a_crop_only_where_asked_and_speaks_french(
        factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    factory.sheet("initiale", INITIALE, doubtful={
        "patient.nom_naissance": "lecture incertaine (confiance 0,849 < 0,850)"},
        details=LABEL)
    item = Queue(factory.db, "x").items()[0]
    monkeypatch.chdir(tmp_path)
    result = run_cli(["review", "show", str(item.id), "--home", str(factory.home.root)])
    assert result.exit_code == 0, result.stderr
    assert not list(tmp_path.rglob("element-*.png"))  # nothing written by default
    assert "État : à vérifier" in result.stdout
    assert "(confiance 0,849)" in result.stdout
    assert "Suggestion (étiquette) : GUILLOT" in result.stdout
    listing = run_cli(["review", "list", "--home", str(factory.home.root)])
    assert " 0,849  lecture incertaine (confiance 0,849 < 0,850)" in listing.stdout


def test_records_show_lists_the_comment_image_and_writes_it_on_request(
        factory: Factory, tmp_path: Path) -> None:
    factory.sheet("initiale", INITIALE, details=COMMENT_INK)
    home = ["--home", str(factory.home.root)]
    shown = run_cli(["records", "show", "1", *home])
    assert ("commentaire.texte                        commentaire manuscrit gardé en image, "
            "non recopié (--images DOSSIER pour l’écrire)") in shown.stdout
    folder = tmp_path / "images"
    shown = run_cli(["records", "show", "1", *home, "--images", str(folder)])
    (png,) = folder.iterdir()
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_mode & 0o777 == 0o600
    assert f"non recopié : {png}" in shown.stdout


def test_a_comment_is_drawn_line_by_line_in_reading_order() -> None:
    page = np.full((200, 800, 3), 255, np.uint8)
    page[2:4, :] = 0  # the printed border of the box
    page[40:70, 20:780] = 0  # first written line, wide
    page[120:150, 20:300] = 90  # second line, short and grey
    drawn = images.text_blocks(page, cols=100, scale=0.5)
    # Line one (384 columns at this scale) is cut into four strips of at most 100 columns,
    # line two (140) into two; the printed border is not a line of writing.
    assert len(drawn.gaps) == 5
    assert drawn.width <= 100
    assert images._bands(page) == [(31, 79), (111, 159)]


def test_the_report_says_how_many_comments_are_kept_as_images(factory: Factory,
                                                               tmp_path: Path) -> None:
    factory.sheet("initiale", INITIALE, details=COMMENT_INK)
    home = ["--home", str(factory.home.root)]
    figures = json.loads(run_cli(["report", *home, "--json"]).stdout)
    assert figures["followup"] == {"comments_as_images": 1, "comments_transcribed": 0,
                                   "sheets_awaiting_clinician": 0}
    page = tmp_path / "rapport.html"
    assert run_cli(["report", *home, "--output", str(page)]).exit_code == 0
    assert "1 commentaire(s) manuscrit(s) gardé(s) en\n   image" in page.read_text()


def test_a_suivi_of_a_known_patient_suggests_the_identity_in_the_base(
        factory: Factory) -> None:
    from tests.factories import SUIVI

    factory.sheet("initiale", INITIALE)  # MARTIN LEA, IPP 4100200300
    factory.sheet("suivi", SUIVI | {"patient.nom_naissance": "MARTIM"},
                  doubtful={"patient.nom_naissance": "lecture incertaine"})
    queue = Queue(factory.db, "alice")
    item = _items(queue, "pending")["patient.nom_naissance"]
    assert [(s.key, s.value, s.source) for s in item.suggestions] == [
        ("f5", "MARTIN", "patient de la base (IPP 4100200300)")]
    decision = queue.set(item.id, item.suggestions[0].shown)
    assert decision.item.final == "MARTIN" and decision.sheet_status == "committed"


def test_a_gene_symbol_is_checked_against_hgnc_the_centre_list_only_suggests(
    factory: Factory,
) -> None:
    values = INITIALE | {"diagnostic1.gene1": "CFTR", "diagnostic1.gene2": "ABCC7"}
    factory.sheet("initiale", values, doubtful={"diagnostic1.gene1": "lettre douteuse",
                                                "diagnostic1.gene2": "lettre douteuse"})
    items = _items(Queue(factory.db, "alice"), "pending")
    valid, old = items["diagnostic1.gene1"], items["diagnostic1.gene2"]
    assert valid.notes == ["CFTR : symbole HGNC approuvé (HGNC:1884), accepté même hors des "
                           "gènes du centre"]
    assert old.notes == ["« ABCC7 » : absent des symboles HGNC approuvés (2024-07-23), ancien "
                         "symbole de CFTR"]
    first = old.suggestions[0]
    assert (first.source, first.value) == ("HGNC, symbole actuel", "CFTR")
    assert ("gènes du centre", "COL1A1") in [(s.source, s.value) for s in valid.suggestions]


def test_a_measurement_shows_its_plausible_range(factory: Factory) -> None:
    values = INITIALE | {"neonatal.perimetre_cranien": "98", "neonatal.poids": "3100",
                         "diagnostic1.age_diagnostic": "767023003",
                         "diagnostic1.age_diagnostic_valeur": "8",
                         "diagnostic1.age_diagnostic_unite": "mo"}
    factory.sheet("initiale", values, doubtful={"neonatal.poids": "chiffre douteux",
                                                "diagnostic1.age_diagnostic_valeur": "douteux"})
    items = _items(Queue(factory.db, "alice"), "pending")
    head = items["neonatal.perimetre_cranien"]  # distrusted by the rules: out of range
    assert head.reason.startswith("lu « 98 » : 98 cm hors de l’intervalle plausible")
    assert head.notes == ["intervalle plausible : 18–45 cm (INTERGROWTH-21st ; macrocéphalie "
                          "congénitale)"]
    assert items["neonatal.poids"].notes == [
        "intervalle plausible : 300–6500 g (INTERGROWTH-21st ; ENP 2021 / OMS)"]
    assert items["diagnostic1.age_diagnostic_valeur"].notes == [
        "intervalle plausible : 0–1464 mois (SDM-MR 2024.01 ; Guinness World Records (122 ans))"]
