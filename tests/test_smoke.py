from __future__ import annotations

from bordereau.forms.model import load_form


def test_both_forms_load() -> None:
    assert load_form("initiale").kind == "initiale"
    assert load_form("suivi").kind == "suivi"
