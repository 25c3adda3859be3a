"""Importing a spreadsheet sent to the bot (preview, then Confirm) and /export.

sales.imports and sales.exporting (with their readers and phonenumbers) are imported where a command uses them:
every process loads this module at its start, and most never import a sheet.
"""

from __future__ import annotations

import json
import logging
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, update
from sqlmodel import col, select

from handlers import outbox
from handlers.context import Ctx
from handlers.i18n import N_, tr, trn
from handlers.markup import esc
from handlers.registry import command, usage
from handlers.sheets import file_message, reason_text
from handlers.types import Attachment, Button, Reply
from sales import audit
from sales.access import MANAGERS, SELLERS
from storage.db import reading, session_factory, transaction
from storage.models import ImportBatch, User

if TYPE_CHECKING:
    from sales.imports import Options, Plan

log = logging.getLogger("salesbot.export")
_EXPORTS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="export")  # exports made off the request path
_RUNNING: set[Future[None]] = set()

IMPORTERS = MANAGERS
SHOW = 10
SHOW_COLUMNS = 40  # recognized columns listed (a sheet has fewer fields than this)
SHOW_REASONS = 3  # reasons listed for one rejected row
HEADER_CHARS = 30  # of a header as the preview shows it
MAX_TEXT = 6000  # characters of a preview: two messages at most on every platform
FIELD_LABELS: dict[str, str] = {
    "name": N_("company"), "industry": N_("industry"), "size": N_("size"),
    "source": N_("source"), "grade": N_("grade"), "tags": N_("tags"), "owner": N_("owner"),
    "needs": N_("needs"), "status": N_("status"), "last_contact": N_("last contact"),
    "past_revenue": N_("past revenue"), "contact": N_("contact"), "title": N_("title"),
    "phone": N_("phone"), "email": N_("email"), "at": N_("date"),
    "activity_kind": N_("type"), "summary": N_("summary"), "feedback": N_("feedback"),
    "next_step": N_("next step"), "done": N_("done"), "next_followup": N_("next follow-up"),
    "duration": N_("duration"), "deal_title": N_("deal"), "amount": N_("amount"),
    "stage": N_("stage"), "probability": N_("probability"), "expected_close": N_("expected close"),
    "lost_reason": N_("lost reason"), "budget": N_("budget"), "engagement": N_("engagement"),
}
KIND_LABELS = {"customers": N_("customers"), "activities": N_("follow-up records"),
               "deals": N_("deals"), "leads": N_("leads"), "invoices": N_("invoices")}
COUNT_LABELS: dict[str, str] = {
    "customer.created": N_("new customers"), "customer.merged": N_("rows merged into customers"),
    "customer.updated": N_("customers updated"), "customer.unchanged": N_("rows already there"),
    "contact.created": N_("new contacts"), "contact.updated": N_("contacts updated"),
    "activity.created": N_("new activities"), "followup.created": N_("new follow-ups"),
    "deal.created": N_("new deals"), "deal.updated": N_("deals updated"),
    "deal.merged": N_("deal rows merged"), "lead.created": N_("new leads"),
    "lead.updated": N_("leads updated"), "lead.merged": N_("lead rows merged"),
    "lead.unchanged": N_("leads already there"), "rejected": N_("rejected"),
    "customer.owner_moved": N_("owners changed"), "customer.owner_kept": N_("owners kept"),
    "flagged": N_("kept as typed, to check"), "deal.stage_kept": N_("deal stages not moved"),
}


def received(ctx: Ctx, file: Attachment) -> None:
    """A file sent to the bot: preview it and offer Confirm (managers and admins)."""
    if ctx.me.role not in IMPORTERS:
        ctx.say("Only a manager or an admin can import a spreadsheet.")
        return
    from sales.imports import Options

    s = ctx.settings
    options = Options(region=s.phone_region, tz=ctx.tz.key, max_bytes=s.max_file_bytes,
                      max_unpacked=s.max_unpacked_bytes, max_rows=s.max_rows, max_columns=s.max_columns,
                      max_cell=s.max_cell_chars)
    batch = ImportBatch(user_id=ctx.me.id or 0, file_name=file.name[:200], sha256="", data=file.data,
                        options=_dump(options), created_at=ctx.now)
    _preview(ctx, batch, options)


def _preview(ctx: Ctx, batch: ImportBatch, options: Options) -> None:
    from sales import imports
    from sales.imports import BadFile

    try:
        plan = imports.preview(ctx.session, data=batch.data or b"", file_name=batch.file_name, by=ctx.me,
                                 now=ctx.now, options=options)
    except BadFile as err:
        ctx.say("{m}", m=file_message(err, ctx.lang))
        return
    batch.sha256, batch.kind, batch.sheet, batch.options = plan.sha256, plan.kind, plan.sheet, _dump(options)
    if not plan.changes and all(o.moved for o in plan.owner_changes):
        ctx.say("{d}\nNothing to import: all of this is already here.",
                d=describe(plan, ctx.lang))
        if batch.id is not None:
            batch.status, batch.data = "cancelled", None
            ctx.session.add(batch)
        return
    ctx.session.add(batch)
    ctx.session.flush()
    n = batch.id
    rows: list[tuple[Button, ...]] = [
        (ctx.button(ctx.t("Confirm import"), f"say:/import confirm {n}", "primary"),
         ctx.button(ctx.t("Cancel"), f"say:/import cancel {n}"))]
    if plan.owner_changes:
        label = ctx.t("Keep the owners") if options.move_owners else ctx.t("Change the owners too")
        rows.append((ctx.button(label, f"say:/import owners {n}"),))
    for s in plan.suspects[:5]:
        label = ctx.t("Keep {k} apart", k=s.number) if s.merged else \
            ctx.t("Merge {k}", k=s.number)
        rows.append((ctx.button(label, f"say:/import merge {n} {s.number}"),))
    text = describe(plan, ctx.lang) + "\n" + ctx.t("Fix a column: /import map {n} COLUMN=FIELD", n=n)
    ctx.replies.append(Reply(text=text, buttons=tuple(rows)))


def describe(plan: Plan, lang: str, applied: bool = False) -> str:
    """The preview (or result) of an import, in the reader's language."""
    def t(msgid: str, **kw: object) -> str:
        return tr(lang, msgid, **kw)

    lines = [t("Imported:") if applied else t("Preview (nothing saved yet):"),
             t("*{f}* · sheet “{s}” · {k}", f=esc(plan.file_name), s=esc(plan.sheet), k=t(KIND_LABELS[plan.kind]))]
    mapped = [f"{_header(c.header)}→{t(FIELD_LABELS[c.field]) if c.field in FIELD_LABELS else c.field}"
              + (f"×{c.unit:,}" if c.unit != 1 else "") for c in plan.columns if c.field]
    ignored = [_header(c.header) for c in plan.columns if not c.field and c.header]
    sep = t(", ")
    lines.append(t("Columns: {c}", c=_listed(mapped, SHOW_COLUMNS, sep, lang)))
    if ignored:
        lines.append(t("Not used: {c}", c=_listed(ignored, SHOW, sep, lang)))
    counts = [t("{what} {n}", what=t(COUNT_LABELS[k]), n=v) for k, v in plan.counts.items() if v and k in COUNT_LABELS]
    lines.append(trn(lang, "{n} row: {c}", "{n} rows: {c}", len(plan.results), c=sep.join(counts)))
    merges = [r for r in plan.results if r.outcome == "merged" and r.into]
    if merges:
        lines.append(t("Merged:"))
        lines += ["  " + t("row {r} → {x}", r=r.row, x=esc(r.into)) for r in merges[:SHOW]]
        lines += _more(len(merges), lang)
    if plan.rejected:
        lines.append(t("Rejected (why):"))
        for r in plan.rejected[:SHOW]:
            why = _listed([esc(reason_text(i, lang)) for i in r.reasons], SHOW_REASONS, t("; "), lang)
            lines.append("  " + t("row {r}: {why}", r=r.row, why=why))
        lines += _more(len(plan.rejected), lang)
    others = [(row, i) for row, i in plan.flagged if i.code not in ("unknown_owner", "ambiguous_owner")]
    if others:
        lines.append(t("Kept as typed, please check:"))
        lines += ["  " + t("row {r}: {why}", r=row, why=esc(reason_text(i, lang))) for row, i in others[:SHOW]]
        lines += _more(len(others), lang)
    if plan.unknown_owners:
        owners = sep.join(f"{esc(k)} ×{v}" for k, v in plan.unknown_owners.most_common(SHOW))
        lines.append(t("Owners who are not users (the importer owns those rows): {o}", o=owners))
    if plan.owner_changes:
        moved = plan.owner_changes[0].moved
        lines.append(t("Owner changes (moved):") if moved else
                     t("Owner changes asked for (not made: these customers keep their owner):"))
        lines += ["  " + t("row {r} {x}: {a} → {b}", r=o.row, x=esc(o.name), a=esc(o.old), b=esc(o.new))
                  for o in plan.owner_changes[:SHOW]]
        lines += _more(len(plan.owner_changes), lang)
    if plan.suspects:
        lines.append(t("Suspected duplicates (similar names, kept apart unless merged):"))
        for s in plan.suspects[:SHOW]:
            other = f"#{s.other_id} {s.other}" if s.other_id else t("row {r} {x}", r=s.other_row, x=s.other)
            state = t("→ merge") if s.merged else ""
            lines.append(f"  [{s.number}] " + t("row {r}", r=s.row) + f" {esc(s.name)} ≈ {esc(other)} {state}".rstrip())
        lines += _more(len(plan.suspects), lang)
    if plan.samples and not applied:
        lines.append(t("Sample rows as they will be stored:"))
        for sample in plan.samples[:SHOW]:
            rest = " · ".join(esc(v) for k, v in sample.items() if k != "row" and v)
            lines.append("  " + t("row {r}: {why}", r=sample.get("row", ""), why=rest))
    return _bounded(lines, lang)


def _header(header: str) -> str:
    """A header as the preview shows it: at most HEADER_CHARS characters."""
    return esc(header if len(header) <= HEADER_CHARS else header[:HEADER_CHARS - 1] + "…")


def _listed(items: list[str], most: int, sep: str, lang: str) -> str:
    """The first `most` items, then how many more."""
    shown = sep.join(items[:most])
    return shown if len(items) <= most else shown + " " + tr(lang, "… and {n} more", n=len(items) - most)


def _bounded(lines: list[str], lang: str) -> str:
    """The preview's lines, cut at MAX_TEXT characters (a long one is summarized, never many messages)."""
    out: list[str] = []
    size = 0
    for i, line in enumerate(lines):
        line = line if len(line) <= 500 else line[:499] + "…"
        if size + len(line) > MAX_TEXT:
            out.append(tr(lang, "… and {n} more", n=len(lines) - i))
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)


def _more(n: int, lang: str) -> list[str]:
    return ["  " + tr(lang, "… and {n} more", n=n - SHOW)] if n > SHOW else []


def _dump(options: Options) -> str:
    data = asdict(options)
    data["merge"] = sorted(options.merge)
    return json.dumps(data, ensure_ascii=False)


def _load(raw: str) -> Options:
    from sales.imports import Options

    data = json.loads(raw or "{}")
    data["merge"] = frozenset(data.get("merge", []))
    return Options(**data)


def _batch(ctx: Ctx, ref: str) -> ImportBatch | None:
    num = int(ref) if ref.isdigit() and len(ref) < 10 else 0
    batch = ctx.session.exec(select(ImportBatch).where(col(ImportBatch.id) == num,
                                                       col(ImportBatch.user_id) == ctx.me.id)).first()
    if batch is None or batch.status != "pending" or batch.data is None:
        ctx.say("That import is done or expired; send the file again.")
        return None
    return batch


@command("import", "/import (send a file) | /import confirm N | /import map N COLUMN=FIELD | /import merge N S"
         " | /import owners N",
         "import Excel/CSV: send the file, preview, then confirm",
         roles=IMPORTERS)
def import_cmd(ctx: Ctx, args: str) -> None:
    """Preview a sent file, or confirm, cancel or correct a pending import."""
    if ctx.incoming.file is not None:
        received(ctx, ctx.incoming.file)
        return
    words = args.split()
    if not words:
        ctx.say("Send me an .xlsx or .csv file: you'll see a preview first, and nothing is saved until you confirm.")
        return
    verb, ref, rest = words[0].lower(), (words[1] if len(words) > 1 else ""), words[2:]
    verbs = ("confirm", "cancel", "map", "merge", "kind", "sheet", "owners")
    batch = _batch(ctx, ref) if verb in verbs else None
    if verb not in verbs:
        usage(ctx, "import")
        return
    if batch is None:
        return
    from sales import imports
    from sales.imports import BadFile

    options = _load(batch.options)
    if verb == "cancel":
        batch.status, batch.data = "cancelled", None
        ctx.session.add(batch)
        ctx.say("Import cancelled; nothing was saved.")
        return
    if verb == "confirm":
        _confirm(ctx, batch, options)
        return
    try:
        if verb == "map":
            options.mapping.update(imports.parse_mapping([" ".join(rest)] if rest else []))
        elif verb == "merge" and rest and rest[0].isdigit():
            options.merge = options.merge ^ {int(rest[0])}
        elif verb == "kind" and rest:
            options.kind = rest[0]
        elif verb == "sheet" and rest:
            options.sheet = " ".join(rest)
        elif verb == "owners":
            options.move_owners = not options.move_owners
        else:
            usage(ctx, "import")
            return
    except BadFile as err:
        ctx.say("{m}", m=file_message(err, ctx.lang))
        return
    _preview(ctx, batch, options)


def _confirm(ctx: Ctx, batch: ImportBatch, options: Options) -> None:
    from sales import exporting, imports
    from sales.imports import BadFile

    # Claimed by one conditional update: a second confirm waits on the row (PostgreSQL) or the write lock
    # (SQLite), then finds it no longer pending. A failed import rolls the claim back with everything else.
    claim = update(ImportBatch).where(col(ImportBatch.id) == batch.id, col(ImportBatch.status) == "pending") \
        .values(status="applying").execution_options(synchronize_session=False)
    if getattr(ctx.session.execute(claim), "rowcount", 0) != 1:
        ctx.say("That import is done or expired; send the file again.")
        return
    try:
        plan = imports.import_file(ctx.session, data=batch.data or b"", file_name=batch.file_name, by=ctx.me,
                                     now=ctx.now, options=options)
    except BadFile as err:
        ctx.say("{m}", m=file_message(err, ctx.lang))
        return
    batch.status, batch.data, batch.applied_at = "applied", None, ctx.now
    batch.summary = json.dumps({"counts": dict(plan.counts), "into": plan.batch_id}, ensure_ascii=False)
    ctx.session.add(batch)
    text = describe(plan, ctx.lang, applied=True)
    rejected = exporting.rejected_file(plan, lambda i: reason_text(i, ctx.lang), ctx.t("Reason"))
    ctx.replies.append(Reply(text=text))
    if rejected is not None:
        name = batch.file_name.rsplit(".", 1)[0] + ctx.t(".rejected.xlsx")
        ctx.replies.append(Reply(
            text=ctx.t("The rejected rows are in this file: fix them and send it again."),
            image=Attachment(name=name, mime=exporting.XLSX_MIME, data=rejected)))


@command("export", "/export customers|deals|activities|leads|invoices [csv]", "export to Excel or CSV", personal=True,
         usage_by={"finance": N_("/export customers|invoices [csv]")})
def export_cmd(ctx: Ctx, args: str) -> None:
    """Send back a file of what the asker may see, with the headers the import reads."""
    from sales import exporting

    words = [w.lower() for w in args.split()]
    aliases = {"客户": "customers", "商机": "deals", "跟进": "activities", "跟进记录": "activities", "线索": "leads", "发票": "invoices"}
    what = next((aliases.get(w, w) for w in words if aliases.get(w, w) in exporting.EXPORTS), None)
    fmt = "csv" if "csv" in words else "xlsx"
    if what is None:
        usage(ctx, "export")
        return
    if what not in exports_for(ctx.me):
        ctx.say("Your role can export {w} only.", w=ctx.t(", ").join(ctx.t(KIND_LABELS[k]) for k in exports_for(ctx.me)))
        return
    name = f"{what}-{ctx.local_now.strftime('%Y%m%d')}.{fmt}"
    if ctx.settings.background_exports:  # a large export takes seconds: the turn is answered at once
        engine = ctx.session.get_bind()
        assert isinstance(engine, Engine)
        job = _EXPORTS.submit(_export_later, engine, ctx.me.id or 0, what, fmt, name, ctx.lang, ctx.tz.key,
                              ctx.incoming.chat.platform, ctx.now)
        _RUNNING.add(job)
        job.add_done_callback(_RUNNING.discard)
        ctx.say("Preparing the export ({w})… the file comes here when it is ready.",
                w=ctx.t(KIND_LABELS.get(what, what)))
        return
    data, n = exporting.export(ctx.session, what=what, user=ctx.me, tz=ctx.tz, lang=ctx.lang, fmt=fmt)
    audit.record(ctx.session, by=ctx.me.id, action="export", entity=what, entity_id=None, now=ctx.now,
                 after={"rows": n, "format": fmt})
    ctx.replies.append(_exported(data, n, what, fmt, name, ctx.lang))


FINANCE_EXPORTS = ("customers", "invoices")  # not deals, leads or visit notes


def exports_for(user: User) -> tuple[str, ...]:
    """What a person may export: sellers everything, finance the customers (of its orders) and invoices."""
    from sales import exporting

    return tuple(k for k in exporting.EXPORTS if user.role in SELLERS or k in FINANCE_EXPORTS)


def _exported(data: bytes, n: int, what: str, fmt: str, name: str, lang: str) -> Reply:
    from sales import exporting

    mime = exporting.CSV_MIME if fmt == "csv" else exporting.XLSX_MIME
    said = N_("Exported {n} rows ({w}). Edit and send it back to import.") if what in exporting.REIMPORTABLE \
        else N_("Exported {n} rows ({w}).")
    return Reply(text=tr(lang, said, n=n, w=tr(lang, KIND_LABELS.get(what, what))),
                 image=Attachment(name=name, mime=mime, data=data))


def _export_later(engine: Engine, user_id: int, what: str, fmt: str, name: str, lang: str, tz: str,
                  platform: str, now: datetime) -> None:
    """Make an export in its own transaction and queue the file to the asker's private chat."""
    from sales import exporting

    try:
        with reading(engine) as s:  # no write lock held while it reads: other turns go on
            me = s.get(User, user_id)
            if me is None or not me.active:
                return
            data, n = exporting.export(s, what=what, user=me, tz=ZoneInfo(tz), lang=lang, fmt=fmt)
        with transaction(session_factory(engine)) as s:
            me = s.get(User, user_id)
            assert me is not None
            audit.record(s, by=me.id, action="export", entity=what, entity_id=None, now=now,
                         after={"rows": n, "format": fmt})
            outbox.to_user(s, me, _exported(data, n, what, fmt, name, lang), now=now, prefer=platform)
    except Exception:
        log.exception("export failed", extra={"what": what})
        with transaction(session_factory(engine)) as s:
            me = s.get(User, user_id)
            if me is not None:
                outbox.to_user(s, me, Reply(text=tr(lang, "Sorry, that export could not be made; try again.")),
                               now=now, prefer=platform)


def wait_for_exports(timeout: float | None = None) -> bool:
    """Wait for the exports being made off the request path (tests, shutdown); whether all finished."""
    _, pending = wait(list(_RUNNING), timeout=timeout)
    return not pending
