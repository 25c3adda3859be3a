"""Tables of the move off spreadsheets and of the lead funnel: import batches, lead scoring rules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime


class ImportBatch(SQLModel, table=True):
    """One spreadsheet import: pending (previewed, file kept) until confirmed, then applied."""

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    file_name: str
    sha256: str = Field(index=True)
    kind: str = ""  # customers | activities | deals | leads
    sheet: str | None = None
    status: str = "pending"  # pending | applied | cancelled
    data: bytes | None = Field(default=None, sa_type=LargeBinary)  # the file, while pending
    options: str = "{}"  # JSON: column mapping corrections, suspected duplicates to merge
    summary: str = "{}"  # JSON: counts, merges, rejected rows
    created_at: datetime = Field(sa_type=UTCDateTime)
    applied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LeadScoring(SQLModel, table=True):
    """An admin's lead-scoring rules for a team (team_id None: the company default)."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    rules: str = "{}"  # JSON: {"source": {...}, "size": {...}, "budget": n, "engagement": n, "engagement_cap": n}
    mql: int = 40
    sql: int = 70
    updated_by: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(sa_type=UTCDateTime)
