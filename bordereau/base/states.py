"""The states a row of the base can be in, as string enums stored by their value.

A ``StrEnum`` member equals its value (``SheetStatus.COMMITTED == "committed"``), prints
as it, and goes to JSON as it: the base's columns and the ``--json`` contracts keep the
same strings; the code gets names that mypy checks.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class SheetStatus(StrEnum):
    """Where a sheet (all pages sharing a serial) stands."""

    WAITING_PAGES = "waiting_pages"
    WAITING_REVIEW = "waiting_review"
    COMMITTED = "committed"


class ReadingStatus(StrEnum):
    """Where one field of a sheet stands."""

    TRUSTED = "trusted"  # committed as read
    PENDING = "pending"  # in the review queue
    ACCEPTED = "accepted"  # a reviewer kept the machine's value
    CORRECTED = "corrected"  # a reviewer typed another value
    IMAGE = "image"  # a handwritten comment kept as an image (transcription optional)
    CLINICIAN = "clinician"  # « à compléter »: blank on paper or two marks, for the clinician


class PageState(StrEnum):
    """The one state every input page ends in."""

    READ = "read"
    BLANK = "blank"
    REFUSED = "refused"


class JobState(StrEnum):
    """A scan file queued for the workers (PostgreSQL base)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class StateColumn(TypeDecorator[StrEnum]):
    """A state stored as its string value (``String(16)``), read back as the enum member."""

    impl = String(16)
    cache_ok = True

    def __init__(self, enum: type[StrEnum]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> StrEnum | None:
        return None if value is None else self.enum(value)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A moment stored in UTC and always read back aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            raise ValueError(f"moment without a time zone: {value!r}")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        moment: dt.datetime = value
        if moment.tzinfo is None:
            return moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC)
