"""Grouped mode ("group verification"): one field across many sheets at once.

The rows are claimed together (so no other reviewer gets them), each with a small crop,
the machine's value and its confidence; the highlighted row is also shown large on top.
Mark rows and accept them with one key, or correct one in place. ``app_sheet`` (every item
of one sheet) and ``app_answers`` (the clinician's answers) are the same screen with other
rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Input, ListView, Static

from bordereau.base.states import ReadingStatus
from bordereau.errors import BordereauError
from bordereau.forms.manifest import FieldLayout
from bordereau.review import images
from bordereau.review.app_group_row import GroupList, GroupRow
from bordereau.review.app_widgets import (
    CountsBar,
    CropBase,
    FieldPicker,
    choices_extent,
    crop_widget,
    french_number,
    plural,
)
from bordereau.review.queue import Item

if TYPE_CHECKING:
    from bordereau.review.host import ReviewHost

GROUP_SIZE = 40  # rows claimed at once
RENEW_SECONDS = 240.0
NO_BULK_KINDS = frozenset({"free_text"})  # each one read and decided on its own


Switch = tuple[str, str]  # leaving for another grouped mode: ("sheet", serial), ("field", id)


class GroupScreen(Screen[Switch | None]):
    """The same field across many sheets: mark, accept all marked, correct one in place."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "mark", "Marquer", key_display="Espace"),
        Binding("t", "mark_all", "Tout", key_display="t"),
        Binding("a", "accept_all", "Tout accepter", show=False),  # t then Entrée, shown
        Binding("c,f2", "correct", "Corriger", key_display="c"),
        Binding("f", "pick", "Champ", key_display="f"),
        Binding("b,ctrl+b", "by_sheet", "Fiche", key_display="b"),
        Binding("o,ctrl+o", "page", "Page", key_display="o"),
        Binding("escape,ctrl+g,f4", "leave", "Retour", key_display="Échap"),
        Binding("q", "app.quit", "Quitter", key_display="q"),
    ]
    MODE = "Mode groupé"
    LIST: type[GroupList] = GroupList
    DEFAULT_CSS = """
    GroupScreen #title { padding: 0 1; height: auto; background: $boost; }
    GroupScreen #loupe { margin: 0 1; }
    GroupScreen #detail { padding: 0 1; height: auto; }
    GroupScreen #rows { height: 1fr; border-top: solid $primary; }
    """

    def __init__(self, field_id: str | None) -> None:
        super().__init__()
        self.field_id = field_id
        self.field: FieldLayout | None = None
        self.rows: list[GroupRow] = []

    @property
    def review(self) -> ReviewHost:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield CountsBar()
        yield Static(id="title")
        yield crop_widget(self.review.graphics, max_rows=8, id="loupe")
        yield Static(id="detail")
        yield self.LIST(id="rows")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#loupe", CropBase).set_max_rows(max(6, self.app.size.height // 4))
        if self.field_id is None and not self.named:
            pending = self.review.queue.items(ReadingStatus.PENDING)
            self.field_id = pending[0].field_id if pending else None
        self.load()
        self.set_interval(RENEW_SECONDS, self._renew)

    def _renew(self) -> None:
        """Claims are leases: keep the rows still to review."""
        for row in self.rows:
            if row.pending:
                self.review.claim(row.item)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While a row is being corrected, only Enter and Échap mean something; free text
        is never accepted in bulk."""
        if self.editing is not None:
            return action in {"leave", "submit"}
        if action in {"accept_all", "mark_all"}:
            if self.rows:
                return any(row.bulk for row in self.rows)
            return self.field is None or self.field.kind not in NO_BULK_KINDS
        return True

    @property
    def marks_key(self) -> str:
        """Where the marks of these rows are kept (per field; per sheet in ``app_sheet``)."""
        return self.field_id or ""

    def keep_marks(self) -> None:
        """Remember the marks for when the reviewer comes back."""
        if self.marks_key:
            self.review.marks[self.marks_key] = {row.item.id for row in self.rows
                                                 if row.marked and row.pending}

    def collect(self) -> list[Item]:
        """Claim the rows' items: up to GROUP_SIZE pending items of the field."""
        items: list[Item] = []
        seen: set[int] = set()
        while self.field_id and len(items) < GROUP_SIZE:
            item = self.review.claim_next(self.field_id, seen)
            if item is None or item.id in seen:
                break
            seen.add(item.id)
            items.append(item)
        return items

    # -- rows ---------------------------------------------------------------------------
    def load(self) -> None:
        """Claim up to GROUP_SIZE pending items of the field and list them (with the marks
        left on them earlier)."""
        self.release_rows()
        marks = self.review.marks.get(self.marks_key, set())
        big = self.app.size.width >= 140 and self.app.size.height >= 44
        rows: list[GroupRow] = []
        for item in self.collect():
            try:
                field = self.review.field(item.id)
                crop, _ = self.review.queue.images(item.id)
            except BordereauError as exc:
                self.review.say(exc.message, error=True)
                continue
            self.field = field
            rows.append(GroupRow(item, field, images.decode(crop), item.id in marks, big,
                                 named=self.named))
        self.rows = rows
        self.refresh_bindings()
        listing = self.query_one("#rows", GroupList)
        listing.clear()
        listing.extend(rows)
        if rows:
            listing.index = 0
        listing.focus()
        self.retitle()
        self.show_detail()

    def release_rows(self) -> None:
        for row in self.rows:
            if row.pending:
                self.review.release(row.item.id)

    named = False  # rows of one field: the title names it

    def what(self) -> Text:
        """What the rows are (the title's start)."""
        assert self.field is not None
        return Text.assemble((self.field.label, "bold"), "  ", (self.field.id, "dim"))

    def nothing(self) -> str:
        return "rien à vérifier pour ce champ (f : choisir un autre champ, Échap : retour)."

    def retitle(self) -> None:
        title = self.query_one("#title", Static)
        if not self.rows or self.field is None:
            title.update(Text(f"{self.MODE} : {self.nothing()}", style="bold"))
            return
        pending = sum(row.pending for row in self.rows)
        marked = sum(row.marked for row in self.rows)
        title.update(Text.assemble(
            f"{self.MODE} · ", self.what(),
            f" · {plural(len(self.rows), 'ligne')}, {pending} à vérifier, "
            f"{plural(marked, 'marquée')}"))

    @property
    def current(self) -> GroupRow | None:
        child = self.query_one("#rows", GroupList).highlighted_child
        return child if isinstance(child, GroupRow) else None

    def show_detail(self) -> None:
        loupe = self.query_one("#loupe", CropBase)
        row = self.current
        detail = self.query_one("#detail", Static)
        if row is None:
            loupe.display = False
            detail.update("")
            return
        loupe.display = True
        try:
            crop, _ = self.review.queue.images(row.item.id)
        except BordereauError as exc:
            self.review.say(exc.message, error=True)
            return
        loupe.show(crop, row.field.bounds(), 3,
                   choices_extent(row.field) if row.field.choices else None)
        detail.update(Text.assemble(
            "Bordereau ", (row.item.serial, "bold"), f" · page {row.item.page} · lecture ",
            (row.item.shown or "∅", "bold"), f" · confiance {french_number(row.item.confidence)}"))

    def on_list_view_highlighted(self, event: ListView.Highlighted) -> None:
        if self.editing is not None and event.item is not self.editing:
            self.stop_editing()
        self.show_detail()

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        marked = [row for row in self.rows if row.marked and row.bulk]
        if not self.accept(marked or ([self.current] if self.current else [])) and not marked:
            self.next_pending()

    # -- decisions ----------------------------------------------------------------------
    def accept(self, rows: list[GroupRow]) -> bool:
        """Accept the machine's value of every pending row given (each one once)."""
        done = 0
        for row in rows:
            if done:
                self.refresh_rows()  # the last decision re-checked the sheet
            row.marked = False
            if not row.pending:
                row.redraw()
                continue
            decision = self.review.decide(row.item, row.item.shown)
            if decision is not None:
                row.item = decision.item
                done += 1
            row.redraw()
        if done:
            self.review.say(f"{plural(done, 'élément')} accepté{'s' if done > 1 else ''}.")
        self.keep_marks()
        return self.after_decisions()

    def after_decisions(self) -> bool:
        """Counts, rows and title after decisions; True when other rows were loaded."""
        self.review.refresh_counts()
        self.refresh_rows()
        self.retitle()
        self.show_detail()
        if self.rows and not any(row.pending for row in self.rows):
            before = list(self.rows)
            self.all_decided()
            return self.rows != before
        return False

    def refresh_rows(self) -> None:
        """The rows as the base has them now (a decision re-checks its sheet)."""

    def all_decided(self) -> None:
        """Every row is decided: the next rows of the field."""
        more = self.review.queue.items(ReadingStatus.PENDING, field_id=self.field_id, limit=1)
        if more:
            self.review.say("Lignes suivantes de ce champ.")
            self.load()
        else:
            self.review.say("Plus rien à vérifier pour ce champ : f pour en choisir un "
                            "autre, Échap pour revenir.")

    def next_pending(self) -> None:
        """Highlight the next row still to review (after the current one)."""
        listing = self.query_one("#rows", GroupList)
        start = (listing.index or 0) + 1
        for index in range(start, len(self.rows)):
            if self.rows[index].pending:
                listing.index = index
                return

    def action_mark(self) -> None:
        row = self.current
        if row is None or not row.pending:
            return
        if not row.bulk:
            self.review.say("Un commentaire se lit et se décide seul (c pour le recopier).")
            return
        row.marked = not row.marked
        row.redraw()
        self.retitle()
        self.keep_marks()
        listing = self.query_one("#rows", GroupList)
        if listing.index is not None and listing.index + 1 < len(self.rows):
            listing.index += 1  # mark and move on, like a checklist

    def action_mark_all(self) -> None:
        pending = [row for row in self.rows if row.pending and row.bulk]
        state = not all(row.marked for row in pending)
        for row in pending:
            row.marked = state
            row.redraw()
        self.retitle()
        self.keep_marks()

    def action_accept_all(self) -> None:
        self.accept([row for row in self.rows if row.pending and row.bulk])

    # -- correcting one row in place ----------------------------------------------------
    @property
    def editing(self) -> GroupRow | None:
        return next((row for row in self.rows if row.editor is not None), None)

    def action_correct(self) -> None:
        row = self.current
        if row is None or self.editing is not None:
            return
        row.open_editor()
        self.refresh_bindings()

    def stop_editing(self) -> None:
        row = self.editing
        if row is None:
            return
        row.close_editor()
        self.query_one("#rows", GroupList).focus()
        self.refresh_bindings()

    def on_input_changed(self, event: Input.Changed) -> None:
        row = self.editing
        if row is None:
            return
        row.show_problem(self.review.check(row.field, event.value)[1])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        row = self.editing
        if row is None:
            return
        _, error = self.review.check(row.field, event.value)
        if error:
            self.app.bell()
            return
        if row.pending or not self.review.unchanged(row.item, event.value):
            decision = self.review.decide(row.item, event.value)
            if decision is None:
                return
            row.item = decision.item
        row.marked = False
        self.stop_editing()
        row.redraw()
        self.keep_marks()
        if not self.after_decisions():
            self.next_pending()
        self.show_detail()  # the large crop follows the highlight, never the corrected row
        self.review.say(f"Corrigé : {row.item.label} ({row.item.serial}) = "
                        f"{row.item.shown or 'vide'}.")

    # -- elsewhere ----------------------------------------------------------------------
    def action_leave(self) -> None:
        if self.editing is not None:
            self.stop_editing()
            return
        self.keep_marks()
        self.release_rows()
        self.dismiss(None)

    def action_pick(self) -> None:
        pending = self.review.queue.items(ReadingStatus.PENDING)
        if not pending:
            self.review.say("Rien à vérifier.")
            return
        self.app.push_screen(FieldPicker(pending, self.field_id), self._picked)

    def action_by_sheet(self) -> None:
        """Every doubtful item of the highlighted row's sheet on one screen."""
        row = self.current
        if row is None:
            return
        self.keep_marks()
        self.release_rows()
        self.dismiss(("sheet", row.item.serial))

    def _picked(self, field_id: str | None) -> None:
        if field_id:
            self.keep_marks()
            self.release_rows()
            self.rows = []
            self.field_id = field_id
            self.load()

    def action_page(self) -> None:
        from bordereau.review.app_page import page_of

        row = self.current
        if row is not None and (screen := page_of(self.review, row.item, row.field)):
            self.app.push_screen(screen)
