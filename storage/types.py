"""Column types: timezone-aware UTC datetimes and exact money on every backend."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A datetime stored in UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        # SQLite keeps no zone: store the UTC wall time.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


CENT = Decimal("0.01")


def cents(value: Decimal | int | float | str) -> Decimal:
    """Money rounded half-up to the cent (fen): 149.985 → 149.99, never banker's rounding."""
    return Decimal(str(value) if isinstance(value, float) else value).quantize(CENT, ROUND_HALF_UP)


class Money(TypeDecorator[Decimal]):
    """A money amount: NUMERIC(16,2), read back as an exact two-place Decimal."""

    impl = Numeric(16, 2, asdecimal=False)
    cache_ok = True

    def process_bind_param(self, value: Decimal | int | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        q = cents(value)
        # SQLite's driver cannot bind Decimal; its NUMERIC affinity keeps 15 digits exactly.
        return float(q) if dialect.name == "sqlite" else q

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else cents(str(value))
