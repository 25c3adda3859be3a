"""Satisfaction surveys: a single-use link for a customer to rate a ticket, an order or the service, and its
answer (1-5 stars and a comment), which lands on that customer alone.

The link carries a random token (128 bits); only its SHA-256 is stored, so the table alone opens no survey. An
answer is one conditional UPDATE (unanswered, unexpired, this token): of two submissions at once exactly one
lands, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import update
from sqlmodel import Session, col, select

from sales.audit import record
from sales.errors import RuleError
from storage.models import Customer, Survey, User

TTL = timedelta(days=14)
KINDS = ("ticket", "order", "customer")
LANGS = ("zh", "en")
MAX_COMMENT = 1000
LOW = 2  # a score at or under it reaches the owner and their manager at once
PATH = "/s/"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
Kind = Literal["ticket", "order", "customer"]


@dataclass(frozen=True)
class Offer:
    """A survey made: its row and the token of its link (shown once, never stored)."""

    survey: Survey
    token: str

    @property
    def path(self) -> str:
        """The link's path on the web role (the base URL is the deployment's)."""
        return PATH + self.token


def hash_token(token: str) -> str:
    """The stored form of a link's token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def well_formed(token: str) -> bool:
    """Whether `token` could be a link's token at all (anything else is not looked up)."""
    return bool(_TOKEN.fullmatch(token))


def offer(session: Session, *, customer_id: int, subject_kind: Kind, subject_id: int | None, owner: User,
          now: datetime, by: User | None = None, lang: str | None = None) -> Offer:
    """Make a survey link for a customer, rating a ticket, an order or the service as a whole; `owner` hears
    of a low score. `lang` (zh, en) is the page's language; unsaid, the one the customer's last survey had (none:
    the team's default)."""
    if subject_kind not in KINDS:
        raise ValueError(f"unknown survey subject {subject_kind!r}")
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise RuleError("survey_no_customer")
    token = secrets.token_urlsafe(16)
    survey = Survey(token_hash=hash_token(token), customer_id=customer_id, subject_kind=subject_kind,
                    subject_id=subject_id, owner_id=owner.id or 0, created_by=by.id if by else None,
                    lang=lang if lang in LANGS else customer_lang(session, customer_id=customer_id),
                    created_at=now, expires_at=now + TTL)
    session.add(survey)
    session.flush()
    record(session, by=by.id if by else None, action="survey", entity="customer", entity_id=customer_id, now=now,
           after={"survey": survey.id, "owner_id": owner.id})
    return Offer(survey, token)


def customer_lang(session: Session, *, customer_id: int) -> str | None:
    """The language a customer reads, as last given for one of their surveys (None: not known)."""
    return session.exec(select(Survey.lang).where(col(Survey.customer_id) == customer_id,
                                                  col(Survey.lang).is_not(None))
                        .order_by(col(Survey.id).desc()).limit(1)).first()


def open_survey(session: Session, *, token: str, now: datetime) -> Survey | None:
    """The survey a token opens: None when the token is wrong, used or expired (the caller cannot tell which)."""
    if not well_formed(token):
        return None
    found = session.exec(select(Survey).where(col(Survey.token_hash) == hash_token(token))).first()
    if found is None or found.answered_at is not None or found.expires_at <= now:
        return None
    return found


def clean_comment(text: str) -> str:
    """A comment as stored: control characters and lone surrogates dropped, at most MAX_COMMENT characters."""
    return _CONTROL.sub("", text.replace("\r\n", "\n")).strip()[:MAX_COMMENT]


def answer(session: Session, *, token: str, score: int, comment: str, now: datetime) -> Survey | None:
    """Record the answer of the survey `token` opens; None when it opens none (wrong, used, expired, or just
    answered by a submission that came first). The answer lands on the survey's own customer and subject."""
    if not 1 <= score <= 5:
        raise RuleError("survey_score")
    if not well_formed(token):
        return None
    digest = hash_token(token)
    done = session.execute(
        update(Survey).where(col(Survey.token_hash) == digest, col(Survey.answered_at).is_(None),
                             col(Survey.expires_at) > now)
        .values(answered_at=now, score=score, comment=clean_comment(comment) or None)
        .execution_options(synchronize_session=False))
    if getattr(done, "rowcount", 0) != 1:
        return None
    survey = session.exec(select(Survey).where(col(Survey.token_hash) == digest)
                          .execution_options(populate_existing=True)).one()
    record(session, by=None, action="survey answer", entity="customer", entity_id=survey.customer_id, now=now,
           after={"survey": survey.id, "score": score})
    return survey


def is_low(score: int | None) -> bool:
    """Whether a score calls for the owner and their manager at once."""
    return score is not None and score <= LOW


def latest(session: Session, *, customer_id: int) -> Survey | None:
    """The customer's latest answered survey."""
    return session.exec(select(Survey).where(col(Survey.customer_id) == customer_id,
                                             col(Survey.answered_at).is_not(None))
                        .order_by(col(Survey.answered_at).desc(), col(Survey.id).desc()).limit(1)).first()


def managers_of(session: Session, owner: User) -> list[User]:
    """Who hears of a low score besides the owner: the managers of the owner's team, else the admins."""
    q = select(User).where(col(User.active), col(User.id) != owner.id)
    managers = session.exec(q.where(col(User.role) == "manager", col(User.team_id) == owner.team_id)
                            .order_by(col(User.id))).all() if owner.team_id is not None else []
    return list(managers) or list(session.exec(q.where(col(User.role) == "admin").order_by(col(User.id))).all())
