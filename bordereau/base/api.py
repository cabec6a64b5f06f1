"""Open the base of an establishment from the command's options."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from bordereau.base.engine import Database
from bordereau.errors import UsageError
from bordereau.home import Home


def open_base(home: Path | None, base: str | None) -> Database:
    """The home (which must exist: its secret binds the base) and its migrated base."""
    return Database.open(Home.open(home, create=False), base)


NAME_MAX = 64  # the audit's and the records' columns


def user_name(explicit: str | None = None) -> str:
    """Who is working: the option, else $BORDEREAU_REVIEWER, else the login name."""
    return check_name(explicit or os.environ.get("BORDEREAU_REVIEWER") or getpass.getuser())


def check_name(name: str) -> str:
    """A reviewer's or user's name as the audit keeps it, or a French usage error."""
    name = name.strip()
    if not name:
        raise UsageError("Nom du vérificateur vide : le donner avec --reviewer NOM.")
    if len(name) > NAME_MAX:
        raise UsageError(f"Nom du vérificateur trop long ({len(name)} caractères, "
                         f"{NAME_MAX} au plus) : le raccourcir (--reviewer NOM).")
    if not all(ch.isprintable() for ch in name):
        raise UsageError("Nom du vérificateur invalide : caractères de contrôle "
                         "(retour à la ligne, tabulation…) refusés.")
    return name
