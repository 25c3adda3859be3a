"""Satisfaction surveys in chat: the owner is given the link (and its QR code) to pass on, and hears of a low
score at once, with their manager. The entry point for tickets and orders is `offer_survey`."""

from __future__ import annotations

import io
from datetime import datetime

from sqlmodel import Session

from handlers import outbox
from handlers.context import Ctx
from handlers.fmt import moment
from handlers.i18n import lang_of, tr
from handlers.markup import esc
from handlers.types import Attachment, Reply
from sales import surveys
from storage.models import Customer, Survey, User

STARS = "★★★★★☆☆☆☆☆"


def stars(score: int) -> str:
    """★★★★☆ for 4."""
    return STARS[5 - score:10 - score]


def subject_text(lang: str, kind: str, subject_id: int | None) -> str:
    """What a survey rates, in words: service request #5, order #12, our service."""
    if kind == "ticket" and subject_id is not None:
        return tr(lang, "service request #{n}", n=subject_id)
    if kind == "order" and subject_id is not None:
        return tr(lang, "order #{n}", n=subject_id)
    return tr(lang, "our service")


def link(base_url: str, made: surveys.Offer) -> str:
    """The survey's full link on the web role."""
    return base_url.rstrip("/") + made.path


def qr_png(url: str) -> bytes:
    """The link as a QR code, a PNG about 370 px wide (segno: pure Python)."""
    import segno

    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def offer_survey(ctx: Ctx, *, customer: Customer, subject_kind: surveys.Kind, subject_id: int | None,
                 owner: User | None = None, lang: str | None = None, to_speaker: bool = False) -> surveys.Offer:
    """Make a survey link for `customer` and give it, with its QR code, to the owner (the customer's owner unless
    told): in this turn's answer when the owner is the speaker (or `to_speaker`), else in the owner's private
    chat through the outbox."""
    owner = owner or ctx.session.get(User, customer.owner_id)
    assert owner is not None
    made = surveys.offer(ctx.session, customer_id=customer.id or 0, subject_kind=subject_kind,
                         subject_id=subject_id, owner=owner, now=ctx.now, by=ctx.me, lang=lang)
    url = link(ctx.settings.public_url, made)
    image = Attachment(f"survey-{made.survey.id}.png", "image/png", qr_png(url))
    if to_speaker or owner.id == ctx.me.id:
        text = _offer_text(ctx.lang, customer, made.survey, url)
        ctx.replies.append(Reply(text=text, image=image, private=True))
    else:
        text = _offer_text(ctx.lang_for(owner), customer, made.survey, url)
        outbox.to_user(ctx.session, owner, Reply(text=text, image=image), now=ctx.now,
                       prefer=ctx.incoming.chat.platform)
    return made


def _offer_text(lang: str, customer: Customer, survey: Survey, url: str) -> str:
    return tr(lang, "Satisfaction survey for *{c}* ({w}): pass this link on to the customer. It works once, for "
                    "14 days; the QR code opens it on a phone.\n{u}",
              c=esc(customer.name), w=subject_text(lang, survey.subject_kind, survey.subject_id), u=url)


def answered(session: Session, survey: Survey, *, now: datetime, default_lang: str) -> int:
    """After an answer: a low score goes to the owner and their manager at once (the outbox); how many told."""
    if not surveys.is_low(survey.score):
        return 0
    owner = session.get(User, survey.owner_id)
    customer = session.get(Customer, survey.customer_id)
    if owner is None or customer is None:
        return 0
    told = 0
    for user in [owner, *surveys.managers_of(session, owner)]:
        lang = lang_of(user.lang, default_lang)
        text = tr(lang, "⚠ Low satisfaction score: *{c}* gave {s} ({n}/5) for {w}. Owner: {o}.",
                  c=esc(customer.name), s=stars(survey.score or 1), n=survey.score,
                  w=subject_text(lang, survey.subject_kind, survey.subject_id), o=esc(owner.name))
        if survey.comment:
            text += "\n" + tr(lang, "Comment: “{m}”", m=esc(survey.comment[:500]))
        told += outbox.to_user(session, user, Reply(text=text), now=now)
    return told


def card_line(ctx: Ctx, customer_id: int) -> str | None:
    """The customer card's line: the latest score, when there is one."""
    last = surveys.latest(ctx.session, customer_id=customer_id)
    if last is None or last.score is None or last.answered_at is None:
        return None
    return ctx.t("Satisfaction: {s} {n}/5 ({w}, {d})", s=stars(last.score), n=last.score,
                 w=subject_text(ctx.lang, last.subject_kind, last.subject_id),
                 d=moment(last.answered_at, ctx.tz, ctx.lang, False))
