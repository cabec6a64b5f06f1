"""The whole page around a field, its box drawn in red (to see the context of a crop)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer
from textual.geometry import Region, Size
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from bordereau.errors import BordereauError
from bordereau.forms.manifest import FieldLayout
from bordereau.review import images
from bordereau.review.app_widgets import CountsBar
from bordereau.review.queue import Item

if TYPE_CHECKING:
    from bordereau.review.host import ReviewHost

ZOOMS = (1.0, 1.5, 2.0, 3.0, 4.0)


class PageView(Widget):
    """The page image at the width of the screen times a zoom (half-blocks)."""

    DEFAULT_CSS = "PageView { width: auto; height: auto; }"

    def __init__(self, png: bytes | None, box_mm: tuple[float, float, float, float]) -> None:
        super().__init__()
        self.png = png
        self.box_mm = box_mm
        self.cols = 80
        self.zoom = 1.0
        self.box = Region(0, 0, 1, 1)  # the field, in cells
        self._drawn: images.HalfBlocks | None = None
        self._draw()

    def _draw(self) -> None:
        drawn = images.page_blocks(self.png, self.box_mm, self.cols, self.zoom)
        if drawn is None:
            self._drawn = None
            return
        self._drawn, box = drawn
        self.box = Region(*box)

    def set_size(self, cols: int, zoom: float) -> None:
        if (cols, zoom) != (self.cols, self.zoom):
            self.cols, self.zoom = cols, zoom
            self._draw()
            self.refresh(layout=True)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return self._drawn.width if self._drawn else 30

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self._drawn.height if self._drawn else 1

    def render(self) -> RenderableType:
        return self._drawn or Text("(pas d’image de cette page)", style="italic")


class PageScreen(Screen[None]):
    """The page of an item with the field's box; +/- zoom, arrows scroll, Échap returns."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,ctrl+o,f3", "app.pop_screen", "Retour", key_display="Échap"),
        Binding("plus,equals_sign", "zoom(1)", "Agrandir", key_display="+"),
        Binding("minus", "zoom(-1)", "Réduire", key_display="-"),
        Binding("q", "app.quit", "Quitter", key_display="q"),
    ]
    DEFAULT_CSS = """
    PageScreen #title { padding: 0 1; height: auto; }
    PageScreen #scroller { height: 1fr; }
    """

    def __init__(self, item: Item, field: FieldLayout, png: bytes | None) -> None:
        super().__init__()
        self.item = item
        self.view = PageView(png, field.bounds())
        self.zoom_index = 0

    def compose(self) -> ComposeResult:
        yield CountsBar()
        yield Static(Text.assemble(
            "Page ", (str(self.item.page), "bold"), " du bordereau ", (self.item.serial, "bold"),
            " · ", (self.item.label, "bold"), " encadré en ", ("rouge", "bold red"),
            "  (flèches : défiler)"), id="title")
        with ScrollableContainer(id="scroller"):
            yield self.view
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(self._fit)

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    def _fit(self) -> None:
        scroller = self.query_one("#scroller", ScrollableContainer)
        cols = max(20, scroller.size.width - 2)
        self.view.set_size(cols, ZOOMS[self.zoom_index])
        scroller.focus()
        self.call_after_refresh(self._centre)

    def _centre(self) -> None:
        scroller = self.query_one("#scroller", ScrollableContainer)
        box = self.view.box
        scroller.scroll_to(max(0, box.x + box.width // 2 - scroller.size.width // 2),
                           max(0, box.y + box.height // 2 - scroller.size.height // 2),
                           animate=False)

    def action_zoom(self, step: int) -> None:
        self.zoom_index = min(len(ZOOMS) - 1, max(0, self.zoom_index + step))
        self._fit()


def page_of(review: ReviewHost, item: Item, field: FieldLayout) -> PageScreen | None:
    """The page screen of an item (None, said in French, when its page cannot be read)."""
    try:
        _, page = review.queue.images(item.id)
    except BordereauError as exc:
        review.say(exc.message, error=True)
        return None
    return PageScreen(item, field, page)
