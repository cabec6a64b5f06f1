"""What the review screens need of the application that shows them.

The screens (``app_single``, ``app_group``, ``app_widgets``) talk to the running
application through this protocol rather than by importing :class:`ReviewApp`, so the
application module imports its screens and never the other way round.
"""

from __future__ import annotations

from typing import Any, Protocol

from bordereau.forms.manifest import FieldLayout
from bordereau.review.queue import Decision, Item, Queue


class ReviewHost(Protocol):
    """The review application as its screens see it (``ReviewApp`` implements it)."""

    queue: Queue
    graphics: str
    claimed: set[int]
    messages: list[str]
    marks: dict[str, set[int]]  # grouped mode: the marked items, kept per field

    @property
    def counts(self) -> tuple[int, int]: ...

    @property
    def questions(self) -> int: ...

    def say(self, message: str, error: bool = False, timeout: float = 4.0) -> None: ...

    def refresh_counts(self) -> None: ...

    def field(self, item_id: int) -> FieldLayout: ...

    def check(self, field: FieldLayout, text: str) -> tuple[Any, str | None]: ...

    def claim_next(self, field_id: str | None = None,
                   skip: set[int] | None = None) -> Item | None: ...

    def claim(self, item: Item) -> Item | None: ...

    def release(self, item_id: int) -> None: ...

    def unchanged(self, item: Item, text: str) -> bool: ...

    def decide(self, item: Item, text: str) -> Decision | None: ...

    def ask_clinician(self, item: Item) -> Decision | None: ...

    def create_patient(self, item: Item) -> Decision | None: ...
