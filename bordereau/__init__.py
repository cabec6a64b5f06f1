"""bordereau: paper forms for the French rare-disease minimum data set (SDM-MR)."""

from __future__ import annotations

__version__ = "0.1.0"
