"""bordereau: paper forms for the French rare-disease minimum data set (SDM-MR)."""

from __future__ import annotations

import logging

__version__ = "0.1.0"

# A library installs no log handler: the program using it decides (``bordereau.logs``).
logging.getLogger(__name__).addHandler(logging.NullHandler())
