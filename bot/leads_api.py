"""POST /api/leads: a web form's lead, checked at the door (Bearer token, JSON, field lengths and formats) and
captured; its answers and logs say why something was refused, never what a person sent or what exists."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from handlers.core import Clock
from sales import leads
from sales.errors import RuleError
from sales.invites import default_team
from storage.db import session_factory, transaction

log = logging.getLogger("salesbot.web")
MAX_LENGTHS = {"company": 200, "person": 100, "phone": 40, "email": 254, "source": 100, "budget": 50, "size": 50,
               "note": 2000}
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-.]{3,38}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
ATTEMPTS = 3  # a race on a unique key (the round-robin counter, say) is tried again, never answered 500


class Refused(Exception):
    """The request is refused with this status and reason (safe to show and log: it quotes nothing sent)."""

    def __init__(self, status: int, error: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.error, self.reason = status, error, reason


def bearer_ok(header: str, token: str) -> bool:
    """Whether an Authorization header is `Bearer <token>` (the scheme required, compared in constant time)."""
    scheme, _, sent = header.strip().partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode())


def read_fields(raw: bytes, limits: dict[str, int] = MAX_LENGTHS, required: tuple[str, ...] = ("company",)
                ) -> dict[str, str]:
    """The fields of a JSON body (a lead's by default), each checked; Refused (400) saying which field and why."""
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise Refused(400, "bad_request", "the body is not JSON") from None
    if not isinstance(body, dict):
        raise Refused(400, "bad_request", "the body must be a JSON object")
    fields: dict[str, str] = {}
    for name, limit in limits.items():
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise Refused(400, "bad_request", f"{name}: expected a string")
        text = str(value).strip()
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise Refused(400, "bad_request", f"{name}: not valid text") from None
        if _CONTROL.search(text):
            raise Refused(400, "bad_request", f"{name}: control characters are not allowed")
        if len(text) > limit:
            raise Refused(400, "bad_request", f"{name}: at most {limit} characters")
        if text:
            fields[name] = text
    for name in required:
        if name not in fields:
            raise Refused(400, "bad_request", f"{name} is required")
    if "phone" in fields and not _PHONE.fullmatch(fields["phone"]):
        raise Refused(400, "bad_request", "phone: digits, spaces, + ( ) - only")
    if "email" in fields and not _EMAIL.fullmatch(fields["email"]):
        raise Refused(400, "bad_request", "email: not an address")
    return fields


def endpoint(engine: Engine, clock: Clock, token: str) -> Any:
    """The Starlette endpoint of POST /api/leads."""
    async def api_leads(request: Request) -> Response:
        try:
            if not bearer_ok(request.headers.get("authorization", ""), token):
                raise Refused(401, "unauthorized", "send Authorization: Bearer <token>")
            fields = read_fields(await request.body())
            return await asyncio.to_thread(capture, engine, clock, fields)
        except Refused as no:
            log.info("lead refused", extra={"status": no.status, "error": no.reason})  # the reason, no values
            return JSONResponse({"error": no.error, "reason": no.reason}, status_code=no.status)
        except ClientDisconnect:
            raise  # the web app's door logs it as one line
        except Exception as exc:  # no traceback in the log: messages may quote what was sent
            log.error("lead api failed", extra={"error": type(exc).__name__})
            return JSONResponse({"error": "internal", "reason": "nothing was saved; try again"}, status_code=500)

    return api_leads


def capture(engine: Engine, clock: Clock, fields: dict[str, str]) -> Response:
    """Capture the lead (a race on a unique key is tried again); the answer names nothing that exists."""
    for attempt in range(1, ATTEMPTS + 1):
        now = clock()
        try:
            with transaction(session_factory(engine)) as session:
                team = default_team(session, now)
                lead = leads.capture(session, by=None, now=now, team_id=team.id, company=fields["company"],
                                     person=fields.get("person"), phone=fields.get("phone"),
                                     email=fields.get("email"), source=fields.get("source"),
                                     budget=fields.get("budget"), size=fields.get("size"), note=fields.get("note"))
                return JSONResponse({"id": lead.id, "score": lead.score, "status": lead.status}, status_code=201)
        except leads.LeadDuplicate:
            # Said the same way whatever it matched (a lead, a customer; by name, phone or email): a token
            # holder learns nothing about the records behind it.
            raise Refused(409, "duplicate", "a lead like this one was received before") from None
        except RuleError as err:
            raise Refused(422, err.code, f"refused: {err.code}") from None
        except (IntegrityError, OperationalError, InterfaceError) as exc:
            # No traceback: the driver's message quotes the statement's values (a phone, an email).
            log.warning("lead capture failed", extra={"error": type(exc).__name__, "count": attempt})
    raise Refused(503, "unavailable", "try again shortly")
