"""Grouped mode ("group verification"): one field across many sheets at once.

The rows are claimed together (so no other reviewer gets them), each with a small crop,
the machine's value and its confidence; the highlighted row is also shown large on top.
Mark rows and accept them with one key, or correct one in place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, ListItem, ListView, Static

from bordereau.errors import BordereauError
from bordereau.forms.manifest import FieldLayout
from bordereau.review import images
from bordereau.review.app_widgets import (
    STATUS,
    CountsBar,
    CropBase,
    FieldPicker,
    ValueInput,
    crop_widget,
    french_number,
    plural,
)
from bordereau.review.queue import Item

if TYPE_CHECKING:
    from bordereau.review.host import ReviewHost

GROUP_SIZE = 40  # rows claimed at once
RENEW_SECONDS = 240.0
THUMB_COLS, THUMB_ROWS = 60, 5


class GroupRow(ListItem):
    """One item of the group: mark, small crop, value, confidence, state."""

    DEFAULT_CSS = """
    GroupRow { height: auto; padding: 0 0 1 0; }
    GroupRow > Horizontal { height: auto; }
    GroupRow .mark { width: 4; }
    GroupRow .thumb { width: auto; max-width: 62; margin-right: 2; }
    GroupRow .side { height: auto; width: 1fr; }
    """

    def __init__(self, item: Item, field: FieldLayout, scan: np.ndarray | None) -> None:
        super().__init__()
        self.item = item
        self.field = field
        self.scan = scan
        self.marked = False
        self.editor: Input | None = None

    @property
    def pending(self) -> bool:
        return self.item.status == "pending"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(classes="mark")
            if self.scan is not None:
                ppm = images.px_per_mm(self.scan, self.field.bounds())
                yield Static(images.blocks(self.scan, THUMB_COLS, THUMB_ROWS, max_scale=2.0 / ppm,
                                           max_strips=2), classes="thumb")
            else:
                yield Static("(pas d’image)", classes="thumb")
            with Vertical(classes="side"):
                yield Static(classes="what")
                yield Static(classes="problem")

    def on_mount(self) -> None:
        self.query_one(".problem").display = False
        self.redraw()

    def redraw(self) -> None:
        self.query_one(".mark", Static).update(
            Text("[x]" if self.marked else "[ ]", style="bold green" if self.marked else "dim"))
        what = Text.assemble((f"{self.item.shown or '∅':<20}", "bold"), "  ",
                             (f"confiance {french_number(self.item.confidence)}", "dim"),
                             f"  bordereau {self.item.serial}")
        if not self.pending:
            what.append(f"   ✓ {STATUS.get(self.item.status, self.item.status)}",
                        style="bold cyan")
        if self.item.reason:
            what.append(f"\n{self.item.reason}", style="yellow")
        self.query_one(".what", Static).update(what)


class GroupList(ListView):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Accepter les marquées", key_display="Entrée"),
    ]


class GroupScreen(Screen[None]):
    """The same field across many sheets: mark, accept all marked, correct one in place."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "mark", "Marquer", key_display="Espace"),
        Binding("t", "mark_all", "Tout marquer", key_display="t"),
        Binding("a", "accept_all", "Tout accepter", key_display="a"),
        Binding("c,f2", "correct", "Corriger", key_display="c"),
        Binding("f", "pick", "Champ", key_display="f"),
        Binding("o,ctrl+o", "page", "Page", key_display="o"),
        Binding("escape,ctrl+g,f4", "leave", "Retour", key_display="Échap"),
        Binding("q", "app.quit", "Quitter", key_display="q"),
    ]
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
        yield GroupList(id="rows")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#loupe", CropBase).set_max_rows(max(6, self.app.size.height // 4))
        if self.field_id is None:
            pending = self.review.queue.items("pending")
            self.field_id = pending[0].field_id if pending else None
        self.load()
        self.set_interval(RENEW_SECONDS, self._renew)

    def _renew(self) -> None:
        """Claims are leases: keep the rows still to review."""
        for row in self.rows:
            if row.pending:
                self.review.claim(row.item)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While a row is being corrected, only Enter and Échap mean something."""
        return self.editing is None or action in {"leave", "submit"}

    # -- rows ---------------------------------------------------------------------------
    def load(self) -> None:
        """Claim up to GROUP_SIZE pending items of the field and list them."""
        self.release_rows()
        rows: list[GroupRow] = []
        seen: set[int] = set()
        while self.field_id and len(rows) < GROUP_SIZE:
            item = self.review.claim_next(self.field_id, seen)
            if item is None or item.id in seen:
                break
            seen.add(item.id)
            try:
                field = self.review.field(item.id)
                crop, _ = self.review.queue.images(item.id)
            except BordereauError as exc:
                self.review.say(exc.message, error=True)
                continue
            self.field = field
            rows.append(GroupRow(item, field, images.decode(crop)))
        self.rows = rows
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

    def retitle(self) -> None:
        title = self.query_one("#title", Static)
        if not self.rows or self.field is None:
            title.update(Text("Mode groupé : rien à vérifier pour ce champ "
                              "(f : choisir un autre champ, Échap : retour).", style="bold"))
            return
        pending = sum(row.pending for row in self.rows)
        marked = sum(row.marked for row in self.rows)
        title.update(Text.assemble(
            "Mode groupé · ", (self.field.label, "bold"), "  ", (self.field.id, "dim"),
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
        loupe.show(crop, row.field.bounds())
        detail.update(Text.assemble(
            "Bordereau ", (row.item.serial, "bold"), f" · page {row.item.page} · lecture ",
            (row.item.shown or "∅", "bold"), f" · confiance {french_number(row.item.confidence)}"))

    def on_list_view_highlighted(self, event: ListView.Highlighted) -> None:
        if self.editing is not None and event.item is not self.editing:
            self.stop_editing()
        self.show_detail()

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        event.stop()
        marked = [row for row in self.rows if row.marked]
        self.accept(marked or ([self.current] if self.current else []))
        if not marked:
            self.next_pending()

    # -- decisions ----------------------------------------------------------------------
    def accept(self, rows: list[GroupRow]) -> None:
        """Accept the machine's value of every pending row given (each one once)."""
        done, committed = 0, []
        for row in rows:
            row.marked = False
            if not row.pending:
                row.redraw()
                continue
            decision = self.review.decide(row.item, row.item.shown)
            if decision is not None:
                row.item = decision.item
                done += 1
                if decision.record_id is not None:
                    committed.append(decision.item.serial)
            row.redraw()
        if done:
            self.review.say(f"{plural(done, 'élément')} accepté{'s' if done > 1 else ''}.")
        self.after_decisions()

    def after_decisions(self) -> None:
        self.review.refresh_counts()
        self.retitle()
        self.show_detail()
        if self.rows and not any(row.pending for row in self.rows):
            more = self.review.queue.items("pending", field_id=self.field_id, limit=1)
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
        row.marked = not row.marked
        row.redraw()
        self.retitle()
        listing = self.query_one("#rows", GroupList)
        if listing.index is not None and listing.index + 1 < len(self.rows):
            listing.index += 1  # mark and move on, like a checklist

    def action_mark_all(self) -> None:
        pending = [row for row in self.rows if row.pending]
        state = not all(row.marked for row in pending)
        for row in pending:
            row.marked = state
            row.redraw()
        self.retitle()

    def action_accept_all(self) -> None:
        self.accept([row for row in self.rows if row.pending])

    # -- correcting one row in place ----------------------------------------------------
    @property
    def editing(self) -> GroupRow | None:
        return next((row for row in self.rows if row.editor is not None), None)

    def action_correct(self) -> None:
        row = self.current
        if row is None or self.editing is not None:
            return
        editor = ValueInput(row.item.shown, select_on_focus=True, classes="editor")
        row.editor = editor
        row.query_one(".side", Vertical).mount(editor, before=row.query_one(".problem"))
        editor.focus()
        self.refresh_bindings()

    def stop_editing(self) -> None:
        row = self.editing
        if row is None or row.editor is None:
            return
        row.editor.remove()
        row.editor = None
        row.query_one(".problem").display = False
        self.query_one("#rows", GroupList).focus()
        self.refresh_bindings()

    def on_input_changed(self, event: Input.Changed) -> None:
        row = self.editing
        if row is None:
            return
        _, error = self.review.check(row.field, event.value)
        problem = row.query_one(".problem", Static)
        problem.update(Text(f" ✗ {error} ", style="bold white on red") if error else "")
        problem.display = bool(error)

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
        self.after_decisions()
        self.next_pending()

    # -- elsewhere ----------------------------------------------------------------------
    def action_leave(self) -> None:
        if self.editing is not None:
            self.stop_editing()
            return
        self.release_rows()
        self.dismiss(None)

    def action_pick(self) -> None:
        pending = self.review.queue.items("pending")
        if not pending:
            self.review.say("Rien à vérifier.")
            return
        self.app.push_screen(FieldPicker(pending, self.field_id), self._picked)

    def _picked(self, field_id: str | None) -> None:
        if field_id:
            self.release_rows()
            self.rows = []
            self.field_id = field_id
            self.load()

    def action_page(self) -> None:
        row = self.current
        if row is None:
            return
        from bordereau.review.app_page import PageScreen

        try:
            _, page = self.review.queue.images(row.item.id)
        except BordereauError as exc:
            self.review.say(exc.message, error=True)
            return
        self.app.push_screen(PageScreen(row.item, row.field, page))
