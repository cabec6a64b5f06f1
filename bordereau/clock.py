"""The package's one clock: every "now" and "today" comes from here, so tests can set it.

``now()`` is aware and in UTC (what the base stores); ``today()`` is the local calendar day
(what a form means by "today"). Tests move the clock instead of sleeping::

    with clock.shifted(dt.timedelta(minutes=31)):
        ...  # leases taken before have run out
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator

_offset = dt.timedelta(0)
_fixed: dt.datetime | None = None


def now() -> dt.datetime:
    """The current moment, aware, in UTC."""
    moment = _fixed if _fixed is not None else dt.datetime.now(dt.UTC)
    return moment + _offset


def today() -> dt.date:
    """The local calendar day of :func:`now`."""
    return now().astimezone().date()


@contextlib.contextmanager
def shifted(delta: dt.timedelta) -> Iterator[None]:
    """Move the clock forward (or back) by ``delta`` inside the block."""
    global _offset
    before = _offset
    _offset = before + delta
    try:
        yield
    finally:
        _offset = before


@contextlib.contextmanager
def frozen(moment: dt.datetime) -> Iterator[None]:
    """Stop the clock at ``moment`` (aware) inside the block."""
    global _fixed
    if moment.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    before = _fixed
    _fixed = moment.astimezone(dt.UTC)
    try:
        yield
    finally:
        _fixed = before
