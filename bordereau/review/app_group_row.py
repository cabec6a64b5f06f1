"""One row of the grouped screens (by field, by sheet, the clinician's answers): a mark,
the row's crop cut to what is written, the value, its confidence and why it is doubtful."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, ListItem, ListView, Static

from bordereau.forms.manifest import FieldLayout
from bordereau.review import images
from bordereau.review.app_widgets import STATUS, ValueInput, choices_extent, french_number
from bordereau.review.queue import Item

THUMB_COLS, THUMB_ROWS = 60, 5  # a row's crop on a small terminal (100×30)
BIG_THUMB_COLS, BIG_THUMB_ROWS = 76, 8  # from 140×44 up: handwriting legible in the rows


class GroupRow(ListItem):
    """One item of the group: mark, small crop, value, confidence, state."""

    DEFAULT_CSS = """
    GroupRow { height: auto; padding: 0 0 1 0; }
    GroupRow > Horizontal { height: auto; }
    GroupRow .mark { width: 4; }
    GroupRow .thumb { width: auto; max-width: 78; margin-right: 2; }
    GroupRow .side { height: auto; width: 1fr; }
    """

    def __init__(self, item: Item, field: FieldLayout, scan: np.ndarray | None,
                 marked: bool = False, big: bool = False, named: bool = False) -> None:
        super().__init__()
        self.item = item
        self.field = field
        self.scan = scan
        self.marked = marked and item.open
        self.big = big
        self.named = named  # rows of different fields (by sheet): each says its field
        self.editor: Input | None = None

    @property
    def pending(self) -> bool:
        return self.item.open

    @property
    def bulk(self) -> bool:
        """Whether marks and « accept all » may take this row: never a comment."""
        return self.field.kind != "free_text"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(classes="mark")
            if self.scan is not None:
                ppm = images.px_per_mm(self.scan, self.field.bounds())
                scan = self._written_part()
                cols, rows = ((BIG_THUMB_COLS, BIG_THUMB_ROWS) if self.big
                              else (THUMB_COLS, THUMB_ROWS))
                yield Static(images.blocks(scan, cols, rows, max_scale=2.4 / ppm,
                                           max_strips=2), classes="thumb")
            else:
                yield Static("(pas d’image)", classes="thumb")
            with Vertical(classes="side"):
                yield Static(classes="what")
                yield Static(classes="problem")

    def _written_part(self) -> np.ndarray:
        """A comb field's crop cut after the last cells written (plus one): the row's
        thumbnail then shows the handwriting large enough to read."""
        assert self.scan is not None
        if self.field.choices:
            return images.region(self.scan, self.field.bounds(), choices_extent(self.field),
                                 images.MARGIN_MM)
        cells = list(self.field.cells_mm or ())
        if len(cells) < 6:
            return self.scan
        keep = cells[:min(len(cells), max(4, len(self.item.shown.replace(" ", "")) + 2))]
        x0, y0 = min(c[0] for c in keep), min(c[1] for c in keep)
        x1, y1 = max(c[0] + c[2] for c in keep), max(c[1] + c[3] for c in keep)
        return images.region(self.scan, self.field.bounds(), (x0, y0, x1 - x0, y1 - y0), 1.5)

    def open_editor(self) -> None:
        """Correct this row in place: an input under its value, checked as typed."""
        self.editor = ValueInput(self.item.shown, select_on_focus=True, classes="editor")
        self.query_one(".side", Vertical).mount(self.editor, before=self.query_one(".problem"))
        self.editor.focus()

    def close_editor(self) -> None:
        if self.editor is not None:
            self.editor.remove()
            self.editor = None
        self.query_one(".problem").display = False

    def show_problem(self, error: str | None) -> None:
        """Why the typed value is refused (nothing when it is valid)."""
        problem = self.query_one(".problem", Static)
        problem.update(Text(f" ✗ {error} ", style="bold white on red") if error else "")
        problem.display = bool(error)

    def on_mount(self) -> None:
        self.query_one(".problem").display = False
        self.redraw()

    def redraw(self) -> None:
        self.query_one(".mark", Static).update(
            Text("[x]" if self.marked else "[ ]", style="bold green" if self.marked else "dim"))
        what = Text.assemble((f"{self.item.label}\n", "bold underline")) if self.named \
            else Text()
        what.append_text(Text.assemble((f"{self.item.shown or '∅':<20}", "bold"), "  ",
                             (f"confiance {french_number(self.item.confidence)}", "dim"),
                             "" if self.named else f"  bordereau {self.item.serial}"))
        if not self.pending:
            what.append(f"   ✓ {STATUS.get(self.item.status, self.item.status)}",
                        style="bold cyan")
        if self.item.reason:
            what.append(f"\n{self.item.reason}", style="yellow")
        if self.named and self.item.open:
            for suggestion in self.item.suggestions:
                what.append(f"\n {suggestion.key.upper()} ", style="bold reverse")
                what.append(f" {suggestion.source} : ")
                what.append(suggestion.shown or "vide", style="bold")
        self.query_one(".what", Static).update(what)


class GroupList(ListView):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Accepter", key_display="Entrée"),
    ]
