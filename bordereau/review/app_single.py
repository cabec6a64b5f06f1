"""The single-item screen: one doubtful field at a time, from the keyboard."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Static

from bordereau.errors import BordereauError
from bordereau.review.app_entry import EntryScreen
from bordereau.review.app_item_view import selected_codes
from bordereau.review.app_widgets import EVIDENCE_BINDINGS

__all__ = ["ReviewScreen", "selected_codes"]


class ReviewScreen(EntryScreen):
    """One item at a time: Enter keeps or corrects, Échap skips, ^r goes back."""

    # The footer fits 100 columns: keys that mean nothing now are hidden, and the
    # suggestions' keys (F5…F8) are shown on the card, each beside its value.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "skip", "Passer", key_display="Échap"),
        Binding("ctrl+r,f2", "back", "Préc.", key_display="^r"),
        Binding("ctrl+o,f3", "page", "Page", key_display="^o"),
        Binding("ctrl+g,f4", "group", "Champ", key_display="^g"),
        Binding("ctrl+b", "sheet", "Fiche", key_display="^b"),
        Binding("ctrl+l,f12", "answers", "Réponses", key_display="^l"),
        Binding("pagedown", "scroll_text(1)", "Défiler", key_display="PgSuiv"),
        Binding("pageup", "scroll_text(-1)", "Remonter", key_display="PgPréc", show=False),
        *EVIDENCE_BINDINGS,
        # Typing corrects here, so q cannot quit: ^q (the application's key) is shown.
        Binding("ctrl+q", "app.quit", "Quitter", key_display="^q"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that mean nothing now are neither active nor shown."""
        if action in {"skip", "page"}:
            return self.item is not None
        if action == "back":
            return self.pos > 0 and bool(self.trail)
        if action == "ask":  # on an unknown patient, ^n (or a candidate) takes its place
            return self.item is not None and self.item.open \
                and self.item.kind != "free_text" and not self._unknown_patient()
        if action == "new_patient":
            return self._unknown_patient()
        if action == "answers":
            return self.review.questions > 0 and not self._unknown_patient()
        if action == "scroll_text":
            return self.field is not None and self.field.kind == "free_text"
        if action == "suggest":
            return self.item is not None and len(self.item.suggestions) > int(
                str(parameters[0]) if parameters else 0)
        if action == "again":
            return bool(self.skipped)
        return True

    def _unknown_patient(self) -> bool:
        item = self.item
        return item is not None and item.open and item.field_id == "patient.ipp" \
            and item.sheet_kind == "suivi" and "patient inconnu" in (item.reason or "")

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
        from bordereau.review.app_page import page_of

        if self.item is not None and self.field is not None and \
                (screen := page_of(self.review, self.item, self.field)):
            self.app.push_screen(screen)

    def action_group(self) -> None:
        item = self.item
        self._grouped(("field", item.field_id) if item else ("field", ""))

    def action_sheet(self) -> None:
        """Every doubtful item of this item's sheet on one screen (grouped by sheet)."""
        item = self.item
        self._grouped(("sheet", item.serial) if item else ("sheet", ""))

    def action_answers(self) -> None:
        """The clinician's answers received on paper: enter them (« à compléter » items)."""
        from bordereau.review.app_answers import AnswersScreen

        item = self.item
        if item is not None and item.open:
            self.review.release(item.id)
        self.app.push_screen(AnswersScreen(), self._back_from_group)

    def _grouped(self, mode: tuple[str, str]) -> None:
        from bordereau.review.app_group import GroupScreen
        from bordereau.review.app_sheet import SheetScreen

        item = self.item
        if item is not None and item.open:
            self.review.release(item.id)
        kind, key = mode
        screen = SheetScreen(key or None) if kind == "sheet" else GroupScreen(key or None)
        self.app.push_screen(screen, self._back_from_group)

    def _back_from_group(self, switch: tuple[str, str] | None = None) -> None:
        if switch is not None:  # from one grouped mode to the other
            self._grouped(switch)
            return
        self.review.refresh_counts()
        if self.pos < len(self.trail):
            before = self.item
            self.open(self.trail[self.pos])
            if before and before.open and self.item and \
                    not self.item.open:
                self.advance()  # decided in the grouped mode: on to the next one
        else:
            self.advance()
