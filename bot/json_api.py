"""An authenticated JSON POST endpoint (the lead and ticket APIs): Bearer token, fields checked at the door, an
Idempotency-Key, a unique-key race tried again; refusals answer and log why, never what a person sent."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from sqlmodel import Session
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from handlers.core import Clock
from sales.errors import RuleError
from storage.db import session_factory, transaction

log = logging.getLogger("salesbot.web")
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-.]{3,38}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_KEY = re.compile(r"[\x21-\x7e]{1,100}")  # visible ASCII
ATTEMPTS = 3  # a race on a unique key (a counter, an Idempotency-Key) is tried again, never answered 500


class Refused(Exception):
    """The request is refused with this status and reason (safe to show and log: it quotes nothing sent)."""

    def __init__(self, status: int, error: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.error, self.reason = status, error, reason


def bearer_ok(header: str, token: str) -> bool:
    """Whether an Authorization header is `Bearer <token>` (the scheme required, compared in constant time)."""
    scheme, _, sent = header.strip().partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), token.encode())


def endpoint(what: str, token: str, answer: Callable[[Request], Awaitable[Response]]
             ) -> Callable[[Request], Awaitable[Response]]:
    """`answer` behind the Bearer check; a Refused is its 4xx/503 answer, anything else a 500 (logs name no values)."""
    @functools.wraps(answer)
    async def guarded(request: Request) -> Response:
        try:
            if not bearer_ok(request.headers.get("authorization", ""), token):
                raise Refused(401, "unauthorized", "send Authorization: Bearer <token>")
            return await answer(request)
        except Refused as no:
            log.info(f"{what} refused", extra={"status": no.status, "error": no.reason})  # the reason, no values
            return JSONResponse({"error": no.error, "reason": no.reason}, status_code=no.status)
        except ClientDisconnect:
            raise  # the web app's door logs it as one line
        except Exception as exc:  # no traceback in the log: messages may quote what was sent
            log.error(f"{what} api failed", extra={"error": type(exc).__name__})
            return JSONResponse({"error": "internal", "reason": "nothing was saved; try again"}, status_code=500)

    return guarded


def read_fields(raw: bytes, limits: dict[str, int], required: tuple[str, ...]) -> dict[str, str]:
    """The fields of a JSON body, each checked (length, text, phone, email); Refused (400) saying which and why."""
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


def read_key(request: Request) -> str | None:
    """The Idempotency-Key header, if sent (1 to 100 visible ASCII characters)."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not _KEY.fullmatch(key.strip()):
        raise Refused(400, "bad_request", "Idempotency-Key: 1 to 100 visible ASCII characters")
    return key.strip()


def digest(fields: dict[str, str]) -> str:
    """What was posted, as a hash: the same key with another body is refused."""
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def retried(what: str, engine: Engine, clock: Clock, work: Callable[[Session, datetime], Response]) -> Response:
    """`work` in one transaction, tried again on a unique-key race; a rule it breaks is 422, no database 503."""
    for attempt in range(1, ATTEMPTS + 1):
        now = clock()
        try:
            with transaction(session_factory(engine)) as session:
                return work(session, now)
        except RuleError as err:
            raise Refused(422, err.code, f"refused: {err.code}") from None
        except (IntegrityError, OperationalError, InterfaceError) as exc:
            # No traceback: the driver's message quotes the statement's values (a phone, an email).
            log.warning(f"{what} capture failed", extra={"error": type(exc).__name__, "count": attempt})
    raise Refused(503, "unavailable", "try again shortly")
