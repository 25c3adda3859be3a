"""Tables of trust: inbound rate windows, and the key that lets a privacy erasure touch the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class RateWindow(SQLModel, table=True):
    """How many inputs one chat account sent in its current window (shared by every process)."""

    __tablename__ = "ratewindow"
    key: str = Field(primary_key=True)  # platform:workspace:external user id
    started_at: datetime = Field(sa_type=UTCDateTime)
    count: int = 0


class AuditUnlock(SQLModel, table=True):
    """While a row exists (inside one erasure's transaction), the audit log's triggers allow changes."""

    __tablename__ = "auditunlock"
    id: int | None = Field(default=None, primary_key=True)
    reason: str
    at: datetime = Field(sa_type=UTCDateTime)
