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
    TEXT_LINES,
    CountsBar,
    CropBase,
    ValueInput,
    choice_grid,
    crop_widget,
    item_card,
    plural,
)
from bordereau.review.queue import Item
from bordereau.review.values import EXPLICIT_EMPTY, format_value

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
        Binding("pagedown", "scroll_text(1)", "Défiler", key_display="PgSuiv"),
        Binding("pageup", "scroll_text(-1)", "Remonter", key_display="PgPréc", show=False),
        Binding("f5", "suggest(0)", "Suggestion", key_display="F5…F8"),
        Binding("f9,ctrl+t", "ask", "À compléter (médecin)", key_display="F9"),
        Binding("ctrl+n", "new_patient", "Nouveau patient", key_display="^n"),
        Binding("f6", "suggest(1)", "Suggestion 2", show=False),
        Binding("f7", "suggest(2)", "Suggestion 3", show=False),
        Binding("f8", "suggest(3)", "Suggestion 4", show=False),
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
        if action == "ask":
            return self.item is not None and self.item.open \
                and self.item.kind != "free_text"
        if action == "new_patient":
            return self.item is not None and self.item.open \
                and self.item.field_id == "patient.ipp" and self.item.sheet_kind == "suivi" \
                and "patient inconnu" in (self.item.reason or "")
        if action == "scroll_text":
            return self.field is not None and self.field.kind == "free_text"
        if action == "suggest":
            return self.item is not None and len(self.item.suggestions) > int(
                str(parameters[0]) if parameters else 0)
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
        if item.open and item.id not in self.review.claimed:
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
        # A comment is drawn full width, line by line; PgSuiv/PgPréc scroll it.
        strips = (1 if self.field.choices or self.field.kind == "boolean"
                  else TEXT_LINES if self.field.kind == "free_text" else 3)
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

    def _renew(self) -> None:
        if self.item is not None and self.item.open:
            self.review.claim(self.item)

    # -- typing -------------------------------------------------------------------------
    def validate(self, text: str) -> None:
        """Check as the reviewer types: the rule's message in red, or what Enter will do."""
        if self.item is None or self.field is None:
            return
        value, self.error = self.review.check(self.field, text)
        if not self.error and self.item.ink and value in (None, [], "", False) \
                and text.strip().lower() not in EXPLICIT_EMPTY and not self._for_clinician(text):
            self.error = ("de l’écriture a été trouvée ici : taper la valeur lue, ou « vide » "
                          "pour confirmer qu’il n’y a rien à garder")
        message = self.query_one("#message", Static)
        if self.error:
            message.update(Text(f"✗ {self.error}", style="bold red"))
        elif self._for_clinician(text):
            message.update(Text.assemble("Entrée : ", ("à compléter par le médecin", "bold"),
                                         " (rien n’est lisible sur le papier ; taper la "
                                         "valeur si elle l’est)"))
        else:
            shown = format_value(self.field, value) or "vide"
            if self.review.unchanged(self.item, text):
                verb = "accepter la lecture" if self.item.open else "garder"
            else:
                verb = "corriger en"
            message.update(Text.assemble("Entrée : ", (f"{verb} « {shown} »", "bold")))
        if self.field.choices:
            self._chosen = selected_codes(value) if not self.error else set()
            self._grid = self._grid_for(self.thumbs)
            self.query_one("#choices", Static).update(self._grid)

    def _for_clinician(self, text: str) -> bool:
        """Blank on paper where an answer is required, or two marks: unless the reviewer
        types a value, Enter asks the clinician (never « vide » by default)."""
        item, field = self.item, self.field
        if item is None or field is None or not item.open:
            return False
        if not self.review.unchanged(item, text) or item.value not in (None, []):
            return False
        if "plusieurs cases cochées" in (item.reason or ""):
            return True
        return item.required and not item.ink

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
        if self._for_clinician(event.value):
            self.action_ask()
            return
        if not item.open and self.review.unchanged(item, event.value):
            last.update(f"Élément {item.id} ({item.label}) inchangé.")
            self.advance()
            return
        decision = self.review.decide(item, event.value)
        if decision is None:
            return
        verb = "accepté" if decision.action == "accept" else "corrigé"
        said = Text.assemble("✓ ", (item.label, "bold"), f" ({item.serial}) {verb} : ",
                             (decision.item.shown or "vide", "bold"))
        if decision.cleared:
            n = len(decision.cleared)
            settled = (f" ; {n} autre{'s' if n > 1 else ''} champ{'s' if n > 1 else ''} "
                       f"réglé{'s' if n > 1 else ''} par la nouvelle vérification du bordereau")
            said.append(settled, style="green")
            self.review.messages.append(settled.strip(" ;"))
        last.update(said)
        self.review.refresh_counts()
        self.advance()

    # -- keys ---------------------------------------------------------------------------
    def action_scroll_text(self, direction: int) -> None:
        """Scroll a tall crop (a comment) by most of a screen."""
        body = self.query_one("#body", VerticalScroll)
        body.scroll_relative(y=direction * max(3, body.size.height - 2), animate=False)

    def action_ask(self) -> None:
        """Blank on paper, or two marks: the clinician will say (``records incomplete``)."""
        self._special(self.review.ask_clinician, "à compléter par le médecin")

    def action_new_patient(self) -> None:
        """The patient's fiche initiale predates the tool: create them from this sheet."""
        self._special(self.review.create_patient, "nouveau patient créé")

    def _special(self, act: Any, said: str) -> None:
        item = self.item
        if item is None:
            return
        decision = act(item)
        if decision is None:
            return
        self.query_one("#last", Static).update(Text.assemble(
            "✓ ", (item.label, "bold"), f" ({item.serial}) : {said}"))
        self.review.refresh_counts()
        self.advance()

    def action_suggest(self, index: int) -> None:
        """Take a suggestion (the label's value, the NIR's…) with one key."""
        if self.item is None or index >= len(self.item.suggestions):
            return
        value = self.query_one("#value", ValueInput)
        value.value = self.item.suggestions[index].shown
        self.on_input_submitted(Input.Submitted(value, value.value))

    def action_skip(self) -> None:
        item = self.item
        if item is None:
            return
        if item.open:
            self.review.release(item.id)
            self.skipped.add(item.id)
        self.query_one("#last", Static).update(f"Passé : {item.label} ({item.serial}).")
        self.advance()

    def action_back(self) -> None:
        if self.pos == 0 or not self.trail:
            self.review.say("Pas d’élément précédent.")
            return
        if self.item is not None and self.item.open:
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
        if item is not None and item.open:
            self.review.release(item.id)
        self.app.push_screen(GroupScreen(item.field_id if item else None), self._back_from_group)

    def _back_from_group(self, _: None = None) -> None:
        self.review.refresh_counts()
        if self.pos < len(self.trail):
            before = self.item
            self.open(self.trail[self.pos])
            if before and before.open and self.item and \
                    not self.item.open:
                self.advance()  # decided in the grouped mode: on to the next one
        else:
            self.advance()
