"""What the single-item screen shows: the item's card, its crop, its choices, the input.

``ItemView`` lays an item out (and the empty queue); ``app_entry.EntryScreen`` adds typing and
deciding, ``app_single.ReviewScreen`` moving through the queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from bordereau.base.states import ReadingStatus
from bordereau.errors import BordereauError
from bordereau.forms.manifest import FieldLayout
from bordereau.review import images
from bordereau.review.app_widgets import (
    TEXT_LINES,
    CountsBar,
    CropBase,
    ValueInput,
    choice_grid,
    choices_extent,
    crop_widget,
    item_card,
    plural,
)
from bordereau.review.queue import Item

if TYPE_CHECKING:
    from bordereau.review.host import ReviewHost

RENEW_SECONDS = 240.0  # claims are leases: renew the current one while it is on screen

def selected_codes(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, list):
        return {str(v) for v in value}
    return {str(value)}


class EmptyPanel(Static, can_focus=True):
    """Shown when nothing is left: quit, or look again at what was skipped."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "app.quit", "Quitter", key_display="q"),
        Binding("r", "screen.again", "Revoir les éléments passés", key_display="r"),
    ]


class ItemView(Screen[None]):
    """One item laid out: card, crop (as large as legible), choices, input, messages."""

    def __init__(self) -> None:
        super().__init__()
        self.trail: list[int] = []  # items shown, in order (back and forth like a browser)
        self.pos = 0  # index in trail of the item shown; len(trail) when nothing is
        self.skipped: set[int] = set()
        self.item: Item | None = None
        self.field: FieldLayout | None = None
        self.error: str | None = None  # why the typed value is refused (None: valid)
        self._scan: Any = None  # the decoded crop (for the choice boxes)
        self._grid: Any = None  # the choices as drawn
        self._chosen: set[str] = set()  # the choices the typed text selects
        self.thumbs = True  # whether the choices show their scanned boxes

    @property
    def review(self) -> ReviewHost:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield CountsBar()
        with VerticalScroll(id="body", can_focus=False):
            yield Static(id="card")
            yield crop_widget(self.review.graphics, id="crop")
            yield Static(id="choices")
        yield ValueInput(id="value", select_on_focus=True)
        yield Static(id="message")
        yield Static(id="last")
        yield EmptyPanel(id="empty")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#empty").display = False
        self.set_interval(RENEW_SECONDS, self._renew)
        self.advance()

    def _renew(self) -> None:
        if self.item is not None and self.item.open:
            self.review.claim(self.item)

    def advance(self) -> None:
        """The next item (``ReviewScreen`` moves through the queue)."""
        raise NotImplementedError

    def validate(self, text: str) -> None:
        """Check the typed text and say what Enter will do (``EntryScreen``)."""
        raise NotImplementedError

    def show(self, item: Item) -> None:
        self.item = item
        try:
            self.field = self.review.field(item.id)
            crop, _ = self.review.queue.images(item.id)
        except BordereauError as exc:
            self.review.say(exc.message, error=True)
            return
        self._scan = images.decode(crop)
        for name in ("#body", "#value", "#message", "#last"):
            self.query_one(name).display = True
        self.query_one("#empty").display = False
        self.query_one("#card", Static).update(item_card(item, self.field))
        # A grid of checkboxes must not be cut in strips: its choices are listed below it.
        # A comment is drawn full width, line by line; PgSuiv/PgPréc scroll it.
        strips = (1 if self.field.choices or self.field.kind == "boolean"
                  else TEXT_LINES if self.field.kind == "free_text" else 3)
        # Choices: the crop ends after the last label (the box's blank right part is cut).
        part = choices_extent(self.field) if self.field.choices else None
        self.query_one("#crop", CropBase).show(crop, self.field.bounds(), strips, part)
        self.query_one("#choices").display = bool(self.field.choices)
        value = self.query_one("#value", ValueInput)
        value.value = item.shown
        value.placeholder = "(vide)"
        value.focus()
        value.select_all()
        self.validate(item.shown)
        self.fit_crop()
        self.refresh_bindings()

    def show_empty(self) -> None:
        self.item, self.field = None, None
        for name in ("#body", "#value", "#message"):
            self.query_one(name).display = False
        waiting = len(self.skipped & {i.id for i in self.review.queue.items(ReadingStatus.PENDING)})
        text = Text("Rien à vérifier.\n\n", style="bold green")
        if waiting:
            text.append(f"{plural(waiting, 'élément')} passé{'s' if waiting > 1 else ''} "
                        "pendant cette séance : r pour les revoir.\n", style="")
        others = self.review.counts[0] - waiting
        if others > 0:
            text.append(f"{plural(others, 'élément')} réservé{'s' if others > 1 else ''} "
                        "par d’autres vérificateurs.\n")
        text.append("q pour quitter, ^r pour revenir au précédent, ^g pour le mode groupé.")
        panel = self.query_one("#empty", EmptyPanel)
        panel.update(text)
        panel.display = True
        panel.focus()
        self.refresh_bindings()
        self.review.messages.append("Rien à vérifier")

    def fit_crop(self) -> None:
        """Share the rows between the card, the crop and the choices; the input stays in view.

        The crop gets what the others leave (it adapts its scale); on a small screen the
        choices lose their scanned boxes before the crop gets too small.
        """
        if self.item is None or self.field is None:
            return
        width = max(20, (self.size.width or self.app.size.width) - 2)
        height = self.size.height or self.app.size.height
        room = height - 8  # counts bar, input (3 + margin), message, last line, footer
        body = self.query_one("#body", VerticalScroll)
        body.styles.max_height = max(4, room)
        room -= 1 + self._lines(item_card(self.item, self.field), width)  # card, crop margin
        if self.field.choices:
            thumbs = width >= 90 and self._lines(self._grid_for(True), width) + 1 <= room // 2
            self.thumbs = thumbs
            self._grid = self._grid_for(thumbs)
            self.query_one("#choices", Static).update(self._grid)
            room -= 1 + self._lines(self._grid, width)
        if self.field.kind == "free_text":  # legible first: the body scrolls (PgSuiv)
            self.query_one("#crop", CropBase).set_max_rows(max(room, 72))
        else:
            self.query_one("#crop", CropBase).set_max_rows(max(3, min(30, room)))

    def _grid_for(self, thumbs: bool) -> Any:
        assert self.field is not None
        return choice_grid(self.field, self._scan if thumbs else None, self._chosen)

    def _lines(self, renderable: Any, width: int) -> int:
        console = self.app.console
        return len(console.render_lines(renderable, console.options.update_width(width),
                                        pad=False))

    def on_resize(self) -> None:
        self.fit_crop()

