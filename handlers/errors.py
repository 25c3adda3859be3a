"""What each refusal of the rules says (English message ids, translated in handlers/locale/)."""

from __future__ import annotations

from collections.abc import Callable

from handlers.context import Ctx
from handlers.fmt import money
from handlers.i18n import N_, tr
from handlers.markup import esc
from handlers.types import Reply
from sales.errors import Amount, RuleError

MESSAGES: dict[str, str] = {
    "not_allowed": N_("You may not do that."),
    "bad_colleague": N_("Not to {name}: it must be an active rep or manager of the same team."),
    "not_yourself": N_("You can't do that to yourself."),
    "already_inactive": N_("{name} is already deactivated."),
    "bad_basis": N_("The legal basis is consent or contract, not “{basis}”."),
    "consent_needs_channel": N_("Consent needs its channel, e.g.: consent web-form."),
    "empty_name": N_("The name cannot be empty."),
    "merge_same": N_("That is the same customer."),
    "merge_other_team": N_("The two customers belong to different teams: they can't be merged."),
    "name_too_long": N_("That name is too long (at most {limit} characters)."),
    "bad_grade": N_("The grade must be A, B or C, not “{grade}”."),
    "no_tags": N_("Give a tag, e.g. #key."),
    "bad_phone": N_("“{phone}” is not a valid phone number."),
    "bad_email": N_("“{email}” is not a valid email address."),
    "two_phones": N_("“{phone}” is a second phone number: a contact keeps one; send the one to keep."),
    "two_emails": N_("“{email}” is a second email address: a contact keeps one; send the one to keep."),
    "card_gone": N_("That card is no longer waiting: it was saved, dismissed, or forgotten after two days. Send the photo again."),
    "card_needs": N_("The card needs a {field} before it can be saved: press Edit."),
    "amount_not_positive": N_("The amount must be more than 0."),
    "empty_title": N_("The title cannot be empty."),
    "bad_currency": N_("“{currency}” is not a currency rates can be set for (USD, EUR, GBP, HKD, JPY)."),
    "bad_rate": N_("“{rate}” is not an exchange rate."),
    "currency_mismatch": N_("The order is in {expected}, not {given}: record the payment in {expected}."),
    "mixed_currency": N_("A quote is in one currency; these prices are in {codes}."),
    "amount_cents": N_("Amounts are counted in cents: at least 0.01, with at most two decimals."),
    "followup_too_far": N_("The follow-up date {date} is too far ahead (at most {years} years); give a nearer one."),
    "paid_too_old": N_("The payment date {date} is too long ago (at most {years} years back); "
                       "give the day the money arrived."),
    "amount_too_large": N_("That amount is too large."),
    "bad_number": N_("“{value}” is not a number."),
    "bad_line": N_("I can't read the line “{line}”. Write: ITEM QTY UNIT_PRICE"),
    "no_lines": N_("A quote needs at least one line."),
    "too_many_lines": N_("A quote has at most {limit} lines."),
    "bad_discount": N_("The discount must be from 0% to below 100%, not {value}."),
    "deal_closed": N_("This deal is closed ({stage}); it can't change."),
    "already_won": N_("Deal #{deal} is already won."),
    "same_stage": N_("The deal is already at that stage."),
    "needs_info": N_("Before *qualified* the deal needs: {fields}."),
    "proposal_needs_quote": N_("*Proposal* needs a quote first: /quote new DEAL"),
    "lost_needs_reason": N_("A lost deal needs a reason: /lost DEAL REASON"),
    "quote_pending": N_("The quote is still waiting for approval; win the deal after it is decided."),
    "won_needs_amount": N_("Winning needs an amount or an approved quote."),
    "unknown_field": N_("Unknown field {field}."),
    "no_approver": N_("Nobody can approve this ({role}); ask an admin."),
    "already_decided": N_("This approval was already decided."),
    "own_request": N_("You can't approve your own request."),
    "not_approver": N_("You may not decide this discount."),
    "bad_plan": N_("I can't read “{part}” in the plan. E.g.: 30% now, 70% 2027-01-15"),
    "plan_event": N_("“{part}” hangs on an event (acceptance, delivery) whose date isn't known yet; give a date, e.g. rest 2027-03-01."),
    "paid_in_future": N_("The payment date {date} hasn't come yet; give the day the money arrived."),
    "date_in_past": N_("The date {date} is in the past."),
    "plan_sum": N_("The installments must add up to the order's {total} (use “rest” for the remainder)."),
    "plan_after_payment": N_("Payments were recorded; the plan can't change now."),
    "finance_only": N_("Only finance or an admin can record payments."),
    "plan_owner_only": N_("Only the order's owner, their manager or an admin can change its payment plan."),
    "overpaid": N_("That is more than the {outstanding} still open."),
    "unknown_role": N_("There is no role “{role}”: rep, manager, finance, admin."),
    "cannot_invite": N_("You may not invite a {role}."),
    "code_used": N_("That code was already used; ask your manager for a new one."),
    "name_taken": N_("{name} is already a user's name: invite a new person under a name of their own."),
    "one_account": N_("That person already has an account on {platform}: one account per platform."),
    "bad_code": N_("That code is wrong or expired; ask your manager for a new one."),
    "bad_kind": N_("Unknown activity kind."),
    "empty_text": N_("Please write what happened."),
    "text_too_long": N_("That is too long (at most {limit} characters)."),
    "bad_tz": N_("Unknown time zone; e.g. Asia/Shanghai or Europe/Berlin."),
    "not_found": N_("Not found."),
    "followup_closed": N_("That follow-up is already closed."),
    # corrections (sales/edits.py)
    "managers_only": N_("Only a manager or an admin may do that."),
    "not_backwards": N_("{stage} is not an earlier stage: move forward with /advance."),
    "needs_reason": N_("Give a reason."),
    "not_closed": N_("The deal is still open: only a won or lost deal is reopened."),
    "reopen_paid": N_("Money was received on order #{order}: the deal can't be reopened."),
    "empty_value": N_("The value cannot be empty."),
    "bad_status": N_("The status is active, dormant or churned, not “{status}”."),
    "survey_no_customer": N_("That customer no longer exists."),
    "survey_score": N_("A score is 1 to 5 stars."),
    # after the sale (sales/fulfilment.py, sales/invoices.py)
    "bad_step": N_("Unknown step: start, ship, deliver or accept."),
    "step_done": N_("Order #{order} is already past that step: see /order {order}."),
    "invoice_needs_title": N_("The invoice needs the buyer's title (the company name on it)."),
    "bad_tax_no": N_("“{value}” is not a tax number (6 to 30 letters and digits)."),
    "no_installment": N_("Order #{order} has no installment {n}: see its plan with /order {order}."),
    "installment_invoiced": N_("Installment {n} already has invoice #{invoice}."),
    "nothing_to_invoice": N_("Nothing of order #{order} is left to invoice."),
    "over_invoiced": N_("That is more than the {left} {currency} not yet invoiced."),
    "finance_invoices": N_("Only finance or an admin can issue or reject invoices."),
    "invoice_decided": N_("Invoice #{invoice} was already decided."),
    "invoice_needs_number": N_("Give the invoice number, e.g.: /invoice issue 3 04521234"),
    "invoice_number_taken": N_("Invoice number {number} is already used by another invoice."),
    "invoice_needs_reason": N_("Give a reason, e.g.: /invoice reject 3 wrong tax number"),
}

REFUSED = N_("That was refused ({code}).")


def explain(ctx: Ctx, err: RuleError) -> None:
    """Answer a refused change with what to do next."""
    ctx.replies.append(Reply(text=refusal(err, ctx.lang, fill=esc)))


def refusal(err: RuleError, lang: str, *, fill: Callable[[object], str] = str) -> str:
    """What a refusal says in `lang`, its values passed through `fill` (esc for a Reply)."""
    params = {k: fill(money(v.value, v.currency) if isinstance(v, Amount) else ", ".join(v) if isinstance(v, list)
                      else v) for k, v in err.params.items()}
    return tr(lang, MESSAGES.get(err.code, REFUSED), code=err.code, **params)
