"""The single-item screen: one doubtful field at a time, from the keyboard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from bordereau.errors import BordereauError
from bordereau.forms.manifest import FieldLayout
from bordereau.review import images
from bordereau.review.app_widgets import (
    CountsBar,
    CropBase,
    ValueInput,
    choice_grid,
    crop_widget,
    item_card,
    plural,
)
from bordereau.review.queue import Item
from bordereau.review.values import format_value

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


class ReviewScreen(Screen[None]):
    """One item at a time: Enter keeps or corrects, Échap skips, ^r goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "skip", "Passer", key_display="Échap"),
        Binding("ctrl+r,f2", "back", "Précédent", key_display="^r"),
        Binding("ctrl+o,f3", "page", "Page", key_display="^o"),
        Binding("ctrl+g,f4", "group", "Groupe", key_display="^g"),
        # Typing corrects here, so q cannot quit: ^q (the application's key) is shown.
        Binding("ctrl+q", "app.quit", "Quitter", key_display="^q"),
    ]

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
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#empty").display = False
        self.set_interval(RENEW_SECONDS, self._renew)
        self.advance()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that mean nothing now are neither active nor shown."""
        if action in {"skip", "page"}:
            return self.item is not None
        if action == "again":
            return bool(self.skipped)
        return True

    # -- moving through the queue -----------------------------------------------------
    def advance(self) -> None:
        """The next item: forward in the trail, else the next free one in the queue."""
        if self.pos + 1 < len(self.trail):
            self.pos += 1
            self.open(self.trail[self.pos])
            return
        item = self.review.claim_next(skip=self.skipped)
        if item is None:
            self.pos = len(self.trail)
            self.show_empty()
            return
        if item.id in self.trail:  # skipped earlier and looked at again: now the latest
            self.trail.remove(item.id)
        self.trail.append(item.id)
        self.pos = len(self.trail) - 1
        self.show(item)

    def open(self, item_id: int) -> None:
        """Show an item of the trail again (claimed again if it is still pending)."""
        try:
            item = self.review.queue.get(item_id)
        except BordereauError as exc:
            self.review.say(exc.message, error=True)
            return
        if item.status == "pending" and item.id not in self.review.claimed:
            claimed = self.review.claim(item)
            if claimed is None:
                self.review.say(f"Élément {item.id} réservé par un autre vérificateur : "
                                "Échap pour passer.", error=True)
            item = claimed or item
        self.show(item)

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
        strips = 1 if self.field.choices or self.field.kind == "boolean" else 3
        self.query_one("#crop", CropBase).show(crop, self.field.bounds(), strips)
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
        waiting = len(self.skipped & {i.id for i in self.review.queue.items("pending")})
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

    def _renew(self) -> None:
        if self.item is not None and self.item.status == "pending":
            self.review.claim(self.item)

    # -- typing -------------------------------------------------------------------------
    def validate(self, text: str) -> None:
        """Check as the reviewer types: the rule's message in red, or what Enter will do."""
        if self.item is None or self.field is None:
            return
        value, self.error = self.review.check(self.field, text)
        message = self.query_one("#message", Static)
        if self.error:
            message.update(Text(f"✗ {self.error}", style="bold red"))
        else:
            shown = format_value(self.field, value) or "vide"
            if self.review.unchanged(self.item, text):
                verb = "accepter la lecture" if self.item.status == "pending" else "garder"
            else:
                verb = "corriger en"
            message.update(Text.assemble("Entrée : ", (f"{verb} « {shown} »", "bold")))
        if self.field.choices:
            self._chosen = selected_codes(value) if not self.error else set()
            self._grid = self._grid_for(self.thumbs)
            self.query_one("#choices", Static).update(self._grid)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.validate(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        item = self.item
        if item is None:
            return
        self.validate(event.value)
        if self.error:
            self.app.bell()
            return
        last = self.query_one("#last", Static)
        if item.status != "pending" and self.review.unchanged(item, event.value):
            last.update(f"Élément {item.id} ({item.label}) inchangé.")
            self.advance()
            return
        decision = self.review.decide(item, event.value)
        if decision is None:
            return
        verb = "accepté" if decision.action == "accept" else "corrigé"
        last.update(Text.assemble("✓ ", (item.label, "bold"), f" ({item.serial}) {verb} : ",
                                  (decision.item.shown or "vide", "bold")))
        self.review.refresh_counts()
        self.advance()

    # -- keys ---------------------------------------------------------------------------
    def action_skip(self) -> None:
        item = self.item
        if item is None:
            return
        if item.status == "pending":
            self.review.release(item.id)
            self.skipped.add(item.id)
        self.query_one("#last", Static).update(f"Passé : {item.label} ({item.serial}).")
        self.advance()

    def action_back(self) -> None:
        if self.pos == 0 or not self.trail:
            self.review.say("Pas d’élément précédent.")
            return
        if self.item is not None and self.item.status == "pending":
            self.review.release(self.item.id)
        self.pos -= 1
        self.open(self.trail[self.pos])

    def action_again(self) -> None:
        """Look again at the items skipped during this session."""
        self.skipped.clear()
        self.advance()

    def action_page(self) -> None:
        if self.item is None or self.field is None:
            return
        from bordereau.review.app_page import PageScreen

        try:
            _, page = self.review.queue.images(self.item.id)
        except BordereauError as exc:
            self.review.say(exc.message, error=True)
            return
        self.app.push_screen(PageScreen(self.item, self.field, page))

    def action_group(self) -> None:
        from bordereau.review.app_group import GroupScreen

        item = self.item
        if item is not None and item.status == "pending":
            self.review.release(item.id)
        self.app.push_screen(GroupScreen(item.field_id if item else None), self._back_from_group)

    def _back_from_group(self, _: None = None) -> None:
        self.review.refresh_counts()
        if self.pos < len(self.trail):
            before = self.item
            self.open(self.trail[self.pos])
            if before and before.status == "pending" and self.item and \
                    self.item.status != "pending":
                self.advance()  # decided in the grouped mode: on to the next one
        else:
            self.advance()
