"""Open the base of an establishment from the command's options."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from bordereau.base.engine import Database
from bordereau.home import Home


def open_base(home: Path | None, base: str | None) -> Database:
    """The home (which must exist: its secret binds the base) and its migrated base."""
    return Database.open(Home.open(home, create=False), base)


def user_name(explicit: str | None = None) -> str:
    """Who is working: the option, else $BORDEREAU_REVIEWER, else the login name."""
    return explicit or os.environ.get("BORDEREAU_REVIEWER") or getpass.getuser()
