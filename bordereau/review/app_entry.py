"""Typing and deciding on the single-item screen: validation as you type, Enter, one-key
suggestions, « à compléter » (the clinician), a new patient."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from bordereau.review.app_item_view import ItemView, selected_codes
from bordereau.review.app_widgets import ValueInput
from bordereau.review.values import EXPLICIT_EMPTY, format_value


class EntryScreen(ItemView):
    """The input of an item: what Enter does is said before it is pressed."""

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

