"""Names of the people who work (reviewers, secretaries), as the base keeps them."""

from __future__ import annotations

from bordereau.errors import UsageError

NAME_MAX = 64  # the audit's and the records' columns


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
