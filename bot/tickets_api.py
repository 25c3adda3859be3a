"""POST /api/tickets: a customer's problem from a web form, checked at the door like /api/leads (Bearer token, JSON,
field lengths and formats, 400 with a reason) and opened as a ticket, once per Idempotency-Key. The customer is
found by the duplicate rules; the answer is the same whether one was found or not, and names nothing that exists."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.json_api import Refused, digest, read_fields, read_key, retried
from bot.json_api import endpoint as json_endpoint
from handlers import outbox
from handlers.context import Settings
from handlers.core import Clock
from handlers.i18n import lang_of, tr
from handlers.markup import esc
from handlers.types import Button, Reply
from sales import tickets
from sales.invites import default_team
from storage.models import Customer, Ticket, User

MAX_LENGTHS = {"company": 200, "problem": tickets.MAX_PROBLEM, "priority": 2, "person": 100, "phone": 40,
               "email": 254}


def read_ticket(raw: bytes) -> dict[str, str]:
    """The ticket's fields from a JSON body, each checked; Refused (400) saying which and why."""
    fields = read_fields(raw, MAX_LENGTHS, ("company", "problem"))
    priority = fields.get("priority", "P3").upper()
    if priority not in tickets.PRIORITIES:
        raise Refused(400, "bad_request", "priority: P1, P2 or P3")
    fields["priority"] = priority
    return fields


def endpoint(engine: Engine, clock: Clock, token: str, settings: Settings) -> Any:
    """The Starlette endpoint of POST /api/tickets."""
    async def api_tickets(request: Request) -> Response:
        key = read_key(request)
        fields = read_ticket(await request.body())
        return await asyncio.to_thread(capture, engine, clock, settings, fields, key)

    return json_endpoint("ticket", token, api_tickets)


def _answer(t: Ticket, status: int) -> Response:
    # The same body for a matched and an unmatched customer: the caller learns nothing of the records.
    return JSONResponse({"id": t.id, "priority": t.priority}, status_code=status)


def capture(engine: Engine, clock: Clock, settings: Settings, fields: dict[str, str], key: str | None) -> Response:
    """Open the ticket once per key (a repeat answers the first one's id); a race on the key is tried again."""
    sent = digest(fields)

    def work(session: Session, now: datetime) -> Response:
        if key is not None:
            before = session.exec(select(Ticket).where(col(Ticket.api_key) == key)).first()
            if before is not None and before.api_digest == sent:
                return _answer(before, 200)
            if before is not None:
                raise Refused(409, "conflict", "this Idempotency-Key was used for another ticket")
        team = default_team(session, now)
        customer = tickets.match_customer(session, company=fields["company"], phone=fields.get("phone"),
                                          email=fields.get("email"), region=settings.phone_region)
        t = tickets.open_ticket(session, by=None, customer=customer, problem=fields["problem"],
                                priority=fields["priority"], now=now, default_tz=settings.default_tz,
                                team_id=team.id, company=fields["company"], person=fields.get("person"),
                                phone=fields.get("phone"), email=fields.get("email"), source="api",
                                api_key=key, api_digest=sent)
        _tell(session, t, customer, settings, now)
        return _answer(t, 201)

    return retried("ticket", engine, clock, work)


def _tell(session: Session, t: Ticket, customer: Customer | None, settings: Settings, now: datetime) -> None:
    """The assignee hears of the new ticket; one that matched no customer goes to the team's managers."""
    readers = [session.get(User, t.assignee_id)] if t.assignee_id else list(session.exec(
        select(User).where(col(User.active), col(User.role) == "manager", col(User.team_id) == t.team_id)).all())
    for user in readers:
        if user is None or not user.active:
            continue
        lang = lang_of(user.lang, settings.default_lang)
        name = esc(customer.name if customer is not None else (t.company or "?"))
        if customer is not None:
            text = tr(lang, "New ticket #{n} from the web form ({c}, {p}): {x}", n=t.id, c=name, p=t.priority,
                      x=esc(t.problem[:200]))
        else:
            text = tr(lang, "Web-form ticket #{n} ({c}, {p}) matched no customer: give it to someone with "
                            "/ticket {n} assign USER", n=t.id, c=name, p=t.priority)
        outbox.to_user(session, user, Reply(text=text, buttons=((Button(tr(lang, "Open"), f"say:/ticket {t.id}"),),)),
                       now=now)
