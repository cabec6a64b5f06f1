"""Nothing decided twice: reviewers racing on the same item in separate processes, on
SQLite and on the real PostgreSQL server (``scripts/reliability_races.py`` runs more)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LYON
from tests.factories import Factory
from tests.races import make_items, race_pairs, review_flow

TRIALS = 100


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    return str(request.getfixturevalue("pg_url"))


def _conflict(message: str) -> bool:
    return message.startswith("Élément N déjà traité par r") or (
        message.startswith("Erreur : Élément N déjà traité par r"))


def test_two_reviewers_deciding_one_item_at_once_one_wins(tmp_path: Path,
                                                           url: str | None) -> None:
    factory = Factory(tmp_path, LYON, url)
    ids = make_items(factory, TRIALS + 10)
    factory.db.close()
    result = race_pairs(url, factory.home.root, ids[:TRIALS])
    assert result.trials == TRIALS
    assert result.double_decisions == 0
    assert result.single_wins == TRIALS
    assert result.audit_rows == TRIALS  # one audit row per item
    assert result.winners_match_base
    assert result.loser_codes == {9: TRIALS}
    assert all(_conflict(m) for m in result.loser_messages), result.loser_messages
    # the command line: the loser exits 9 with the French message
    cli = race_pairs(url, factory.home.root, ids[TRIALS:], cli=True)
    assert (cli.single_wins, cli.double_decisions) == (10, 0)
    assert cli.loser_codes == {9: 10}
    assert all(_conflict(m) for m in cli.loser_messages), cli.loser_messages


def test_four_reviewers_claiming_then_deciding_decide_each_item_once(
    tmp_path: Path, url: str | None,
) -> None:
    factory = Factory(tmp_path, LYON, url)
    ids = make_items(factory, 156)  # two sheets, every field doubtful
    factory.db.close()
    # two reviewers as the application works, two whose leases run out at once (they
    # come back to an item another reviewer has taken since)
    result = review_flow(url, factory.home.root, ids, reviewers=4, expired=2)
    assert result.decided_twice == 0 and result.never_decided == 0
    assert result.decisions == len(ids)
    assert result.audit_rows == len(ids) and result.audit_per_item_max == 1
    assert result.records == result.sheets == 2  # one record version per sheet
    assert result.reviewers_who_worked >= 2
