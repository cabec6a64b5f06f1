"""The clinician's answers (``^l``/F12, or ``bordereau review --reponses``).

Items sent to the clinician (« à compléter » : blank on paper, two marks) come back answered
on the printed page of ``records incomplete``. This screen lists them, one row each with its
crop, and ``m`` (or Entrée) opens the row's editor to type the answer: checked as you type,
recorded like a correction (audited), and the sheet is committed when nothing else waits.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Input, ListView, Static

from bordereau.base.states import ReadingStatus
from bordereau.review.app_group import GroupScreen
from bordereau.review.app_group_row import GroupList
from bordereau.review.queue import Item

ANSWERS_SIZE = 200  # questions listed at once


class AnswerList(GroupList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Saisir", key_display="Entrée"),
    ]


class AnswersScreen(GroupScreen):
    """The questions waiting for the clinician: type each answer received."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m,c,f2", "correct", "Saisir la réponse", key_display="m"),
        Binding("o,ctrl+o", "page", "Page", key_display="o"),
        Binding("escape,ctrl+l,f12", "leave", "Retour", key_display="Échap"),
        Binding("q", "app.quit", "Quitter", key_display="q"),
    ]
    MODE = "Réponses du médecin"
    LIST = AnswerList
    named = True

    def __init__(self) -> None:
        super().__init__(None)

    @property
    def marks_key(self) -> str:
        return ""  # nothing is marked here

    def collect(self) -> list[Item]:
        items: list[Item] = []
        for listed in self.review.queue.items(ReadingStatus.CLINICIAN, limit=ANSWERS_SIZE):
            claimed = self.review.claim(listed)
            if claimed is not None and claimed.open:
                items.append(claimed)
        return items

    def what(self) -> Text:
        return Text("questions « à compléter » : m pour saisir la réponse reçue")

    def retitle(self) -> None:
        waiting = sum(row.pending for row in self.rows)
        said = (f"{waiting} question{'s' if waiting > 1 else ''} en attente : Entrée ou m "
                "pour saisir la réponse reçue") if waiting else \
            "aucune question en attente (Échap : retour)"
        self.query_one("#title", Static).update(Text.assemble((self.MODE, "bold"), f" · {said}"))

    def nothing(self) -> str:
        return "aucune question en attente du médecin (Échap : retour)."

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.editing is not None:
            return action in {"leave", "submit"}
        return action in {"correct", "page", "leave", "quit"}

    # Textual also runs the handlers of the base classes: prevent_default() keeps
    # GroupScreen's (accept the row, record what was typed) from running after these.
    def on_list_view_selected(self, event: ListView.Selected) -> None:
        """Entrée on a question opens its editor: it never accepts an empty answer."""
        event.stop()
        event.prevent_default()
        self.action_correct()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        row = self.editing
        if row is not None and self.review.unchanged(row.item, event.value) \
                and row.item.value in (None, []):
            event.stop()
            event.prevent_default()
            self.review.say("Taper la réponse du médecin (ou Échap pour laisser la question "
                            "en attente).", error=True)

    def all_decided(self) -> None:
        self.review.say("Toutes les réponses reçues sont saisies.")

    def action_leave(self) -> None:
        if self.editing is not None:
            self.stop_editing()
            return
        self.release_rows()
        if len(self.app.screen_stack) <= 2:  # opened alone (review --reponses): quit
            self.app.exit()
            return
        self.dismiss(None)
