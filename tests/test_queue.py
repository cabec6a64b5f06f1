"""The review queue: order, claims and leases, decisions, audit, commit, new versions."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bordereau import clock
from bordereau.base.engine import Database
from bordereau.base.schema import Audit, Patient, Reading, Record, RecordItem, Sheet
from bordereau.errors import InputError
from bordereau.home import Home
from bordereau.review.queue import ConflictError, Queue
from tests.conftest import LYON
from tests.factories import INITIALE, SUIVI, Factory
from tests.races import process_context

DOUBTS = {"patient.nom_naissance": "lecture incertaine",
          "activite.date": "chiffre illisible",
          "diagnostic1.statut": "case(s) douteuse(s)"}


@pytest.fixture
def factory(tmp_path: Path) -> Factory:
    return Factory(tmp_path, LYON)


def audit_rows(db: Database) -> list[Audit]:
    with db.session() as session:
        return list(session.scalars(select(Audit).order_by(Audit.id)))


def test_items_are_ordered_by_sheet_then_confidence(factory: Factory) -> None:
    first = factory.sheet("initiale", INITIALE, DOUBTS)
    second = factory.sheet("initiale", {**INITIALE, "patient.ipp": "4100200399"},
                           {"patient.sexe": "case(s) douteuse(s)"})
    queue = Queue(factory.db, "alice")
    items = queue.items()
    assert [i.serial for i in items] == [first.serial] * 3 + [second.serial]
    assert [i.confidence for i in items[:3]] == sorted(i.confidence for i in items[:3])
    assert {i.field_id for i in items[:3]} == set(DOUBTS)
    assert items[0].reason in DOUBTS.values()


def test_accepting_the_last_doubt_commits_the_record_in_the_same_decision(
    factory: Factory,
) -> None:
    sheet = factory.sheet("initiale", INITIALE, DOUBTS)
    queue = Queue(factory.db, "alice")
    ids = [i.id for i in queue.items()]
    for item_id in ids[:-1]:
        decision = queue.accept(item_id)
        assert decision.sheet_status == "waiting_review" and decision.record_id is None
    last = queue.accept(ids[-1])
    assert last.sheet_status == "committed"
    assert last.record_id is not None and last.record_version == 1
    assert queue.items() == []
    with factory.db.session() as session:
        record = session.get(Record, last.record_id)
        assert record is not None and record.values["patient.nom_naissance"] == "MARTIN"
        assert session.scalar(select(Sheet.status).where(Sheet.serial == sheet.serial)) == \
            "committed"
    audit = audit_rows(factory.db)
    assert [(a.action, a.reviewer, a.field_id) for a in audit] == [
        ("accept", "alice", queue.get(i).field_id) for i in ids]


def test_a_correction_is_validated_then_audited_with_both_values(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, {"activite.date": "chiffre illisible"})
    queue = Queue(factory.db, "bob")
    item = queue.items()[0]
    with pytest.raises(InputError) as info:
        queue.set(item.id, "31/02/2023")
    assert info.value.message == (
        "Valeur refusée pour « Date de l’activité » : date impossible (31/02/2023).")
    assert queue.get(item.id).status == "pending" and audit_rows(factory.db) == []
    decision = queue.set(item.id, "10/01/2023")
    assert decision.action == "correct" and decision.sheet_status == "committed"
    (audit,) = audit_rows(factory.db)
    assert (audit.machine_value, audit.final_value, audit.reviewer) == (
        "2023-01-09", "2023-01-10", "bob")
    assert audit.reason == "chiffre illisible"


def test_a_rule_failing_on_final_values_reopens_a_machine_field(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, {"vital.decede": "case(s) douteuse(s)"})
    queue = Queue(factory.db, "alice")
    (item,) = queue.items()
    decision = queue.set(item.id, "oui")
    assert decision.sheet_status == "waiting_review"
    (reopened,) = queue.items()
    assert reopened.field_id == "vital.date_deces"
    assert reopened.reason == "patient décédé sans date de décès"
    assert queue.set(reopened.id, "02/02/2024").sheet_status == "committed"


def test_correcting_a_committed_record_makes_a_new_version(factory: Factory) -> None:
    sheet = factory.sheet("initiale", INITIALE)
    assert sheet.status == "committed"
    queue = Queue(factory.db, "carol")
    (item,) = queue.items(status="trusted", serial=sheet.serial, field_id="patient.ipp")
    decision = queue.set(item.id, "4100200301")
    assert decision.record_version == 2
    with factory.db.session() as session:
        versions = session.execute(select(Record.version, Record.current)
                                   .order_by(Record.version)).all()
        assert versions == [(1, False), (2, True)]
        current = session.scalars(select(Record).where(Record.current.is_(True))).one()
        assert current.values["patient.ipp"] == "4100200301"
        codes = {(i.item, i.code) for i in current.items if i.code}
        assert ("patient.sexe", "F") in codes and ("diagnostic1.maladie", "666") in codes
    assert audit_rows(factory.db)[0].previous_value == "4100200300"


def test_suivi_attaches_to_the_known_patient_or_goes_to_review(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE)
    good = factory.sheet("suivi", SUIVI)
    assert good.status == "committed"
    other_name = factory.sheet("suivi", {**SUIVI, "patient.nom_naissance": "DURAND"})
    unknown = factory.sheet("suivi", {**SUIVI, "patient.ipp": "77777"})
    queue = Queue(factory.db, "alice")
    reasons = {(i.serial, i.field_id): i.reason for i in queue.items()}
    assert reasons == {
        (other_name.serial, "patient.nom_naissance"):
            "nom de naissance différent de celui du patient IPP 4100200300 (MARTIN)",
        (unknown.serial, "patient.ipp"):
            "patient inconnu (IPP 77777) : intégrer d’abord sa fiche initiale, ou corriger l’IPP",
    }
    with factory.db.session() as session:
        patients = session.scalars(select(Patient)).all()
        assert len(patients) == 1 and len(patients[0].records) == 2
        activities = session.scalar(select(func.count()).select_from(RecordItem).where(
            RecordItem.item == "activite.date"))
        assert activities == 2


def test_a_second_fiche_initiale_for_a_known_patient_waits_for_a_decision(
    factory: Factory,
) -> None:
    factory.sheet("initiale", INITIALE)
    again = factory.sheet("initiale", INITIALE)
    queue = Queue(factory.db, "alice")
    (item,) = queue.items()
    assert (item.serial, item.field_id) == (again.serial, "patient.ipp")
    assert item.reason is not None and item.reason.startswith(
        "fiche initiale pour un patient déjà dans la base (IPP 4100200300, MARTIN)")
    assert queue.accept(item.id).sheet_status == "committed"


def test_a_sheet_missing_a_page_is_not_reviewable(factory: Factory) -> None:
    sheet = factory.sheet("initiale", INITIALE, {"patient.sexe": "douteux"}, pages=[1, 2, 3])
    assert sheet.status == "waiting_pages"
    queue = Queue(factory.db, "alice")
    assert queue.items() == []
    assert queue.claim_next() is None
    with factory.db.session() as session:
        row = session.scalars(select(Reading).where(Reading.field_id == "patient.sexe")).one()
    with pytest.raises(ConflictError):
        queue.accept(row.id)


def test_claims_and_leases(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, DOUBTS)
    alice = Queue(factory.db, "alice", lease=dt.timedelta(seconds=1))
    bob = Queue(factory.db, "bob")
    first = alice.claim_next()
    assert first is not None and first.claimed_by == "alice"
    second = bob.claim_next()
    assert second is not None and second.id != first.id
    with pytest.raises(ConflictError) as info:
        bob.accept(first.id)
    assert info.value.message.startswith(f"Élément {first.id} réservé par alice jusqu’à ")
    with clock.shifted(dt.timedelta(seconds=2)):  # alice's lease runs out: back in the queue
        taken = bob.claim_next(skip={second.id})
        assert taken is not None and taken.id == first.id
        with pytest.raises(ConflictError):
            alice.accept(first.id)
        bob.accept(first.id)
    with pytest.raises(ConflictError) as info:
        bob.accept(first.id)
    assert info.value.message == f"Élément {first.id} déjà traité par bob."
    bob.release(second.id)
    assert alice.claim_next() is not None


def _review_all(url: str, home: str, name: str, out: multiprocessing.Queue[object],
                start: Any) -> None:
    db = Database.open(Home.open(Path(home), create=False), url)
    queue = Queue(db, name)
    start.wait(timeout=60)  # every reviewer begins at once, whatever its start-up time
    decided = []
    while (item := queue.claim_next()) is not None:
        decided.append(queue.accept(item.id).item.id)
    db.close()
    out.put((name, decided))


def test_several_reviewers_on_postgresql_never_get_the_same_item(
    tmp_path: Path, pg_url: str,
) -> None:
    factory = Factory(tmp_path, LYON, pg_url)
    for n in range(12):
        factory.sheet("initiale", {**INITIALE, "patient.ipp": f"55{n:06d}"}, DOUBTS)
    expected = {i.id for i in Queue(factory.db, "x").items()}
    assert len(expected) == 36
    factory.db.close()
    context = process_context()  # new processes, started without importing again
    results: multiprocessing.Queue[object] = context.Queue()
    start = context.Barrier(4)
    workers = [context.Process(target=_review_all,
                               args=(pg_url, str(tmp_path / "home"), f"r{n}", results, start))
               for n in range(4)]
    for worker in workers:
        worker.start()
    decided: dict[str, list[int]] = {}
    for _ in workers:
        got = results.get(timeout=120)
        assert isinstance(got, tuple)
        decided[str(got[0])] = list(got[1])
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    all_ids = [i for ids in decided.values() for i in ids]
    assert sorted(all_ids) == sorted(expected)  # every item once, none twice
    assert sum(1 for ids in decided.values() if ids) >= 2  # the work was shared
    db = Database.open(Home.open(tmp_path / "home", create=False), pg_url)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Audit)) == 36
        statuses = session.scalars(select(Sheet.status)).all()
        assert statuses == ["committed"] * 12
        assert session.scalar(select(func.count()).select_from(Record)) == 12


def test_counts_and_claiming_a_given_item(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, DOUBTS)
    factory.sheet("initiale", {**INITIALE, "patient.ipp": "4100200399"},
                  {"patient.sexe": "case(s) douteuse(s)"})
    alice, bob = Queue(factory.db, "alice"), Queue(factory.db, "bob")
    assert alice.counts() == (4, 2)
    target = alice.items()[2]
    assert alice.claim(target.id).claimed_by == "alice"
    assert alice.claim(target.id).claimed_by == "alice"  # renewing the lease
    with pytest.raises(ConflictError):
        bob.claim(target.id)
    alice.accept(target.id)
    assert alice.counts() == (3, 2)


def test_a_required_field_cannot_be_set_empty(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, {"patient.sexe": "case(s) douteuse(s)",
                                         "diagnostic2.statut": "case(s) douteuse(s)"})
    queue = Queue(factory.db, "alice")
    sexe = queue.items(field_id="patient.sexe")[0]
    with pytest.raises(InputError) as info:
        queue.set(sexe.id, "")
    assert info.value.message == (
        "Valeur refusée pour « Sexe » : champ obligatoire, il ne peut pas rester vide "
        "(demander la valeur au médecin, ou passer cet élément).")
    # Diagnostic 2 is optional and unused on this sheet: its statut may stay empty.
    statut2 = queue.items(field_id="diagnostic2.statut")[0]
    assert queue.set(statut2.id, "").item.final is None


def test_an_impossible_date_is_offered_as_read_not_as_empty(factory: Factory) -> None:
    factory.sheet("initiale", {**INITIALE, "activite.date": None},
                  {"activite.date": "date impossible (94/01/2021)"},
                  details={"activite.date": {"read": "94/01/2021"}})
    queue = Queue(factory.db, "alice")
    item = queue.items(field_id="activite.date")[0]
    assert (item.value, item.shown) == (None, "94/01/2021")
    decided = queue.set(item.id, "04/01/2021")
    assert decided.item.final == "2021-01-04" and decided.action == "correct"
