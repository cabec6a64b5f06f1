"""The review application after issue 10, driven by Textual's Pilot: re-check after a
correction, suggestions taken with one key, ink never dropped on any path (single, grouped,
bulk), grouped-mode marks kept, comments transcribed only on request."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from rich.console import Console
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import Static

from bordereau.base.schema import Audit, Patient
from bordereau.review.app import ReviewApp
from bordereau.review.app_group import GroupRow, GroupScreen
from bordereau.review.queue import Queue
from tests.conftest import LYON, run_cli
from tests.factories import INITIALE, SUIVI, Factory
from tests.test_review_app import by_field, drive, message, single

LABEL = {"patient.etiquette": {"identity": {"nom": "GUILLOT", "ipp": "4100200300"}}}
INKED = {"cells": [{"ink": 0.2, "char": "?", "confidence": 0.1, "source": "cnn"}]}


@pytest.fixture
def factory(tmp_path: Path) -> Factory:
    return Factory(tmp_path, LYON)


def test_a_correction_rechecks_the_sheet_and_the_next_item_follows(factory: Factory) -> None:
    values = INITIALE | {"patient.date_naissance": "2023-05-17",
                         "vital.decede": True, "vital.date_deces": "2020-01-01"}
    factory.sheet("initiale", values, doubtful={
        "patient.date_naissance": "lecture incertaine",
        "prise_en_charge.date_inclusion": "lecture incertaine (confiance 0,80 < 0,95)"})
    queue = Queue(factory.db, "alice")
    seen: list[Any] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        screen = single(app)
        assert screen.item is not None
        seen.append(screen.item.field_id)
        await pilot.press(*"17042012", "enter")
        await pilot.pause()
        seen.append(screen.item.field_id if screen.item else None)
        seen.append(screen.item.reason if screen.item else None)

    app = drive(queue, script)
    # The birth date is the least sure; correcting it settles the date of death at once,
    # and the inclusion date is offered with its up-to-date reason.
    assert seen[0] == "patient.date_naissance"
    assert seen[1:] == ["prise_en_charge.date_inclusion",
                        "lecture incertaine (confiance 0,80 < 0,95)"]
    assert "1 autre champ réglé par la nouvelle vérification du bordereau" in app.messages
    items = by_field(queue)
    assert items["vital.date_deces"].status == "trusted"
    assert all("2023" not in (i.reason or "") for i in queue.items("pending"))


def test_a_suggestion_is_taken_with_one_key(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE | {"patient.nom_naissance": "GUILOT"}, details=LABEL,
                  doubtful={"patient.nom_naissance": "lecture incertaine"})
    queue = Queue(factory.db, "alice")
    cards: list[str] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        console = Console(width=120, record=True)
        console.print(app.screen.query_one("#card", Static).content)
        cards.append(console.export_text())
        await pilot.press("f5")
        await pilot.pause()

    drive(queue, script)
    assert "F5  étiquette : GUILLOT" in cards[0]
    item = by_field(queue)["patient.nom_naissance"]
    assert (item.status, item.final) == ("corrected", "GUILLOT")


def test_enter_never_empties_a_field_with_ink(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, details={"patient.nom_utilise": INKED},
                  doubtful={"patient.nom_utilise": "caractère illisible"})
    queue = Queue(factory.db, "alice")
    said: list[str] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        said.append(message(app))
        await pilot.press("enter")
        await pilot.pause()
        said.append(str(by_field(queue)["patient.nom_utilise"].status))
        await pilot.press(*"vide", "enter")  # said on purpose
        await pilot.pause()

    drive(queue, script)
    assert said[0].startswith("✗ de l’écriture a été trouvée ici")
    assert said[1] == "pending"
    item = by_field(queue)["patient.nom_utilise"]
    assert item.status == "accepted" and item.final is None


def _inked_sheets(factory: Factory, count: int) -> None:
    for _ in range(count):
        factory.sheet("initiale", INITIALE, details={"patient.nom_utilise": INKED},
                      doubtful={"patient.nom_utilise": "caractère illisible"})


def test_grouped_accept_and_bulk_accept_never_drop_ink(factory: Factory) -> None:
    _inked_sheets(factory, 3)
    queue = Queue(factory.db, "alice")

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press("space", "enter")  # accept the marked row
        await pilot.pause()
        await pilot.press("a")  # accept every row still to review
        await pilot.pause()

    app = drive(queue, script)
    assert {i.status for i in queue.items(status=None, field_id="patient.nom_utilise")} == {
        "pending"}
    assert any("écriture a été trouvée" in m for m in app.messages)


def test_grouped_marks_are_kept_when_leaving_and_coming_back(factory: Factory) -> None:
    for name in ("MARTIN", "DUPONT", "DURAND"):
        factory.sheet("initiale", INITIALE | {"patient.nom_naissance": name},
                      doubtful={"patient.nom_naissance": "lecture incertaine"})
    queue = Queue(factory.db, "alice")
    marks: list[list[bool]] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        await pilot.press("ctrl+g")
        await pilot.pause()
        await pilot.press("space", "down", "space")  # mark the first and the third
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+g")
        await pilot.pause()
        group = app.screen
        assert isinstance(group, GroupScreen)
        marks.append([row.marked for row in group.query(GroupRow)])
        await pilot.press("enter")
        await pilot.pause()

    drive(queue, script)
    assert marks == [[True, False, True]]
    statuses = [i.status for i in queue.items(status=None, field_id="patient.nom_naissance")]
    assert statuses == ["accepted", "pending", "accepted"]


def test_comments_are_transcribed_only_in_the_transcription_queue(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, details={"commentaire.texte": {"ink": 0.05}})
    seen: list[Any] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        screen = single(app)
        seen.append(screen.item and screen.item.field_id)
        await pilot.press("enter")  # the empty reading is refused: there is ink
        await pilot.pause()
        seen.append(message(app))
        await pilot.press(*"Bilan ORL", "enter")
        await pilot.pause()

    assert Queue(factory.db, "alice").claim_next() is None  # not in the review queue
    queue = Queue(factory.db, "alice", transcribe=True)
    app = drive(queue, script)
    assert seen[0] == "commentaire.texte"
    assert seen[1].startswith("✗ de l’écriture a été trouvée ici")
    item = by_field(queue)["commentaire.texte"]
    assert (item.status, item.final) == ("corrected", "Bilan ORL")
    assert "Bordereau 900002 enregistré (version 2)." in app.messages


def test_a_blank_required_item_goes_to_the_clinician_and_comes_back(
        factory: Factory, tmp_path: Path) -> None:
    values = {k: v for k, v in INITIALE.items() if k != "activite.profession"}
    sheet = factory.sheet("initiale", values, doubtful={"patient.nom_naissance": "incertain"})
    queue = Queue(factory.db, "alice")
    said: list[str] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        for _ in range(2):
            screen = single(app)
            assert screen.item is not None
            if screen.item.field_id == "activite.profession":
                said.append(message(app))
            await pilot.press("enter")  # blank on paper: Enter asks the clinician
            await pilot.pause()

    drive(queue, script)
    assert said[0].startswith("Entrée : à compléter par le médecin")
    item = by_field(queue)["activite.profession"]
    assert item.status == "clinician" and item.sheet_status == "waiting_review"
    assert queue.claim_next() is None  # nothing left for the reviewer
    home = ["--home", str(factory.home.root)]
    listing = run_cli(["records", "incomplete", *home])
    assert listing.stdout.splitlines() == [
        f"Bordereau {sheet.serial} (initiale) — MARTIN LEA, IPP 4100200300 — médecin : "
        "Dr Claire Moreau",
        f"  élément {item.id:>6}  Profession du responsable : champ obligatoire non rempli"]
    pdf = tmp_path / "a-completer.pdf"
    result = run_cli(["records", "incomplete", *home, "--referent", "10000999010",
                      "--format", "pdf", "-o", str(pdf)])
    assert result.exit_code == 0, result.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_mode & 0o777 == 0o600
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "MARTIN LEA" in text and "Profession du responsable" in text
    assert f"élément {item.id}" in text
    other = run_cli(["records", "incomplete", *home, "--referent", "10000999028", "--json"])
    assert other.stdout.strip() == "[]"
    # The clinician's answer, entered by a reviewer: audited, and the sheet is committed.
    answer = run_cli(["review", "set", str(item.id), "1", *home, "--json"])
    assert json.loads(answer.stdout)["sheet_status"] == "committed"
    assert run_cli(["records", "incomplete", *home]).stdout == "Aucun bordereau à compléter.\n"


def test_an_unknown_patient_on_a_suivi_is_linked_or_created(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE)  # MARTIN LEA, IPP 4100200300, in the base
    misread = factory.sheet("suivi", SUIVI | {"patient.ipp": "4100200390"})
    new = factory.sheet("suivi", SUIVI | {"patient.ipp": "5550001111",
                                          "patient.nom_naissance": "ROUX",
                                          "patient.date_naissance": "1990-02-03"})
    queue = Queue(factory.db, "alice")
    offered: list[Any] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        screen = single(app)
        assert screen.item is not None and screen.item.serial == misread.serial
        offered.append([(s.key, s.value, s.source) for s in screen.item.suggestions])
        await pilot.press("f5")  # the patient of the base
        await pilot.pause()
        assert screen.item is not None and screen.item.serial == new.serial
        offered.append([s.value for s in screen.item.suggestions])
        await pilot.press("ctrl+n")  # their fiche initiale predates the tool
        await pilot.pause()

    drive(queue, script)
    assert offered[0] == [("f5", "4100200300", "patient de la base (IPP proche, même nom, même "
                                                "date de naissance) : MARTIN LEA, né(e) le "
                                                "17/04/2012")]
    assert offered[1] == []
    items = {(i.serial, i.field_id): i for i in queue.items(status=None)}
    assert items[(misread.serial, "patient.ipp")].final == "4100200300"
    assert items[(new.serial, "patient.ipp")].status == "accepted"
    assert {i.sheet_status for i in items.values()} == {"committed"}
    with factory.db.session() as session:
        patient = session.scalars(select(Patient).where(Patient.ipp == "5550001111")).one()
        assert (patient.nom_naissance, patient.date_naissance) == ("ROUX", "1990-02-03")
        audit = session.scalars(select(Audit).where(Audit.action == "new_patient")).one()
        assert audit.reviewer == "alice"


def test_grouped_mode_offers_no_bulk_accept_on_comments(factory: Factory) -> None:
    for _ in range(2):
        factory.sheet("initiale", INITIALE, details={"commentaire.texte": {"ink": 0.05}})
    queue = Queue(factory.db, "alice", transcribe=True)
    offered: list[Any] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        await pilot.press("ctrl+g")
        await pilot.pause()
        group = app.screen
        assert isinstance(group, GroupScreen)
        offered.append([group.check_action(a, ()) for a in ("accept_all", "mark_all", "mark")])
        await pilot.press("a", "t", "space", "enter")
        await pilot.pause()

    app = drive(queue, script)
    assert offered == [[False, False, True]]
    assert {i.status for i in queue.items(status=None, field_id="commentaire.texte")} == {
        "image"}
    assert any("écriture a été trouvée" in m for m in app.messages)
