"""The review application, driven from the keyboard by Textual's Pilot.

Each test builds a base with the factory (real generated forms, no scanning), opens the
application on it and checks what the keys did to the queue. Coroutines run under
``asyncio.run`` so that no pytest plugin is needed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from bordereau.errors import InputError
from bordereau.review.app import ReviewApp
from bordereau.review.app_group import GroupRow, GroupScreen
from bordereau.review.app_page import PageScreen
from bordereau.review.app_single import ReviewScreen
from bordereau.review.app_widgets import ValueInput
from bordereau.review.queue import Decision, Item, Queue
from tests.conftest import LYON
from tests.factories import INITIALE, Factory

SIZE = (120, 40)


class Spy(Queue):
    """A queue that remembers every decision asked of it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[str, int]] = []

    def accept(self, item_id: int) -> Decision:
        self.calls.append(("accept", item_id))
        return super().accept(item_id)

    def set(self, item_id: int, text: str) -> Decision:
        self.calls.append(("set", item_id))
        return super().set(item_id, text)


def drive(queue: Queue, script: Callable[[ReviewApp, Pilot[None]], Awaitable[None]]) -> ReviewApp:
    """Run the application on ``queue`` and let ``script`` press keys."""
    app = ReviewApp(queue, graphics="halfblocks")

    async def main() -> None:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await script(app, pilot)
            await pilot.pause()

    asyncio.run(main())
    return app


def single(app: ReviewApp) -> ReviewScreen:
    assert isinstance(app.screen, ReviewScreen)
    return app.screen


def message(app: ReviewApp) -> str:
    return str(app.screen.query_one("#message", Static).content)


def by_field(queue: Queue) -> dict[str, Item]:
    return {item.field_id: item for item in queue.items(status=None)}


@pytest.fixture
def factory(tmp_path: Path) -> Factory:
    return Factory(tmp_path, LYON)


def test_enter_accepts_the_prefilled_value_and_commits_the_sheet(factory: Factory) -> None:
    sheet = factory.sheet("initiale", INITIALE, doubtful={
        "patient.nom_naissance": "lecture incertaine", "patient.ipp": "chiffre douteux"})
    queue = Spy(factory.db, "alice")
    seen: list[tuple[str, str, int]] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        screen = single(app)
        assert screen.item is not None
        value = screen.query_one("#value", ValueInput)
        seen.append((screen.item.field_id, value.value, app.counts[0]))
        assert "accepter la lecture" in message(app)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.item is not None
        seen.append((screen.item.field_id, value.value, app.counts[0]))
        await pilot.press("enter")
        await pilot.pause()

    app = drive(queue, script)
    # Ordered by confidence then position: both 0.4, the name comes first on the page.
    assert seen == [("patient.nom_naissance", "MARTIN", 2), ("patient.ipp", "4100200300", 1)]
    items = by_field(queue)
    assert items["patient.nom_naissance"].status == "accepted"
    assert items["patient.nom_naissance"].final == "MARTIN"
    assert items["patient.ipp"].sheet_status == "committed"
    assert [c[0] for c in queue.calls] == ["accept", "accept"]
    assert f"Bordereau {sheet.serial} enregistré (version 1)." in app.messages
    assert "Rien à vérifier" in app.messages
    assert app.counts == (0, 0)
    assert queue.items(status="pending") == []


def test_typing_replaces_the_guess_and_corrects(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, doubtful={"patient.nom_naissance": "lecture incertaine"})
    queue = Queue(factory.db, "alice")
    previews: list[str] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        await pilot.press(*"durand")
        previews.append(message(app))
        await pilot.press("enter")

    drive(queue, script)
    assert "corriger en « DURAND »" in previews[0]
    item = by_field(queue)["patient.nom_naissance"]
    assert (item.status, item.final, item.shown) == ("corrected", "DURAND", "DURAND")


def test_an_invalid_value_is_refused_in_french_and_nothing_is_recorded(
        factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, doubtful={"patient.nom_naissance": "lecture incertaine",
                                                   "patient.date_naissance": "date douteuse"})
    queue = Spy(factory.db, "alice")
    shown: list[tuple[str, str]] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        screen = single(app)
        await pilot.press(*"mart1n")
        await pilot.press("enter")
        await pilot.pause()
        assert screen.item is not None
        shown.append((screen.item.field_id, message(app)))
        await pilot.press("ctrl+a", "ctrl+k", *"martin", "enter")  # fix it: accepted
        await pilot.pause()
        await pilot.press(*"31/02/2012", "enter")
        await pilot.pause()
        assert screen.item is not None
        shown.append((screen.item.field_id, message(app)))

    drive(queue, script)
    assert shown[0] == ("patient.nom_naissance", "✗ lettres seulement (et - ' ou espace)")
    assert shown[1] == ("patient.date_naissance", "✗ date impossible (31/02/2012)")
    items = by_field(queue)
    assert items["patient.nom_naissance"].status == "accepted"
    assert items["patient.date_naissance"].status == "pending"
    assert queue.calls == [("accept", items["patient.nom_naissance"].id)]


def test_escape_skips_and_releases_then_r_looks_again(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, doubtful={"patient.nom_naissance": "lecture incertaine",
                                                   "patient.ipp": "chiffre douteux"})
    queue = Queue(factory.db, "alice")
    steps: list[Any] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        screen = single(app)
        await pilot.press("escape")
        await pilot.pause()
        steps.append((screen.item and screen.item.field_id,
                      by_field(queue)["patient.nom_naissance"].claimed_by))
        await pilot.press("escape")
        await pilot.pause()
        steps.append((screen.item, str(screen.query_one("#empty", Static).content)))
        await pilot.press("r")
        await pilot.pause()
        steps.append(screen.item and screen.item.field_id)

    drive(queue, script)
    assert steps[0] == ("patient.ipp", None)  # released back to the queue
    assert steps[1][0] is None
    assert "Rien à vérifier" in steps[1][1]
    assert "2 éléments passés pendant cette séance" in steps[1][1]
    assert steps[2] == "patient.nom_naissance"
    assert [(item.status, item.claimed_by) for item in queue.items()] == [
        ("pending", None), ("pending", None)]  # nothing decided; released on leaving


def test_going_back_to_a_decided_item_decides_it_again(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, doubtful={"patient.nom_naissance": "lecture incertaine",
                                                   "patient.ipp": "chiffre douteux"})
    queue = Spy(factory.db, "alice")
    seen: list[Any] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        screen = single(app)
        await pilot.press("enter")  # accept MARTIN
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert screen.item is not None
        seen.append((screen.item.field_id, screen.item.status, message(app)))
        await pilot.press("enter")  # unchanged: nothing recorded, on to the next one
        await pilot.pause()
        seen.append(screen.item and screen.item.field_id)
        await pilot.press("ctrl+r")
        await pilot.pause()
        await pilot.press(*"martine", "enter")  # a real correction of a decided item
        await pilot.pause()
        seen.append(screen.item and screen.item.field_id)

    drive(queue, script)
    name = by_field(queue)["patient.nom_naissance"]
    assert seen[0] == ("patient.nom_naissance", "accepted", "Entrée : garder « MARTIN »")
    assert seen[1] == "patient.ipp"
    assert seen[2] == "patient.ipp"
    assert (name.status, name.final) == ("corrected", "MARTINE")
    assert queue.calls == [("accept", name.id), ("set", name.id)]
    assert by_field(queue)["patient.ipp"].claimed_by is None


def test_choices_are_numbered_and_a_number_selects(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, doubtful={"patient.sexe": "case ambiguë",
                                                   "activite.objectifs": "deux cases ?"})
    queue = Queue(factory.db, "alice")
    texts: list[str] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        screen = single(app)
        grid = screen.query_one("#choices", Static)
        assert grid.display
        await pilot.press("2")
        texts.append(message(app))
        await pilot.press("enter")
        await pilot.pause()
        assert screen.item is not None and screen.item.field_id == "activite.objectifs"
        await pilot.press(*"1, suiv", "enter")

    drive(queue, script)
    assert texts[0] == "Entrée : corriger en « Masculin »"
    items = by_field(queue)
    assert items["patient.sexe"].final == "M"
    assert items["activite.objectifs"].final == ["MED-097", "ORG-047"]


def test_whole_page_view_toggles(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, doubtful={"patient.date_naissance": "date douteuse"})
    queue = Queue(factory.db, "alice")
    seen: list[Any] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        item = single(app).item
        await pilot.press("ctrl+o")
        await pilot.pause()
        page = app.screen
        assert isinstance(page, PageScreen)
        seen.append((page.item.id == (item and item.id), page.view.box.width > 3,
                     page.view.box.y > 0))
        await pilot.press("plus")
        await pilot.pause()
        seen.append(page.view.zoom)
        await pilot.press("escape")
        await pilot.pause()
        seen.append(single(app).item == item)

    drive(queue, script)
    assert seen == [(True, True, True), 1.5, True]
    assert by_field(queue)["patient.date_naissance"].status == "pending"


def test_grouped_mode_accepts_marked_rows_once_and_corrects_in_place(
        factory: Factory) -> None:
    for name in ("MARTIN", "DUPONT", "DURAND", "PETIT"):
        values = INITIALE | {"patient.nom_naissance": name}
        factory.sheet("initiale", values, doubtful={"patient.nom_naissance": "lecture incertaine",
                                                    "patient.ipp": "chiffre douteux"})
    queue = Spy(factory.db, "alice")
    seen: list[Any] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        await pilot.press("ctrl+g")
        await pilot.pause()
        group = app.screen
        assert isinstance(group, GroupScreen)
        rows = list(group.query(GroupRow))
        seen.append([row.item.shown for row in rows])
        seen.append({item.claimed_by for item in queue.items(field_id="patient.nom_naissance")})
        await pilot.press("space", "space")  # mark the first two (marking moves down)
        await pilot.press("enter")  # accept the marked ones
        await pilot.pause()
        seen.append([row.item.status for row in rows])
        await pilot.press("c")  # correct the third in place
        await pilot.pause()
        await pilot.press(*"petit2", "enter")
        await pilot.pause()
        seen.append(str(rows[2].query_one(".problem", Static).content).strip())
        await pilot.press("backspace", "enter")
        await pilot.pause()
        await pilot.press("a")  # accept all the rest (only the fourth is left)
        await pilot.pause()
        await pilot.press("a")  # nothing left: no item is decided twice
        await pilot.pause()
        seen.append([row.item.status for row in rows])
        await pilot.press("escape")
        await pilot.pause()
        screen = single(app)
        seen.append(screen.item and screen.item.field_id)

    app = drive(queue, script)
    assert seen[0] == ["MARTIN", "DUPONT", "DURAND", "PETIT"]
    assert seen[1] == {"alice"}
    assert seen[2] == ["accepted", "accepted", "pending", "pending"]
    assert seen[3] == "✗ lettres seulement (et - ' ou espace)"
    assert seen[4] == ["accepted", "accepted", "corrected", "accepted"]
    assert seen[5] == "patient.ipp"
    decided = Counter(item_id for _, item_id in queue.calls)
    names = queue.items(status=None, field_id="patient.nom_naissance")
    assert sorted(decided) == sorted(item.id for item in names)
    assert set(decided.values()) == {1}
    assert [item.final for item in names] == ["MARTIN", "DUPONT", "PETIT", "PETIT"]
    assert "2 éléments acceptés." in app.messages


def test_library_errors_are_notifications_not_crashes(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, doubtful={"patient.nom_naissance": "lecture incertaine",
                                                   "patient.ipp": "chiffre douteux"})
    # Alice's lease ends at once, so Bob can take her item while she looks at it.
    queue = Queue(factory.db, "alice", lease=dt.timedelta(seconds=-1))
    bob = Queue(factory.db, "bob")

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        screen = single(app)
        assert screen.item is not None
        taken = bob.claim_next(field_id=screen.item.field_id)
        assert taken is not None and taken.id == screen.item.id
        await pilot.press("enter")
        await pilot.pause()

        def refuse(item_id: int, text: str) -> Decision:
            raise InputError("Valeur refusée pour « IPP » : essai.")

        app.queue.set = refuse  # type: ignore[method-assign]
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("1", "enter")
        await pilot.pause()

    app = drive(queue, script)
    assert any(m.startswith("Élément ") and "réservé par bob" in m for m in app.messages)
    assert "Valeur refusée pour « IPP » : essai." in app.messages
    assert [item.status for item in queue.items()] == ["pending", "pending"]


def test_an_empty_queue_says_so_and_q_quits(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE)
    queue = Queue(factory.db, "alice")
    seen: list[Any] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        seen.append(str(app.screen.query_one("#empty", Static).content))
        await pilot.press("q")

    app = drive(queue, script)
    assert seen[0].startswith("Rien à vérifier.")
    assert app.return_code == 0 and not app.is_running


def test_quitting_releases_the_current_claim(factory: Factory) -> None:
    factory.sheet("initiale", INITIALE, doubtful={"patient.nom_naissance": "lecture incertaine"})
    queue = Queue(factory.db, "alice")
    claimed: list[str | None] = []

    async def script(app: ReviewApp, pilot: Pilot[None]) -> None:
        claimed.append(queue.items()[0].claimed_by)
        await pilot.press("ctrl+q")

    drive(queue, script)
    assert claimed == ["alice"]
    assert queue.items()[0].claimed_by is None
