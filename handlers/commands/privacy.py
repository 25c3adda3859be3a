"""/privacy: a person's data on request, its erasure, its legal basis, and what is past retention (admins)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from handlers.context import Ctx
from handlers.fmt import day
from handlers.lookup import CONFIRM
from handlers.markup import esc
from handlers.registry import command, usage
from handlers.types import Attachment, Reply
from sales import privacy
from sales.access import ADMINS
from sales.privacy import Person, erasure

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _ref(p: Person) -> str:
    return f"{'c' if p.kind == 'contact' else 'l'}:{p.id}"


def _kind(ctx: Ctx, p: Person) -> str:
    return ctx.t("contact") if p.kind == "contact" else ctx.t("lead")


def _one(ctx: Ctx, query: str, redo: str) -> Person | None:
    """The one person a query names, or None after listing the candidates (as buttons) or saying none."""
    found = privacy.find_people(ctx.session, query, region=ctx.settings.phone_region)
    if len(found) == 1:
        return found[0]
    if not found:
        ctx.say("No one found for “{q}”: use a name, a phone, an email, or c:N / l:N.", q=esc(query))
        return None
    rows = tuple((ctx.button(f"{_kind(ctx, p)} {p.label}"[:75], f"say:/privacy {redo} {_ref(p)}"),) for p in found)
    ctx.say("“{q}” matches several people. Which one?", q=esc(query), buttons=rows,
            private=True)
    return None


@command("privacy", "/privacy export|erase PERSON | /privacy basis PERSON consent CHANNEL|contract [until DATE] | "
         "/privacy due", "personal information: export, erase, legal basis, past retention (admins)", roles=ADMINS, personal=True)
def privacy_cmd(ctx: Ctx, args: str) -> None:
    """Route the four privacy requests."""
    verb, _, rest = args.strip().partition(" ")
    verb = verb.lower()
    rest = rest.strip()
    if verb in ("export", "导出") and rest:
        person = _one(ctx, rest, "export")
        if person is not None:
            _export(ctx, person)
    elif verb in ("erase", "删除") and rest:
        words = rest.split()
        confirmed = words[-1].lower() in CONFIRM
        query = " ".join(words[:-1]) if confirmed else rest
        person = _one(ctx, query, "erase") if query else None
        if person is not None:
            _erase(ctx, person, confirmed and query == _ref(person))
    elif verb in ("basis", "依据") and rest:
        _basis(ctx, rest)
    elif verb in ("due", "到期"):
        _due(ctx)
    else:
        usage(ctx, "privacy")


def _export(ctx: Ctx, person: Person) -> None:
    data = erasure.export(ctx.session, person=person, by=ctx.me, now=ctx.now)
    name = f"personal-data-{_ref(person).replace(':', '')}-{ctx.local_now:%Y%m%d}.json"
    ctx.replies.append(Reply(text=ctx.t("Everything stored about {k} {p} (JSON). This export is in the audit log.",
                                        k=_kind(ctx, person), p=esc(person.label)),
                             image=Attachment(name=name, mime="application/json", data=data), private=True))


def _erase(ctx: Ctx, person: Person, confirmed: bool) -> None:
    if not confirmed:
        found = erasure.find(ctx.session, person)
        counts = "，".join(f"{t} {n}" for t, n in sorted(found.counts().items())) or "—"
        ctx.say("This erases or anonymizes everything of {k} {p}: {c} (rows). The audit log keeps one entry without their data. It cannot be undone.", k=_kind(ctx, person), p=esc(person.label), c=counts, private=True,
                buttons=((ctx.button(ctx.t("Confirm erase"), f"say:/privacy erase {_ref(person)} confirm",
                                     "danger"),),))
        return
    changed = erasure.erase(ctx.session, person=person, by=ctx.me, now=ctx.now)
    ctx.say("Erased: {c}.", c=", ".join(f"{t} {n}" for t, n in sorted(changed.items())) or "—")


def _basis(ctx: Ctx, rest: str) -> None:
    words = rest.split()
    at = next((i for i, w in enumerate(words) if w.lower() in privacy.BASES), None)
    if at is None or at == 0:
        usage(ctx, "privacy")
        return
    until: datetime | None = None
    tail = words[at + 1:]
    if len(tail) >= 2 and tail[-2].lower() in ("until", "至", "到") and _DATE.fullmatch(tail[-1]):
        try:
            until = datetime.combine(date.fromisoformat(tail[-1]), time(0), tzinfo=ctx.tz).astimezone(UTC)
        except ValueError:
            usage(ctx, "privacy")
            return
        tail = tail[:-2]
    person = _one(ctx, " ".join(words[:at]), "basis")
    if person is None:
        return
    basis = words[at].lower()
    privacy.set_basis(ctx.session, person=person, basis=basis, channel=" ".join(tail) or None, until=until,
                      by=ctx.me, now=ctx.now)
    ctx.say("Recorded the legal basis of {p}: {b}{c}{u}.", p=esc(person.label),
            b=basis, c=f" ({esc(' '.join(tail))})" if tail else "",
            u=ctx.t(", kept until {d}", d=day(until.astimezone(ctx.tz).date(), ctx.lang)) if until else "",
            private=True)


def _due(ctx: Ctx) -> None:
    people = privacy.flagged(ctx.session)
    if not people:
        ctx.say("No personal data is past its retention date.")
        return
    rows = tuple((ctx.button(ctx.t("Export {p}", p=p.label)[:75], f"say:/privacy export {_ref(p)}"),
                  ctx.button(ctx.t("Erase"), f"say:/privacy erase {_ref(p)}", "danger")) for p in people[:10])
    body = "\n".join(f"{_ref(p)} {_kind(ctx, p)} {esc(p.label)}" for p in people)
    ctx.say("Personal data past its retention date ({n}):\n{b}", n=len(people),
            b=body, buttons=rows, private=True)
