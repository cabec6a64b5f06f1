"""Replay a review queue against the truth of its batch, pricing each human action.

Used by ``bench_review_time.py``. A reviewer with the paper at hand goes through the queue
through :class:`bordereau.review.queue.Queue` (so whatever the queue does after a decision —
re-checking the sheet, committing it — is what comes next), in one of three ways:

- ``single``: one item at a time (the default screen of ``bordereau review``);
- ``field``: grouped mode by field first (``^g``, fields with 3 items or more), then single;
- ``sheet``: grouped mode by sheet (``^b``): every doubtful item of a sheet on one screen,
  one decision per row, the rows already right marked and accepted with one Entrée.

The time model is stated once (``TimeModel``) and documented in ``docs/review-app.md``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from bordereau.errors import BordereauError
from bordereau.forms.manifest import FieldLayout
from bordereau.review.app_sheet import paper_order
from bordereau.review.queue import Item, Queue
from bordereau.review.values import format_value
from bordereau.simulate.evaluate import _same

MODES = ("single", "field", "sheet")


@dataclass(frozen=True)
class TimeModel:
    """Seconds a reviewer spends on each action (see ``docs/review-app.md``)."""

    page: float = 3.0  # feeding one page to the scanner, taking it out, stacking it
    look: float = 2.0  # reading the item card and its crop, comparing with the paper value
    key: float = 0.4  # one command key: Entrée, Échap, a suggestion's key, a choice number
    char: float = 0.4  # one typed character (a careful typist checking what she types)
    zoom: float = 2.0  # opening the page or zooming once, and finding the place again
    scroll: float = 0.3  # one arrow key to move the page under the view
    row: float = 1.2  # grouped mode: reading one row (its crop beside the machine's value)


MODEL = TimeModel()
# The comment box at the bottom of the fiche initiale: read with the page (^o), two zooms,
# and about 40 arrow presses to follow the lines (measured by hand, issue 10).
COMMENT_ZOOMS, COMMENT_SCROLLS = 3, 40


@dataclass
class Tally:
    seconds: float = 0.0
    items: int = 0
    right: int = 0
    actions: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def typed(field: FieldLayout, value: Any) -> str:
    """What a reviewer types for ``value``: choice numbers, compact dates, o/n."""
    if value is None or value == []:
        return "-"
    if field.choices:
        codes = [c.code for c in field.choices]
        values = value if isinstance(value, list) else [value]
        return ",".join(str(codes.index(v) + 1) for v in values if v in codes)
    if field.kind == "boolean":
        return "o" if value else "n"
    if field.kind == "date":
        return "".join(reversed(str(value).split("-")))
    return format_value(field, value)


class Replay:
    """One reviewer going through the queue of the batch with the paper at hand."""

    def __init__(self, queue: Queue, truths: dict[str, dict[str, Any]],
                 model: TimeModel = MODEL) -> None:
        self.queue, self.truths, self.model = queue, truths, model
        self.sheets: dict[str, Tally] = defaultdict(Tally)
        self.first_seen: dict[int, Any] = {}
        self.unresolved: list[str] = []
        self.clinician: list[str] = []
        # per field: [items, seconds] and the actions taken on it
        self.by_field: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        self.field_actions: dict[str, Counter[str]] = defaultdict(Counter)

    def run(self, mode: str = "single") -> None:
        if mode == "field":
            self.run_fields()
        elif mode == "sheet":
            self.run_sheets()
        self.run_single()

    # -- what the reviewer does with one item, whatever the screen ---------------------
    def choose(self, item: Item, field: FieldLayout) -> tuple[str, str]:
        """The action the paper calls for, and the text it types (if any)."""
        truth = self.truths[item.serial].get(item.field_id)
        expect = self.truths[item.serial].get(f"{item.field_id}#expect")
        if "patient inconnu" in (item.reason or "") and _same(item.value, truth):
            return "patient", ""
        if field.kind == "free_text":
            return "transcribe", str(truth or "") or "-"
        required = item.required or field.required
        if expect == "two_marks" or (truth in (None, [], False) and required
                                     and field.kind != "boolean"):
            return "clinician", ""
        if _same(item.value, truth):
            if item.ink and truth in (None, [], False):
                return "type", "vide"  # « vide », typed on purpose
            return "accept", ""
        if any(_same(s.value, truth) for s in item.suggestions):
            return "suggestion", format_value(field, truth)
        return "type", typed(field, truth)

    def cost(self, action: str, text: str, grouped: bool) -> float:
        """Seconds of one decision; ``grouped``: a row of a grouped screen (read beside its
        value; a correction opens the row's editor first: ``c``)."""
        m = self.model
        look = m.row if grouped else m.look
        if action == "transcribe":
            return (look + m.key + COMMENT_ZOOMS * m.zoom + COMMENT_SCROLLS * m.scroll
                    + len(text) * m.char + m.key)
        if action == "type":
            return look + (m.key if grouped else 0) + len(text) * m.char + m.key
        return look + m.key  # accept (Entrée, or Espace to mark), a suggestion, F9, ^n

    def act(self, item: Item, action: str, text: str) -> None:
        """Record the decision through the queue."""
        if action == "patient":
            self.queue.create_patient(item.id)
        elif action == "clinician":
            self.clinician.append(f"{item.serial} {item.field_id}")
            self.queue.ask_clinician(item.id)
        elif action == "accept":
            self.queue.accept(item.id)
        else:
            self.queue.set(item.id, text)

    def refused(self, item: Item, spent: float, error: BordereauError) -> bool:
        """The queue refused the right value (a date after today, say): the reviewer, who
        typed it, asks the clinician instead (one key more). Whether that was taken."""
        try:
            self.act(item, "clinician", "")
        except BordereauError:
            self.charge(item, spent, "skip")
            self.unresolved.append(f"{item.serial} {item.field_id}: {error.message}")
            self.queue.release(item.id)
            return False
        self.charge(item, spent + self.model.key, "refused, clinician")
        return True

    def charge(self, item: Item, seconds: float, action: str) -> None:
        key = f"{item.sheet_kind} {item.field_id}"
        spent = self.by_field[key]
        spent[0] += int(item.id not in self.first_seen)
        spent[1] += seconds
        self.field_actions[key][action] += 1
        tally = self.sheets[item.serial]
        tally.seconds += seconds
        tally.actions[action] += 1
        if item.id not in self.first_seen:
            self.first_seen[item.id] = item.value
            tally.items += 1
            answer = self.truths[item.serial].get(item.field_id)
            if answer is not None and _same(item.value, answer):
                tally.right += 1

    # -- one item at a time ------------------------------------------------------------
    def run_single(self) -> None:
        skipped: set[int] = set()
        while (item := self.queue.claim_next(skip=skipped)) is not None:
            field = self.queue.field_of(item.id)
            action, text = self.choose(item, field)
            try:
                self.act(item, action, text)
            except BordereauError as exc:
                spent = self.cost(action, text, grouped=False)
                if not self.refused(item, spent, exc):
                    skipped.add(item.id)
                continue
            self.charge(item, self.cost(action, text, grouped=False), action)

    # -- grouped mode by field ---------------------------------------------------------
    def run_fields(self, least: int = 3) -> None:
        """For each field with at least ``least`` items waiting: read the rows, mark the
        right ones (Espace) and accept them with one Entrée; the rest one at a time."""
        m = self.model
        waiting = Counter(i.field_id for i in self.queue.items("pending"))
        for field_id, count in waiting.most_common():
            listed = self.queue.items("pending", field_id=field_id)
            if count < least or not listed or \
                    self.queue.field_of(listed[0].id).kind == "free_text":
                continue
            marked: list[Item] = []
            for row in listed:
                item = self.queue.claim(row.id)
                if item.status != "pending":
                    continue
                field = self.queue.field_of(item.id)
                if self.choose(item, field)[0] == "accept":
                    self.charge(item, m.row + m.key, "group")
                    marked.append(item)
                else:
                    self.queue.release(item.id)
            for item in marked:
                self.queue.accept(item.id)
            if marked:
                self.charge(marked[0], m.key, "group")  # the Entrée that accepts them

    # -- grouped mode by sheet ---------------------------------------------------------
    def run_sheets(self) -> None:
        """Sheet by sheet, every doubtful item on one screen: each row read once and
        decided (a suggestion's key, F9, a correction in place), the right ones marked and
        accepted together with one Entrée. A correction re-checks the sheet at once: rows
        it settles are shown settled and cost only the arrow key that passes them."""
        m = self.model
        serials = list(dict.fromkeys(i.serial for i in self.queue.items("pending")))
        for serial in serials:
            rows = sorted((self.queue.claim(i.id) for i in self.queue.items(
                "pending", serial=serial)), key=lambda i: paper_order(i, self.queue.field_of(i.id)))
            marked: list[Item] = []
            for row in rows:
                item = self.queue.get(row.id)
                if item.status != "pending":  # settled by the re-check of an earlier row
                    self.sheets[serial].seconds += m.key  # the arrow key that passes it
                    self.sheets[serial].actions["settled"] += 1
                    continue
                field = self.queue.field_of(item.id)
                action, text = self.choose(item, field)
                if action == "transcribe":
                    self.queue.release(item.id)  # comments are read one at a time
                    continue
                if action == "accept":
                    self.charge(item, self.cost(action, text, grouped=True), "mark")
                    marked.append(item)
                    continue
                try:
                    self.act(item, action, text)
                except BordereauError as exc:
                    self.refused(item, self.cost(action, text, grouped=True), exc)
                    continue
                self.charge(item, self.cost(action, text, grouped=True), action)
            accepted = 0
            for item in marked:
                if self.queue.get(item.id).status == "pending":
                    self.queue.accept(item.id)
                    accepted += 1
            if accepted:
                self.charge(marked[0], m.key, "mark")  # the Entrée that accepts them
            for item in rows:
                if self.queue.get(item.id).status == "pending":
                    self.queue.release(item.id)
