"""Catch what libtiff says while it decodes, instead of letting it print English on stderr.

libtiff reports damaged compressed data (a bad CCITT code word, an LZW stream cut short)
through its global error and warning handlers, prints the message and goes on: Pillow then
returns a page whose lower part is garbage, and a checkbox read from it would be trusted.
:func:`tiff_messages` installs handlers on the libtiff Pillow uses (found in the process's
memory map), collects the messages of one decoding, and the caller refuses the page.
Only the module name and the message template are kept (never the formatted text).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

log = logging.getLogger(__name__)

_Handler = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p)
_collected: list[tuple[str, str, str]] | None = None  # (level, module, template)
_installed: list[object] = []  # keeps the callbacks alive; empty when not installed
# libtiff modules whose warnings mean that image data is damaged (not merely an odd tag)
_DECODING = ("Decode", "TIFFFill", "TIFFReadEncoded", "TIFFReadRaw", "TIFFReadScanline",
             "JPEG", "LZW", "ZIP", "Predictor", "Fax", "PackBits")


def _record(level: str) -> object:
    def handler(module: bytes | None, template: bytes | None, _args: int | None) -> None:
        entry = (level, (module or b"").decode(errors="replace"),
                 (template or b"").decode(errors="replace"))
        if _collected is not None:
            _collected.append(entry)
        else:
            log.debug("libtiff %s: %s: %s", *entry)

    return _Handler(handler)


def _libtiff() -> ctypes.CDLL | None:
    Image.init()  # loads Pillow's codecs, and with them the libtiff it links
    from PIL import _imaging  # noqa: F401

    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    paths = {line.split()[-1] for line in maps.splitlines() if "libtiff" in line}
    for path in sorted(paths):
        with contextlib.suppress(OSError):
            return ctypes.CDLL(path)
    return None


def install() -> bool:
    """Route libtiff's messages to this module (once per process); False when impossible."""
    if _installed:
        return True
    library = _libtiff()
    if library is None:
        return False
    warning, error = _record("warning"), _record("error")
    library.TIFFSetWarningHandler(warning)
    library.TIFFSetErrorHandler(error)
    _installed.extend([library, warning, error])
    return True


@contextlib.contextmanager
def tiff_messages() -> Iterator[list[tuple[str, str, str]]]:
    """Collect libtiff's messages during the block: (level, module, template)."""
    global _collected
    install()
    found: list[tuple[str, str, str]] = []
    previous, _collected = _collected, found
    try:
        yield found
    finally:
        _collected = previous


def damage(messages: list[tuple[str, str, str]]) -> bool:
    """Whether libtiff's messages say the image data was damaged."""
    return any(level == "error" or any(word in module for word in _DECODING)
               for level, module, _ in messages)
