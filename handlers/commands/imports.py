"""Importing a spreadsheet sent to the bot (preview, then Confirm) and /export."""

from __future__ import annotations

import json
from dataclasses import asdict

from sqlmodel import col, select

from handlers.context import Ctx
from handlers.markup import esc
from handlers.registry import command, usage
from handlers.types import Attachment, Button, Reply
from sales import audit, exporting, imports
from sales.access import MANAGERS
from sales.imports import BadFile, Options, Plan
from sales.imports.read import file_message
from sales.imports.values import reason_text
from storage.models import ImportBatch

IMPORTERS = MANAGERS
SHOW = 10
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "name": ("客户名称", "company"), "industry": ("行业", "industry"), "size": ("规模", "size"),
    "source": ("来源", "source"), "grade": ("等级", "grade"), "tags": ("标签", "tags"), "owner": ("负责人", "owner"),
    "needs": ("需求", "needs"), "status": ("状态", "status"), "last_contact": ("最后跟进", "last contact"),
    "past_revenue": ("历史合作金额", "past revenue"), "contact": ("联系人", "contact"), "title": ("职位", "title"),
    "phone": ("电话", "phone"), "email": ("邮箱", "email"), "at": ("时间", "date"),
    "activity_kind": ("方式", "type"), "summary": ("内容", "summary"), "feedback": ("反馈", "feedback"),
    "next_step": ("下一步", "next step"), "done": ("完成状态", "done"), "next_followup": ("下次跟进", "next follow-up"),
    "duration": ("时长", "duration"), "deal_title": ("商机", "deal"), "amount": ("金额", "amount"),
    "stage": ("阶段", "stage"), "probability": ("赢率", "probability"), "expected_close": ("预计成交", "expected close"),
    "lost_reason": ("输单原因", "lost reason"), "budget": ("预算", "budget"), "engagement": ("互动次数", "engagement"),
}
KIND_LABELS = {"customers": ("客户", "customers"), "activities": ("跟进记录", "follow-up records"),
               "deals": ("商机", "deals"), "leads": ("线索", "leads")}
COUNT_LABELS: dict[str, tuple[str, str]] = {
    "customer.created": ("新建客户", "new customers"), "customer.merged": ("合并到客户的行", "rows merged into customers"),
    "customer.updated": ("更新客户", "customers updated"), "customer.unchanged": ("已存在未变的行", "rows already there"),
    "contact.created": ("新建联系人", "new contacts"), "contact.updated": ("更新联系人", "contacts updated"),
    "activity.created": ("新建跟进记录", "new activities"), "followup.created": ("新建待跟进", "new follow-ups"),
    "deal.created": ("新建商机", "new deals"), "deal.updated": ("更新商机", "deals updated"),
    "deal.merged": ("合并的商机行", "deal rows merged"), "lead.created": ("新建线索", "new leads"),
    "lead.updated": ("更新线索", "leads updated"), "lead.merged": ("合并的线索行", "lead rows merged"),
    "lead.unchanged": ("已存在的线索", "leads already there"), "rejected": ("拒绝", "rejected"),
    "flagged": ("按原样保存待核对", "kept as typed, to check"),
}


def received(ctx: Ctx, file: Attachment) -> None:
    """A file sent to the bot: preview it and offer Confirm (managers and admins)."""
    if ctx.me.role not in IMPORTERS:
        ctx.say("只有经理或管理员可以导入表格。", "Only a manager or an admin can import a spreadsheet.")
        return
    options = Options(region=ctx.settings.phone_region, tz=ctx.tz.key, max_bytes=ctx.settings.max_file_bytes)
    batch = ImportBatch(user_id=ctx.me.id or 0, file_name=file.name[:200], sha256="", data=file.data,
                        options=_dump(options), created_at=ctx.now)
    _preview(ctx, batch, options)


def _preview(ctx: Ctx, batch: ImportBatch, options: Options) -> None:
    try:
        plan = imports.preview(ctx.session, data=batch.data or b"", file_name=batch.file_name, by=ctx.me,
                                 now=ctx.now, options=options)
    except BadFile as err:
        ctx.say(file_message(err, ctx.lang), file_message(err, ctx.lang))
        return
    batch.sha256, batch.kind, batch.sheet, batch.options = plan.sha256, plan.kind, plan.sheet, _dump(options)
    if not plan.changes:
        ctx.say("{d}\n没有需要导入的变化：这些数据已经都在了。", "{d}\nNothing to import: all of this is already here.",
                d=describe(plan, ctx.lang))
        if batch.id is not None:
            batch.status, batch.data = "cancelled", None
            ctx.session.add(batch)
        return
    ctx.session.add(batch)
    ctx.session.flush()
    n = batch.id
    rows: list[tuple[Button, ...]] = [
        (ctx.button(ctx.t("确认导入", "Confirm import"), f"say:/import confirm {n}", "primary"),
         ctx.button(ctx.t("取消", "Cancel"), f"say:/import cancel {n}"))]
    for s in plan.suspects[:5]:
        label = ctx.t("不合并 {k}", "Keep {k} apart", k=s.number) if s.merged else \
            ctx.t("合并 {k}", "Merge {k}", k=s.number)
        rows.append((ctx.button(label, f"say:/import merge {n} {s.number}"),))
    text = describe(plan, ctx.lang) + "\n" + ctx.t("改列对应：/import map {n} 列名=字段",
                                                  "Fix a column: /import map {n} COLUMN=FIELD", n=n)
    ctx.replies.append(Reply(text=text, buttons=tuple(rows)))


def describe(plan: Plan, lang: str, applied: bool = False) -> str:
    """The preview (or result) of an import, in the reader's language."""
    zh = lang == "zh"
    kind = KIND_LABELS[plan.kind][0 if zh else 1]
    head = (f"*{esc(plan.file_name)}* · 工作表“{esc(plan.sheet)}” · {kind}" if zh
            else f"*{esc(plan.file_name)}* · sheet “{esc(plan.sheet)}” · {kind}")
    lines = [("已导入：" if applied else "预览（还没有保存）：") if zh else ("Imported:" if applied else
                                                                   "Preview (nothing saved yet):"), head]
    mapped = [f"{esc(c.header)}→{FIELD_LABELS.get(c.field, (c.field, c.field))[0 if zh else 1]}"
              + (f"×{c.unit:,}" if c.unit != 1 else "") for c in plan.columns if c.field]
    ignored = [esc(c.header) for c in plan.columns if not c.field and c.header]
    lines.append(("列对应：" if zh else "Columns: ") + "，".join(mapped))
    if ignored:
        lines.append(("未使用的列：" if zh else "Not used: ") + "，".join(ignored))
    counts = [f"{COUNT_LABELS[k][0 if zh else 1]} {v}" for k, v in plan.counts.items() if v and k in COUNT_LABELS]
    total = len(plan.results)
    lines.append((f"共 {total} 行：" if zh else f"{total} rows: ") + ("、" if zh else ", ").join(counts))
    merges = [r for r in plan.results if r.outcome == "merged" and r.into]
    if merges:
        lines.append("合并：" if zh else "Merged:")
        lines += [(f"  第{r.row}行 → {esc(r.into)}" if zh else f"  row {r.row} → {esc(r.into)}") for r in merges[:SHOW]]
        lines += _more(len(merges), zh)
    if plan.rejected:
        lines.append("拒绝（原因）：" if zh else "Rejected (why):")
        for r in plan.rejected[:SHOW]:
            why = "；".join(esc(reason_text(i, lang)) for i in r.reasons)
            lines.append(f"  第{r.row}行：{why}" if zh else f"  row {r.row}: {why}")
        lines += _more(len(plan.rejected), zh)
    others = [(row, i) for row, i in plan.flagged if i.code not in ("unknown_owner", "ambiguous_owner")]
    if others:
        lines.append("按原样保存、请核对：" if zh else "Kept as typed, please check:")
        lines += [(f"  第{row}行：" if zh else f"  row {row}: ") + esc(reason_text(i, lang)) for row, i in others[:SHOW]]
        lines += _more(len(others), zh)
    if plan.unknown_owners:
        owners = "，".join(f"{esc(k)} ×{v}" for k, v in plan.unknown_owners.most_common(SHOW))
        lines.append(f"负责人不是系统用户（由导入人负责）：{owners}" if zh
                     else f"Owners who are not users (the importer owns those rows): {owners}")
    if plan.suspects:
        lines.append("疑似重复（名称相近，默认不合并）：" if zh else "Suspected duplicates (similar names, kept apart unless merged):")
        for s in plan.suspects[:SHOW]:
            other = f"#{s.other_id} {s.other}" if s.other_id else (f"第{s.other_row}行 {s.other}" if zh
                                                                   else f"row {s.other_row} {s.other}")
            state = ("→ 合并" if zh else "→ merge") if s.merged else ""
            lines.append(f"  [{s.number}] " + (f"第{s.row}行" if zh else f"row {s.row}") + f" {esc(s.name)} ≈ {esc(other)} {state}".rstrip())
        lines += _more(len(plan.suspects), zh)
    if plan.samples and not applied:
        lines.append("样例（保存后的样子）：" if zh else "Sample rows as they will be stored:")
        for sample in plan.samples[:SHOW]:
            row = sample.get("row", "")
            rest = " · ".join(esc(v) for k, v in sample.items() if k != "row" and v)
            lines.append((f"  第{row}行 " if zh else f"  row {row}: ") + rest)
    return "\n".join(lines)


def _more(n: int, zh: bool) -> list[str]:
    return [f"  …另有 {n - SHOW} 条" if zh else f"  … and {n - SHOW} more"] if n > SHOW else []


def _dump(options: Options) -> str:
    data = asdict(options)
    data["merge"] = sorted(options.merge)
    return json.dumps(data, ensure_ascii=False)


def _load(raw: str) -> Options:
    data = json.loads(raw or "{}")
    data["merge"] = frozenset(data.get("merge", []))
    return Options(**data)


def _batch(ctx: Ctx, ref: str) -> ImportBatch | None:
    num = int(ref) if ref.isdigit() and len(ref) < 10 else 0
    batch = ctx.session.exec(select(ImportBatch).where(col(ImportBatch.id) == num,
                                                       col(ImportBatch.user_id) == ctx.me.id)).first()
    if batch is None or batch.status != "pending" or batch.data is None:
        ctx.say("这个导入已经处理过或已失效，请重新发送文件。", "That import is done or expired; send the file again.")
        return None
    return batch


@command("import", "/import (send a file) | /import confirm N | /import map N COLUMN=FIELD | /import merge N S",
         "导入 Excel/CSV：发送文件预览，确认后保存", "import Excel/CSV: send the file, preview, then confirm",
         roles=IMPORTERS)
def import_cmd(ctx: Ctx, args: str) -> None:
    """Preview a sent file, or confirm, cancel or correct a pending import."""
    if ctx.incoming.file is not None:
        received(ctx, ctx.incoming.file)
        return
    words = args.split()
    if not words:
        ctx.say("把 .xlsx 或 .csv 文件发给我，我先给你看预览，确认后才保存。",
                "Send me an .xlsx or .csv file: you'll see a preview first, and nothing is saved until you confirm.")
        return
    verb, ref, rest = words[0].lower(), (words[1] if len(words) > 1 else ""), words[2:]
    batch = _batch(ctx, ref) if verb in ("confirm", "cancel", "map", "merge", "kind", "sheet") else None
    if verb not in ("confirm", "cancel", "map", "merge", "kind", "sheet"):
        usage(ctx, "import")
        return
    if batch is None:
        return
    options = _load(batch.options)
    if verb == "cancel":
        batch.status, batch.data = "cancelled", None
        ctx.session.add(batch)
        ctx.say("已取消导入，什么都没有保存。", "Import cancelled; nothing was saved.")
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
        else:
            usage(ctx, "import")
            return
    except BadFile as err:
        ctx.say(file_message(err, ctx.lang), file_message(err, ctx.lang))
        return
    _preview(ctx, batch, options)


def _confirm(ctx: Ctx, batch: ImportBatch, options: Options) -> None:
    try:
        plan = imports.import_file(ctx.session, data=batch.data or b"", file_name=batch.file_name, by=ctx.me,
                                     now=ctx.now, options=options)
    except BadFile as err:
        ctx.say(file_message(err, ctx.lang), file_message(err, ctx.lang))
        return
    batch.status, batch.data, batch.applied_at = "applied", None, ctx.now
    batch.summary = json.dumps({"counts": dict(plan.counts), "into": plan.batch_id}, ensure_ascii=False)
    ctx.session.add(batch)
    text = describe(plan, ctx.lang, applied=True)
    rejected = exporting.rejected_file(plan, ctx.lang)
    ctx.replies.append(Reply(text=text))
    if rejected is not None:
        name = batch.file_name.rsplit(".", 1)[0] + (".被拒绝的行.xlsx" if ctx.lang == "zh" else ".rejected.xlsx")
        ctx.replies.append(Reply(
            text=ctx.t("被拒绝的行在这个文件里，改好后再发给我即可。", "The rejected rows are in this file: fix them and send it again."),
            image=Attachment(name=name, mime=exporting.XLSX_MIME, data=rejected)))


@command("export", "/export customers|deals|activities|leads [csv]", "导出为 Excel 或 CSV", "export to Excel or CSV", personal=True)
def export_cmd(ctx: Ctx, args: str) -> None:
    """Send back a file of what the asker may see, with the headers the import reads."""
    words = [w.lower() for w in args.split()]
    aliases = {"客户": "customers", "商机": "deals", "跟进": "activities", "跟进记录": "activities", "线索": "leads"}
    what = next((aliases.get(w, w) for w in words if aliases.get(w, w) in exporting.EXPORTS), None)
    fmt = "csv" if "csv" in words else "xlsx"
    if what is None:
        usage(ctx, "export")
        return
    data, n = exporting.export(ctx.session, what=what, user=ctx.me, tz=ctx.tz, lang=ctx.lang, fmt=fmt)
    audit.record(ctx.session, by=ctx.me.id, action="export", entity=what, entity_id=None, now=ctx.now,
                 after={"rows": n, "format": fmt})
    stamp = ctx.local_now.strftime("%Y%m%d")
    name = f"{what}-{stamp}.{fmt}"
    mime = exporting.CSV_MIME if fmt == "csv" else exporting.XLSX_MIME
    ctx.replies.append(Reply(text=ctx.t("导出了 {n} 行（{w}）。改好后可以直接发回来导入。",
                                        "Exported {n} rows ({w}). Edit and send it back to import.", n=n, w=what),
                             image=Attachment(name=name, mime=mime, data=data)))
