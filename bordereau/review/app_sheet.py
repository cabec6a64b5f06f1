"""Grouped mode by sheet (``^b``): every doubtful item of one sheet on one screen.

One row per item, one decision each: the rows already right are marked (Espace) and
accepted together (Entrée), a suggestion is taken with its key (F5…F8) on the highlighted
row, a blank required item or two marks go to the clinician (F9), the others are corrected
in place (c). Each decision re-checks the sheet: the rows it settles are shown settled, the
others' reasons are rewritten. Comments are never marked nor accepted in bulk. When every
row is decided, the next sheet comes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType

from bordereau.base.states import ReadingStatus
from bordereau.errors import BordereauError
from bordereau.forms.manifest import FieldLayout
from bordereau.forms.model import KIND_NAMES
from bordereau.review.app_group import GroupScreen
from bordereau.review.app_widgets import EVIDENCE_BINDINGS
from bordereau.review.queue import Decision, Item


def paper_order(item: Item, field: FieldLayout) -> tuple[bool, int, float, float]:
    """Rows in the order of the paper, to compare top to bottom; the patient label first
    (what it says may settle the identity written by hand)."""
    x, y, _, _ = field.bounds()
    return item.field_id != "patient.etiquette", field.page, round(y), x


class SheetScreen(GroupScreen):
    """The doubtful items of one sheet, one row each."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # The footer fits 100 columns: the suggestions' keys are shown in their rows.
        Binding("space", "mark", "Marquer", key_display="Espace"),
        Binding("t", "mark_all", "Tout", show=False),
        Binding("c,f2", "correct", "Corriger", key_display="c"),
        *EVIDENCE_BINDINGS,
        Binding("f", "by_field", "Champ", key_display="f"),
        Binding("n", "next_sheet", "Suiv.", key_display="n"),
        Binding("o,ctrl+o", "page", "Page", key_display="o"),
        Binding("escape,ctrl+b,b", "leave", "Retour", key_display="Échap"),
        Binding("q", "app.quit", "Quitter", key_display="q"),
    ]
    MODE = "Fiche"
    named = True  # rows of different fields: each row names its field

    def __init__(self, serial: str | None) -> None:
        super().__init__(None)
        self.serial = serial
        self.passed: set[str] = set()  # sheets left with « n » during this visit

    @property
    def marks_key(self) -> str:
        return f"fiche:{self.serial}" if self.serial else ""

    def next_serial(self) -> str | None:
        """The first sheet with items to review, other than this one and those passed."""
        skip = self.passed | {self.serial or ""}
        for item in self.review.queue.items(ReadingStatus.PENDING):
            if item.serial not in skip:
                return item.serial
        return None

    def collect(self) -> list[Item]:
        if self.serial is None:  # opened with nothing on screen: the first sheet waiting
            self.serial = self.next_serial()
        if not self.serial:
            return []
        items: list[Item] = []
        for listed in self.review.queue.items(ReadingStatus.PENDING, serial=self.serial):
            claimed = self.review.claim(listed)
            if claimed is not None and claimed.open:
                items.append(claimed)
        return sorted(items, key=lambda i: paper_order(i, self.review.field(i.id)))

    def what(self) -> Text:
        found = self.rows[0].item.sheet_kind if self.rows else "initiale"
        kind = KIND_NAMES.get(found, "fiche initiale")
        return Text.assemble("bordereau ", (self.serial or "", "bold"), f" ({kind})")

    def nothing(self) -> str:
        return "rien à vérifier sur ce bordereau (Échap : retour)."

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.editing is not None or action not in {"suggest", "ask", "new_patient"}:
            return super().check_action(action, parameters)
        row = self.current
        if row is None or not row.pending:
            return False
        if action == "suggest":
            return len(row.item.suggestions) > int(str(parameters[0]) if parameters else 0)
        unknown = row.item.field_id == "patient.ipp" and row.item.sheet_kind == "suivi" \
            and "patient inconnu" in (row.item.reason or "")
        if action == "ask":  # on an unknown patient, ^n (or a candidate) takes its place
            return row.field.kind != "free_text" and not unknown
        return unknown

    # -- decisions on the highlighted row ------------------------------------------------
    def action_suggest(self, index: int) -> None:
        row = self.current
        if row is None or not row.pending or index >= len(row.item.suggestions):
            return
        self._decided(row.item, self.review.decide(row.item, row.item.suggestions[index].shown))

    def action_ask(self) -> None:
        self._act(self.review.ask_clinician)

    def action_new_patient(self) -> None:
        self._act(self.review.create_patient)

    def _act(self, act: Callable[[Item], Decision | None]) -> None:
        row = self.current
        if row is None or not row.pending:
            return
        self._decided(row.item, act(row.item))

    def _decided(self, item: Item, decision: Decision | None) -> None:
        if decision is None:
            return
        for row in self.rows:
            if row.item.id == item.id:
                row.item, row.marked = decision.item, False
        self.keep_marks()
        if not self.after_decisions():
            self.next_pending()
        self.show_detail()

    def refresh_rows(self) -> None:
        """After a decision the sheet was checked again: rows settled by it say so, the
        others show their new reason (and the row's suggestions as they are now)."""
        for row in self.rows:
            if not row.pending:
                continue
            try:
                fresh = self.review.queue.get(row.item.id)
            except BordereauError as exc:
                self.review.say(exc.message, error=True)
                continue
            if fresh != row.item:
                row.item = fresh
                if not fresh.open:
                    row.marked = False
                    self.review.claimed.discard(fresh.id)
                row.redraw()
        self.keep_marks()

    def all_decided(self) -> None:
        self.review.say(f"Bordereau {self.serial} : tout est décidé.")
        self.action_next_sheet()

    # -- moving --------------------------------------------------------------------------
    def action_next_sheet(self) -> None:
        """The next sheet with items to review (this one's marks are kept)."""
        if self.rows and any(row.pending for row in self.rows):
            self.passed.add(self.serial or "")
        serial = self.next_serial()
        if serial is None:
            self.review.say("Plus aucun bordereau à vérifier : Échap pour revenir.")
            return
        self.keep_marks()
        self.serial = serial
        self.load()

    def action_by_field(self) -> None:
        """The highlighted row's field across every sheet (grouped mode by field)."""
        row = self.current
        if row is None:
            return
        self.keep_marks()
        self.release_rows()
        self.dismiss(("field", row.item.field_id))
