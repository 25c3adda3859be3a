"""The HTTP endpoint: verifies Slack's signature and the payload's shape before Bolt sees the request."""

from __future__ import annotations

import logging

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier

from bot.adapters.slack.parse import ParseError, body_from_http

log = logging.getLogger("salesbot.slack.web")
PATH = "/slack/events"
MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; files come by URL


def web_app(app: AsyncApp, signing_secret: str, path: str = PATH) -> web.Application:
    """An aiohttp application serving Bolt at `path`: 401 for a bad signature or an old timestamp
    (more than 5 minutes), 400 for a malformed payload, both before anything is read or written."""
    verifier = SignatureVerifier(signing_secret)

    async def handle(request: web.Request) -> web.Response:
        raw = await request.read()
        headers = {k: v for k, v in request.headers.items()}
        if not verifier.is_valid_request(raw, headers):
            log.warning("refused a request with a bad signature or timestamp")
            return web.json_response({"error": "invalid request"}, status=401)
        try:
            body_from_http(raw.decode("utf-8"), request.content_type)
        except (UnicodeDecodeError, ParseError) as err:
            log.warning("refused a malformed payload: %s", err)
            return web.json_response({"error": "malformed payload"}, status=400)
        bolt_resp = await app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(bolt_resp)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    application = web.Application(client_max_size=MAX_BODY)
    application.router.add_post(path, handle)
    application.router.add_get("/healthz", health)
    return application
