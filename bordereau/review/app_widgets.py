"""Widgets of the review application: crop, choices, item card, counts bar, field picker."""

from __future__ import annotations

import io
import math
from collections import Counter
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.geometry import Size
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from bordereau.base.states import ReadingStatus
from bordereau.forms import fonts
from bordereau.forms.manifest import Box, FieldLayout
from bordereau.forms.widgets import BOX, CHOICE_PT
from bordereau.review import images
from bordereau.review.queue import Item

if TYPE_CHECKING:
    from bordereau.review.host import ReviewHost

TARGET_PX_PER_MM = 2.4  # half-block pixels per millimetre at which handwriting reads well
TEXT_LINES = 0  # ``CropBase.show(strips=TEXT_LINES)``: handwritten text, line by line
TEXT_PX_PER_MM = 1.6  # handwritten comments: written larger than letters in cells
STATUS: dict[str, str] = {ReadingStatus.PENDING: "à vérifier", ReadingStatus.ACCEPTED: "accepté",
          ReadingStatus.CORRECTED: "corrigé", ReadingStatus.TRUSTED: "lu avec assurance",
          ReadingStatus.IMAGE: "gardé en image", ReadingStatus.CLINICIAN: "à compléter (médecin)"}


def french_number(value: float, digits: int = 2) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def plural(count: int, word: str) -> str:
    """``3 champs``, ``2 bordereaux``, ``1 élément``."""
    if count < 2:
        return f"{count} {word}"
    return f"{count} {word}{'x' if word.endswith(('au', 'eu')) else 's'}"


class ValueInput(Input):
    """The value being reviewed: Enter submits (shown in the footer)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "submit", "Valider", key_display="Entrée")]


class CountsBar(Static):
    """What is left to review, always on top of every screen."""

    DEFAULT_CSS = """
    CountsBar { dock: top; height: 1; background: $primary-background; color: $text;
                padding: 0 1; }
    """

    def on_mount(self) -> None:
        self.watch(self.app, "counts", self._show)

    def _show(self, counts: tuple[int, int]) -> None:
        app: ReviewHost = self.app  # type: ignore[assignment]
        items, sheets = counts
        task = " · transcription des commentaires · " if app.queue.transcribe else \
            " · vérification · "
        left = Text.assemble(("bordereau", "bold"), task, app.queue.reviewer)
        if items:
            what = "commentaire" if app.queue.transcribe else "champ"
            right = Text(f"Restent {plural(items, what)} sur {plural(sheets, 'bordereau')}")
            right.stylize("bold")
        else:
            right = Text("Rien à vérifier", style="bold green")
        width = max(self.size.width - 2, 40)
        gap = max(1, width - left.cell_len - right.cell_len)
        self.update(Text.assemble(left, " " * gap, right))

    def on_resize(self) -> None:
        self._show(self.app.counts)  # type: ignore[attr-defined]


def choices_extent(field: FieldLayout) -> Box:
    """The part of a choice field's box that holds its boxes and their printed labels: the
    crop is cut after the last label, so that the choices are drawn larger."""
    bounds = field.bounds()
    right = max((c.box_mm[0] + BOX + 1.5 + fonts.text_width(c.label, CHOICE_PT) + 1.5
                 for c in field.choices or ()), default=bounds[0] + bounds[2])
    width = max(10.0, min(bounds[2], right - bounds[0]))
    return (bounds[0], bounds[1], width, bounds[3])


class CropBase(Widget):
    """Where a field crop is drawn; the screens only call these two methods."""

    def show(self, png: bytes | None, bounds: Box | None, strips: int = 3,
             part: Box | None = None) -> None:
        """Draw this crop (``strips``: how many pieces a wide crop may be cut into;
        ``part``: only this part of the field, in page millimetres)."""
        raise NotImplementedError

    def set_max_rows(self, rows: int) -> None:
        raise NotImplementedError


class CropView(CropBase):
    """A field crop as large as is legible in the space given (half-blocks)."""

    DEFAULT_CSS = "CropView { height: auto; width: 1fr; }"

    def __init__(self, max_rows: int = 20, target: float = TARGET_PX_PER_MM,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.max_rows = max_rows
        self.target = target
        self.image: np.ndarray | None = None
        self.bounds: Box | None = None
        self.strips = 3
        self._drawn: tuple[int, int, images.HalfBlocks] | None = None

    def show(self, png: bytes | None, bounds: Box | None, strips: int = 3,
             part: Box | None = None) -> None:
        self.image, self.bounds, self._drawn = images.decode(png), bounds, None
        if self.image is not None and bounds is not None and part is not None:
            # keeping the crop's margin, so that its resolution (px per mm) is unchanged
            self.image = images.region(self.image, bounds, part, images.MARGIN_MM)
            self.bounds = part
        self.strips = strips
        self.refresh(layout=True)

    def set_max_rows(self, rows: int) -> None:
        if rows != self.max_rows:
            self.max_rows, self._drawn = rows, None
            self.refresh(layout=True)

    def _blocks(self, width: int) -> images.HalfBlocks | None:
        if self.image is None:
            return None
        if self._drawn and self._drawn[:2] == (width, self.max_rows):
            return self._drawn[2]
        ppm = images.px_per_mm(self.image, self.bounds) if self.bounds else 8.0
        if self.strips == TEXT_LINES:
            drawn = images.text_blocks(self.image, width, TEXT_PX_PER_MM / ppm)
        else:
            drawn = images.blocks(self.image, width, self.max_rows,
                                  max_scale=self.target / ppm, max_strips=self.strips)
        self._drawn = (width, self.max_rows, drawn)
        return drawn

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        drawn = self._blocks(width)
        return drawn.height if drawn else 1

    def render(self) -> RenderableType:
        drawn = self._blocks(self.content_size.width or self.size.width)
        return drawn if drawn else Text("(pas d’image de ce champ)", style="italic")


class PixelCrop(CropBase):
    """A field crop in real pixels (Kitty or Sixel graphics, through textual-image)."""

    DEFAULT_CSS = "PixelCrop { height: auto; width: 1fr; } PixelCrop > * { width: auto; }"

    def __init__(self, protocol: str, max_rows: int = 20, id: str | None = None) -> None:
        super().__init__(id=id)
        self.protocol = protocol
        self.max_rows = max_rows
        self.png: bytes | None = None

    def compose(self) -> ComposeResult:
        from textual_image.widget import SixelImage, TGPImage

        yield (SixelImage if self.protocol == "sixel" else TGPImage)()

    def show(self, png: bytes | None, bounds: Box | None, strips: int = 3,
             part: Box | None = None) -> None:
        self.png = png
        self.call_after_refresh(self._draw)

    def set_max_rows(self, rows: int) -> None:
        if rows != self.max_rows:
            self.max_rows = rows
            self.call_after_refresh(self._draw)

    def _draw(self) -> None:
        from PIL import Image as PILImage
        from textual_image._terminal import get_cell_size

        child: Any = self.children[0]
        if not self.png:
            child.image = None
            return
        picture = PILImage.open(io.BytesIO(self.png))
        cell = get_cell_size()
        cols = max(self.size.width, 10)
        scale = min(2.0, cols * cell.width / picture.width,
                    self.max_rows * cell.height / picture.height)
        child.styles.width = max(1, math.ceil(picture.width * scale / cell.width))
        child.styles.height = max(1, math.ceil(picture.height * scale / cell.height))
        child.image = picture


def crop_widget(protocol: str, max_rows: int = 20, id: str | None = None) -> CropBase:
    """The crop widget for this terminal."""
    if protocol in {"sixel", "tgp"}:
        return PixelCrop(protocol, max_rows, id=id)
    return CropView(max_rows, id=id)


def choice_grid(field: FieldLayout, image: np.ndarray | None, selected: set[str]) -> Table:
    """The choices numbered as typed, laid out as on the paper, each with its box scanned."""
    choices = list(field.choices or ())
    xs = sorted({round(c.box_mm[0]) for c in choices})
    ys = sorted({round(c.box_mm[1]) for c in choices})
    column = {x: n for n, x in enumerate(_cluster(xs))}
    row = {y: n for n, y in enumerate(_cluster(ys))}
    width = max(column.values(), default=0) + 1
    height = max(row.values(), default=0) + 1
    thumb = (6, 3) if height <= 4 else (4, 2)  # each box as scanned, beside its label
    grid = Table.grid(padding=(0, 2, 0, 0))
    for _ in range(width):
        grid.add_column()
    cells: list[list[RenderableType]] = [[""] * width for _ in range(height)]
    for number, choice in enumerate(choices, 1):
        chosen = choice.code in selected
        label = Text(f"{number:>2} ", style="bold", overflow="fold")  # long labels wrap
        label.append(choice.label, style="bold reverse green" if chosen else "")
        if image is not None:
            box = images.region(image, field.bounds(), choice.box_mm)
            cell: RenderableType = _beside(images.thumbnail(box, *thumb), label)
        else:
            cell = label
        cells[row[round(choice.box_mm[1])]][column[round(choice.box_mm[0])]] = cell
    for line in cells:
        grid.add_row(*line)
    return grid


def _cluster(values: list[int], gap: int = 3) -> dict[int, int]:
    """Map coordinates to their column/row index (values closer than ``gap`` mm merge)."""
    index: dict[int, int] = {}
    current, last = -1, None
    for value in values:
        if last is None or value - last > gap:
            current += 1
        index[value] = current
        last = value
    return index


def _beside(left: RenderableType, right: RenderableType) -> Table:
    table = Table.grid(padding=(0, 1, 0, 0))
    table.add_column()
    table.add_column()
    table.add_row(left, right)
    return table


def item_card(item: Item, field: FieldLayout) -> Group:
    """What the reviewer must know about an item, above its crop."""
    title = Text.assemble((item.label, "bold"), "  ", (item.field_id, "dim"))
    facts = Text.assemble(
        "Bordereau ", (item.serial, "bold"), f" · page {item.page} · confiance ",
        (french_number(item.confidence), "bold red" if item.confidence < 0.5 else "bold"),
        f" · élément {item.id}")
    if field.kind == "multi_choice":
        facts.append(" · plusieurs réponses possibles (séparées par des virgules)", style="dim")
    lines: list[RenderableType] = [title, facts]
    if not item.open:
        done = Text(f"Déjà traité ({STATUS.get(item.status, item.status)}) : "
                    f"valeur retenue « {item.shown or '∅'} ». Entrée garde cette valeur ; "
                    "une autre valeur la corrige.", style="bold cyan")
        lines.append(done)
    if item.reason:
        lines.append(Text(f"Motif : {item.reason}", style="yellow"))
    for note in item.notes:
        lines.append(Text(note, style="cyan"))
    if item.suggestions:
        offer = Text("Suggestions : ", style="bold")
        for n, suggestion in enumerate(item.suggestions):
            if n:
                offer.append("   ")
            offer.append(f" {suggestion.key.upper()} ", style="bold reverse")
            offer.append(f" {suggestion.source} : ")
            offer.append(suggestion.shown or "vide", style="bold")
        lines.append(offer)
    return Group(*lines)


class FieldPicker(ModalScreen[str | None]):
    """Choose the field to see across sheets (with how many items wait for each)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss(None)", "Annuler", key_display="Échap"),
    ]
    DEFAULT_CSS = """
    FieldPicker { align: center middle; }
    FieldPicker > Vertical { width: 90; height: auto; max-height: 80%; border: round $primary;
                             background: $surface; padding: 0 1; }
    """

    def __init__(self, items: list[Item], current: str | None) -> None:
        super().__init__()
        counts = Counter(item.field_id for item in items)
        labels = {item.field_id: item.label for item in items}
        self.options = [Option(f"{labels[f]}  ({f}) — {plural(n, 'élément')}", id=f)
                        for f, n in counts.most_common()]
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Quel champ vérifier en groupe ?", style="bold"))
            yield OptionList(*self.options, id="fields")

    def on_mount(self) -> None:
        fields = self.query_one("#fields", OptionList)
        ids = [o.id for o in self.options]
        fields.highlighted = ids.index(self.current) if self.current in ids else 0
        fields.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


# The keys every deciding screen shares: take a suggestion (F5…F8), ask the clinician,
# create the patient. Shown beside their values on the card or row, not in the footer.
EVIDENCE_BINDINGS: list[BindingType] = [
    Binding("f5", "suggest(0)", "Suggestion 1", show=False),
    Binding("f6", "suggest(1)", "Suggestion 2", show=False),
    Binding("f7", "suggest(2)", "Suggestion 3", show=False),
    Binding("f8", "suggest(3)", "Suggestion 4", show=False),
    Binding("f9,ctrl+t", "ask", "Médecin", key_display="F9"),
    Binding("ctrl+n", "new_patient", "Patient", key_display="^n"),
]
