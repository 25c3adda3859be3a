"""`salesbot card FILE [--json]`: what a photo of a business card reads as, offline; and the OCR's warm-up."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from bot.run import Adapter
log = logging.getLogger("salesbot.cards")


def card(
    file: Annotated[Path, typer.Argument(help="a photo of a business card (JPEG, PNG, WebP)", show_default=False)],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object: the fields, the confidence, the lines")] = False,
    region: Annotated[str, typer.Option(help="the country phone numbers are read in when they have no +code")] = "",
) -> None:
    """Print what a business card reads as (company, person, title, mobile, phone, email, address)."""
    from handlers.i18n import tr
    from sales.cards import NotACard, read_card

    lang = os.environ.get("SALESBOT_DEFAULT_LANG", "en")
    try:
        data = file.read_bytes()
    except OSError as exc:
        typer.echo(tr(lang, "Cannot read {f}: {why}", f=str(file), why=exc.strerror or type(exc).__name__), err=True)
        raise typer.Exit(1) from None
    reading = read_card(data, region or os.environ.get("SALESBOT_PHONE_REGION", "CN"))
    if isinstance(reading, NotACard):
        if as_json:
            typer.echo(json.dumps({"card": False, "reason": reading.reason}))
        typer.echo(tr(lang, "{f} is not a business card ({why}).", f=str(file), why=reading.reason), err=True)
        raise typer.Exit(1)
    fields = reading.fields.as_dict()
    if as_json:
        typer.echo(json.dumps({"card": True, "fields": fields, "confidence": round(reading.confidence, 3),
                               "lines": [{"text": x.text, "box": [round(v, 1) for v in x.box],
                                          "score": round(x.score, 3)} for x in reading.lines]},
                              ensure_ascii=False))
        return
    for name, value in fields.items():
        typer.echo(f"{name + ':':<9} {value or '—'}")
    typer.echo(f"{'read:':<9} {reading.confidence:.0%}")


def warm_in_background() -> threading.Thread:
    """Load the OCR model in a thread of its own, so that no person's turn waits for it (once per process).
    SALESBOT_CARDS_WARM=0 leaves the loading to the first card (a deployment that reads no cards spares the
    model's memory)."""
    def warm() -> None:
        from sales.cards import warm_up

        if os.environ.get("SALESBOT_CARDS_WARM", "1") == "0":
            return
        try:
            warm_up()
        except Exception as exc:  # the chat still answers; the first card says it could not be read
            log.error("the business card model did not load", extra={"error": type(exc).__name__})

    thread = threading.Thread(target=warm, name="cards-warm-up", daemon=True)
    thread.start()
    return thread


def warm_up_adapter() -> Adapter:
    """A `bot.run.Adapter` that loads the OCR model in the background once the adapters before it (the web
    server, the chat platforms) are up: put it last, so health checks and turns never wait for the loading."""
    from bot.run import Adapter

    loading: list[threading.Thread] = []

    async def start() -> None:
        loading.append(warm_in_background())

    async def stop() -> None:
        # The model's loading cannot be interrupted, and a process that exits while onnxruntime is being loaded
        # aborts: wait for it (a few seconds at most).
        for thread in loading:
            await asyncio.to_thread(thread.join, 60)

    return Adapter("cards-warm-up", start, stop)


def register(app: typer.Typer) -> None:
    """Add `salesbot card` to the CLI."""
    app.command()(card)
