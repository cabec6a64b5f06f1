"""The review application: correct doubtful fields from the keyboard, one by one or grouped.

Everything goes through :class:`bordereau.review.queue.Queue`. The single-item screen shows
the field's crop of the scan, the machine's guess prefilled (selected, so typing replaces
it) and validates as you type. The grouped screen (``app_group``) shows one field across
many sheets; the page screen (``app_page``) shows the whole page with the field's box.
Every claim this application takes is released when it quits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.reactive import reactive

from bordereau.errors import BordereauError
from bordereau.forms.manifest import FieldLayout
from bordereau.review import images
from bordereau.review.app_single import ReviewScreen
from bordereau.review.host import ReviewHost
from bordereau.review.queue import Decision, Item, Queue
from bordereau.review.values import EXPLICIT_EMPTY, InvalidValueError, parse_value

COUNTS_SECONDS = 30.0


class ReviewApp(App[None]):
    """``bordereau review``: the keyboard-driven review application."""

    TITLE = "bordereau · vérification"
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    Screen { layout: vertical; }
    #body { height: auto; }
    #card { padding: 0 1; height: auto; }
    #crop { margin: 1 1 0 1; }
    #choices { padding: 0 1; height: auto; margin-top: 1; }
    #value { margin: 1 1 0 1; }
    #message { padding: 0 2; height: auto; min-height: 1; }
    #last { padding: 0 2; height: 1; color: $text-muted; }
    #empty { padding: 2 4; height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+q,f10", "quit", "Quitter", key_display="^q", show=False),
    ]
    counts: reactive[tuple[int, int]] = reactive((0, 0))
    questions: reactive[int] = reactive(0)  # items waiting for the clinician's answer

    def __init__(self, queue: Queue, graphics: str | None = None,
                 answers: bool = False) -> None:
        super().__init__()
        self.queue = queue
        self.answers = answers  # only the clinician's answers (review --reponses)
        # Which way to draw scans; asking the terminal must happen before Textual starts.
        self.graphics = graphics or images.graphics_protocol()
        self.claimed: set[int] = set()
        self.messages: list[str] = []  # everything said to the reviewer (tests read it)
        self._fields: dict[int, FieldLayout] = {}
        self.marks: dict[str, set[int]] = {}  # grouped mode: marked items, kept per field

    def on_mount(self) -> None:
        self.refresh_counts()
        self.set_interval(COUNTS_SECONDS, self.refresh_counts)  # others review too
        if self.answers:
            from bordereau.review.app_answers import AnswersScreen

            self.push_screen(AnswersScreen())
        else:
            self.push_screen(ReviewScreen())

    # -- talking to the reviewer ------------------------------------------------------
    def say(self, message: str, error: bool = False, timeout: float = 4.0) -> None:
        """A short notification in French (errors stay longer)."""
        self.messages.append(message)
        self.notify(message, severity="error" if error else "information",
                    timeout=8.0 if error else timeout, markup=False)
        if error:
            self.bell()

    def refresh_counts(self) -> None:
        try:
            self.counts = self.queue.counts()
            self.questions = self.queue.questions()
        except BordereauError as exc:
            self.say(exc.message, error=True)

    # -- the queue, with errors turned into notifications ------------------------------
    def field(self, item_id: int) -> FieldLayout:
        if item_id not in self._fields:
            self._fields[item_id] = self.queue.field_of(item_id)
        return self._fields[item_id]

    def check(self, field: FieldLayout, text: str) -> tuple[Any, str | None]:
        """The value typed, or the French reason it is refused."""
        try:
            return parse_value(field, text, self.queue.today), None
        except InvalidValueError as exc:
            return None, str(exc)

    def claim_next(self, field_id: str | None = None, skip: set[int] | None = None) -> Item | None:
        try:
            item = self.queue.claim_next(field_id, skip or None)
        except BordereauError as exc:
            self.say(exc.message, error=True)
            return None
        if item is not None:
            self.claimed.add(item.id)
        return item

    def claim(self, item: Item) -> Item | None:
        """Claim this pending item again (or renew its lease)."""
        try:
            got: Item | None = self.queue.claim(item.id)
        except BordereauError as exc:
            self.say(exc.message, error=True)
            return None
        if got is not None:
            self.claimed.add(got.id)
        return got

    def release(self, item_id: int) -> None:
        if item_id not in self.claimed:
            return
        self.claimed.discard(item_id)
        try:
            self.queue.release(item_id)
        except BordereauError as exc:
            self.say(exc.message, error=True)

    def release_all(self) -> None:
        for item_id in sorted(self.claimed):
            with contextlib.suppress(Exception):  # leaving: a lease expires anyway
                self.queue.release(item_id)
        self.claimed.clear()

    def unchanged(self, item: Item, text: str) -> bool:
        """Whether ``text`` means the item's current value (``martin`` for ``MARTIN``)."""
        if text.strip() == item.shown.strip():
            return True
        field = self.field(item.id)
        typed, error = self.check(field, text)
        current, wrong = self.check(field, item.shown)
        return error is None and wrong is None and typed == current

    def decide(self, item: Item, text: str) -> Decision | None:
        """Keep (``text`` unchanged) or correct an item; None when refused or not needed."""
        explicit = item.ink and text.strip().lower() in EXPLICIT_EMPTY
        try:
            if self.unchanged(item, text) and not explicit:
                if not item.open:
                    return None  # already decided with this value: nothing to record
                decision = self.queue.accept(item.id)
            else:
                decision = self.queue.set(item.id, text)
        except BordereauError as exc:
            self.say(exc.message, error=True)
            return None
        self.claimed.discard(item.id)
        if decision.record_id is not None:
            self.say(f"Bordereau {decision.item.serial} enregistré "
                     f"(version {decision.record_version}).")
        return decision

    def ask_clinician(self, item: Item) -> Decision | None:
        return self._act(item, self.queue.ask_clinician)

    def create_patient(self, item: Item) -> Decision | None:
        return self._act(item, self.queue.create_patient)

    def _act(self, item: Item, act: Callable[[int], Decision]) -> Decision | None:
        try:
            decision = act(item.id)
        except BordereauError as exc:
            self.say(exc.message, error=True)
            return None
        self.claimed.discard(item.id)
        if decision.record_id is not None:
            self.say(f"Bordereau {decision.item.serial} enregistré "
                     f"(version {decision.record_version}).")
        return decision

    # -- leaving -----------------------------------------------------------------------
    async def action_quit(self) -> None:
        self.release_all()
        self.exit()

    def on_unmount(self) -> None:
        self.release_all()


if TYPE_CHECKING:
    def _gives_its_screens_what_they_use(app: ReviewApp) -> ReviewHost:
        return app  # checked by mypy: ReviewApp implements ReviewHost
