"""Codes close to a code as read: the suggestions offered for a listed code that is not in
its list (ORPHA groups, HPO terms)."""

from __future__ import annotations

from collections.abc import Iterable


def digit_distance(key: str, other: str) -> tuple[int, int]:
    """How far ``other`` is from ``key`` (both digits): differing digits (one misread digit
    or two neighbours swapped count as one; another length counts as more than all its
    digits), then how far apart the numbers are."""
    if len(other) != len(key):
        return (len(key) + abs(len(other) - len(key)), abs(int(other) - int(key)))
    diff = [n for n, (a, b) in enumerate(zip(key, other, strict=True)) if a != b]
    swapped = (len(diff) == 2 and diff[1] == diff[0] + 1
               and key[diff[0]] == other[diff[1]] and key[diff[1]] == other[diff[0]])
    return (1 if swapped else len(diff), abs(int(other) - int(key)))


def nearest_codes(key: str, codes: Iterable[str], count: int = 3) -> list[str]:
    """The ``count`` codes closest to ``key`` by :func:`digit_distance`, at most two digits
    apart; none when ``key`` is not digits."""
    if not key.isdigit():
        return []
    near = sorted((c for c in codes if c != key and digit_distance(key, c)[0] <= 2),
                  key=lambda c: digit_distance(key, c))
    return near[:count]
