"""/survey CUSTOMER [zh|en]: a satisfaction survey link (and its QR code) for any customer the rep may see."""

from __future__ import annotations

from handlers import lookup
from handlers.context import Ctx
from handlers.registry import command, usage
from handlers.surveys import offer_survey
from sales.access import SELLERS

LANG_WORDS = {"zh": "zh", "中文": "zh", "chinese": "zh", "en": "en", "英文": "en", "english": "en"}


@command("survey", "/survey CUSTOMER [zh|en]", "a satisfaction survey link and QR code to pass on to a customer",
         roles=SELLERS, aliases=("满意度",), personal=True)
def survey_cmd(ctx: Ctx, args: str) -> None:
    """Make a survey link for the customer's service as a whole; a language word sets the page's language (and
    the customer's next links keep it)."""
    words = lookup.words(args)
    lang = LANG_WORDS.get(words[-1].casefold()) if words else None
    if lang is not None:
        words = words[:-1]
    if not words:
        usage(ctx, "survey")
        return
    rest = " ".join(words)
    customer = lookup.customer(ctx, rest, lambda ref: f"/survey {ref}" + (f" {lang}" if lang else ""))
    if customer is None:
        return
    offer_survey(ctx, customer=customer, subject_kind="customer", subject_id=None, lang=lang, to_speaker=True)
