"""GET and POST /s/TOKEN: the customer's survey page, no login.

The door, in order, before the token is looked at: the rate limit (per client address, in the database, so every
web process counts alike), then for a POST the origin, the content type and the body's size. A wrong, used or
expired token gets the same neutral page with the same status. The form carries a token bound to the survey's
token and to a random nonce kept in a SameSite=Strict cookie scoped to the link's path (a cross-site post carries
no cookie; a page of another survey cannot make this one's form token). Every answer has the same headers: a
strict CSP (no script; the one inline style by its hash), no referrer (the link is a capability), no framing, no
caching.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot.surveys import page
from handlers.context import Settings
from handlers.i18n import lang_of, tr
from handlers.surveys import answered, subject_text
from sales import surveys
from sales.limits import admit
from storage.db import session_factory, transaction
from storage.models import Survey

log = logging.getLogger("salesbot.web")
MAX_FORM = 16 * 1024  # a comment of 1,000 characters in percent-encoded UTF-8 is under 10 KB
COOKIE = "sv"
_NONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Door:
    """The page's limits: requests per client address per window (0: none)."""

    limit: int = 30
    window: timedelta = timedelta(minutes=1)


class _Stop(Exception):
    """Answer at once with this status and page."""

    def __init__(self, status: int, html: str) -> None:
        super().__init__(status)
        self.status, self.html = status, html


def form_token(token: str, nonce: str) -> str:
    """The form's token: bound to the survey's token and the cookie's nonce."""
    mac = hmac.new(token.encode(), b"survey-form|" + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def headers(secure: bool) -> dict[str, str]:
    """The security headers of every survey answer."""
    out = {"Content-Security-Policy": f"default-src 'none'; style-src '{page.CSS_HASH}'; img-src 'self'; "
                                      "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
           "Cache-Control": "no-store", "Pragma": "no-cache", "Cross-Origin-Opener-Policy": "same-origin",
           "Cross-Origin-Resource-Policy": "same-origin", "X-Robots-Tag": "noindex, nofollow",
           "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()"}
    if secure:
        out["Strict-Transport-Security"] = "max-age=31536000"
    return out


def routes(engine: Engine, clock: Callable[[], datetime], settings: Settings, door: Door | None = None) -> list[Route]:
    """The survey page's routes for the web app."""
    door = door or Door()
    secure = settings.public_url.startswith("https://")
    public_origin = "{0.scheme}://{0.netloc}".format(urlsplit(settings.public_url)) if settings.public_url else ""

    def respond(status: int, html: str, nonce: str | None = None, token: str = "") -> Response:
        response = HTMLResponse(html, status_code=status, headers=headers(secure))
        if nonce is not None:
            response.set_cookie(COOKIE, nonce, max_age=int(surveys.TTL.total_seconds()), path=surveys.PATH + token,
                                secure=secure, httponly=True, samesite="strict")
        return response

    def page_lang(request: Request, survey: Survey | None) -> str:
        asked = request.query_params.get("lang", "")
        if asked in surveys.LANGS:
            return asked
        if survey is not None:
            return lang_of(survey.lang, settings.default_lang)
        accept = request.headers.get("accept-language", "").split(",")[0].split(";")[0].strip()
        return lang_of(accept or None, settings.default_lang)

    def admitted(request: Request) -> bool:
        if door.limit <= 0:
            return True
        who = request.client.host if request.client else "?"
        with transaction(session_factory(engine)) as session:
            return admit(session, key=f"web:survey:{who}", now=clock(), limit=door.limit,
                         window=door.window) == "ok"

    def lookup(token: str) -> tuple[Survey | None, str]:
        with session_factory(engine)() as session:
            survey = surveys.open_survey(session, token=token, now=clock())
            if survey is None:
                return None, ""
            session.expunge(survey)
            return survey, subject_text(lang_of(survey.lang, settings.default_lang), survey.subject_kind,
                                        survey.subject_id)

    def show_form(request: Request, survey: Survey, token: str, error: str = "", comment: str = "",
                  score: int | None = None, status: int = 200) -> Response:
        lang = page_lang(request, survey)
        nonce = secrets.token_urlsafe(16)
        html = page.form(lang, company=settings.company_name,
                         subject=subject_text(lang, survey.subject_kind, survey.subject_id),
                         form_token=form_token(token, nonce), error=error, comment=comment, score=score)
        return respond(status, html, nonce, token)

    async def door_checks(request: Request) -> None:
        try:
            ok = await asyncio.to_thread(admitted, request)
        except Exception as exc:
            log.warning("survey door: database unavailable", extra={"error": type(exc).__name__})
            raise _Stop(503, page.busy(page_lang(request, None))) from None
        if not ok:
            raise _Stop(429, page.busy(page_lang(request, None)))

    async def get(request: Request) -> Response:
        token = request.path_params["token"]
        try:
            await door_checks(request)
            survey, _ = await asyncio.to_thread(lookup, token)
        except _Stop as stop:
            return respond(stop.status, stop.html)
        except Exception as exc:
            log.warning("survey page failed", extra={"error": type(exc).__name__})
            return respond(503, page.busy(page_lang(request, None)))
        if survey is None:
            return respond(404, page.neutral(page_lang(request, None)))
        return show_form(request, survey, token)

    async def read_form(request: Request) -> dict[str, str]:
        lang = page_lang(request, None)
        origin = request.headers.get("origin")
        own = f"{request.url.scheme}://{request.url.netloc}"
        # With no referrer, a browser's form post says `Origin: null`: Sec-Fetch-Site tells where it came from.
        foreign = origin not in (None, "null", own, public_origin)
        if foreign or request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
            raise _Stop(403, page.neutral(lang))
        if request.headers.get("content-type", "").split(";")[0].strip().lower() != FORM_TYPE:
            raise _Stop(415, page.neutral(lang))
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_FORM:
            raise _Stop(413, page.neutral(lang))
        raw, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_FORM:
                raise _Stop(413, page.neutral(lang))
            raw.append(chunk)
        try:
            fields = parse_qs(b"".join(raw).decode("utf-8"), keep_blank_values=True, max_num_fields=8)
        except (UnicodeDecodeError, ValueError):
            raise _Stop(400, page.neutral(lang)) from None
        return {k: v[0] for k, v in fields.items() if v}

    def land(token: str, score: int, comment: str) -> bool:
        now = clock()
        with transaction(session_factory(engine)) as session:
            survey = surveys.answer(session, token=token, score=score, comment=comment, now=now)
            if survey is None:
                return False
            answered(session, survey, now=now, default_lang=settings.default_lang)
            return True

    async def post(request: Request) -> Response:
        token = request.path_params["token"]
        try:
            await door_checks(request)
            fields = await read_form(request)
            survey, _ = await asyncio.to_thread(lookup, token)
        except _Stop as stop:
            return respond(stop.status, stop.html)
        except ClientDisconnect:
            raise
        except Exception as exc:
            log.warning("survey answer failed", extra={"error": type(exc).__name__})
            return respond(503, page.busy(page_lang(request, None)))
        if survey is None:
            return respond(404, page.neutral(page_lang(request, None)))
        lang = page_lang(request, survey)
        comment = surveys.clean_comment(fields.get("comment", ""))
        score_text = fields.get("score", "")
        score = int(score_text) if score_text in ("1", "2", "3", "4", "5") else None
        nonce = request.cookies.get(COOKIE, "")
        sent = fields.get("form", "")
        if not (_NONCE.fullmatch(nonce) and hmac.compare_digest(sent.encode(), form_token(token, nonce).encode())):
            return show_form(request, survey, token, tr(lang, "Your answer was not sent. Please send it again."),
                             comment, score, status=400)
        if score is None:
            return show_form(request, survey, token, tr(lang, "Please choose 1 to 5 stars."), comment, status=400)
        try:
            landed = await asyncio.to_thread(land, token, score, comment)
        except Exception as exc:
            log.warning("survey answer not stored", extra={"error": type(exc).__name__})
            return respond(503, page.busy(lang))
        if not landed:  # answered a moment ago by another submission, or expired since the look-up
            return respond(404, page.neutral(page_lang(request, None)))
        response = respond(200, page.thanks(lang, company=settings.company_name))
        response.delete_cookie(COOKIE, path=surveys.PATH + token, secure=secure, httponly=True, samesite="strict")
        return response

    return [Route(surveys.PATH + "{token}", get, methods=["GET"]), Route(surveys.PATH + "{token}", post,
                                                                         methods=["POST"])]
