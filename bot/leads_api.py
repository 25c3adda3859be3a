"""POST /api/leads: a web form's lead, checked at the door (Bearer token, JSON, field lengths and formats) and
captured; its answers and logs say why something was refused, never what a person sent or what exists."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.json_api import Refused, read_fields, retried
from bot.json_api import endpoint as json_endpoint
from handlers.core import Clock
from sales import leads
from sales.invites import default_team

MAX_LENGTHS = {"company": 200, "person": 100, "phone": 40, "email": 254, "source": 100, "budget": 50, "size": 50,
               "note": 2000}


def endpoint(engine: Engine, clock: Clock, token: str) -> Any:
    """The Starlette endpoint of POST /api/leads."""
    async def api_leads(request: Request) -> Response:
        fields = read_fields(await request.body(), MAX_LENGTHS, ("company",))
        return await asyncio.to_thread(capture, engine, clock, fields)

    return json_endpoint("lead", token, api_leads)


def capture(engine: Engine, clock: Clock, fields: dict[str, str]) -> Response:
    """Capture the lead (a race on a unique key is tried again); the answer names nothing that exists."""
    def work(session: Session, now: datetime) -> Response:
        team = default_team(session, now)
        try:
            lead = leads.capture(session, by=None, now=now, team_id=team.id, company=fields["company"],
                                 person=fields.get("person"), phone=fields.get("phone"), email=fields.get("email"),
                                 source=fields.get("source"), budget=fields.get("budget"), size=fields.get("size"),
                                 note=fields.get("note"))
        except leads.LeadDuplicate:
            # Said the same way whatever it matched (a lead, a customer; by name, phone or email): a token
            # holder learns nothing about the records behind it.
            raise Refused(409, "duplicate", "a lead like this one was received before") from None
        return JSONResponse({"id": lead.id, "score": lead.score, "status": lead.status}, status_code=201)

    return retried("lead", engine, clock, work)
