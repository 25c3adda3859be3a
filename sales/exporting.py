"""Export customers, deals, activities and leads to xlsx or csv, with the headers the import reads; and invoices
for the accountant."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, type_coerce
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from sales.access import activity_scope, customer_scope, deal_scope, invoice_scope, lead_scope
from sales.imports import FORMULA_START, Issue, Plan
from sales.sources import label as source_label
from sales.xlsx import write_xlsx
from storage.models import Activity, Contact, Customer, Deal, Installment, Invoice, Lead, Stage, User

EXPORTS = ("customers", "deals", "activities", "leads", "invoices")
REIMPORTABLE = ("customers", "deals", "activities", "leads")  # invoices are for the accountant, not read back
STREAM_ROWS = 5000  # rows fetched at a time
FORMATS = ("xlsx", "csv")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
_KIND_ZH = {"visit": "拜访", "call": "电话", "email": "邮件", "meeting": "会议", "note": "备注"}
HEADERS: dict[str, list[tuple[str, str]]] = {
    "customers": [("客户名称", "Customer"), ("所属行业", "Industry"), ("规模", "Size"), ("来源", "Source"),
                  ("客户分级", "Grade"), ("标签", "Tags"), ("负责人", "Owner"), ("核心需求", "Needs"),
                  ("客户状态", "Customer status"), ("最后跟进时间", "Last contact"),
                  ("历史合作金额(元)", "Past revenue (CNY)"), ("联系人", "Contact"), ("职位", "Title"),
                  ("联系方式", "Phone"), ("邮箱", "Email")],
    "deals": [("客户名称", "Customer"), ("商机名称", "Deal"), ("金额", "Amount"), ("币种", "Currency"),
              ("阶段", "Stage"),
              ("赢率", "Probability"), ("预计成交日期", "Expected close"), ("负责人", "Owner"),
              ("输单原因", "Lost reason"), ("预算", "Budget")],
    "activities": [("客户名称", "Customer"), ("跟进时间", "Date"), ("跟进方式", "Type"), ("跟进内容", "Summary"),
                   ("客户反馈", "Feedback"), ("下一步计划", "Next step"), ("负责人", "Owner"),
                   ("时长(分钟)", "Duration (minutes)")],
    "leads": [("公司名称", "Company"), ("联系人", "Contact"), ("联系方式", "Phone"), ("邮箱", "Email"),
              ("来源", "Source"), ("预算", "Budget"), ("规模", "Size"), ("互动次数", "Engagement"),
              ("负责人", "Owner"), ("评分（不导入）", "Score (not imported)"),
              ("线索状态（不导入）", "Lead state (not imported)")],
    "invoices": [("发票编号", "Invoice"), ("订单", "Order"), ("客户名称", "Customer"), ("购方抬头", "Buyer title"),
                 ("税号", "Tax number"), ("金额", "Amount"), ("币种", "Currency"), ("分期", "Installment"),
                 ("状态", "Status"), ("发票号码", "Invoice number"), ("开票日期", "Issue date"),
                 ("申请人", "Requested by"), ("申请日期", "Requested on"), ("驳回原因", "Rejection reason")],
}
_INVOICE_ZH = {"requested": "待开票", "issued": "已开票", "rejected": "已驳回"}


def safe(value: Any) -> Any:
    """A cell value that no spreadsheet will run: text starting with = + - @ gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in _UNSAFE:
        return "'" + value
    return value


_UNSAFE = frozenset((*FORMULA_START, "\t", "\r"))


class _LocalTimes:
    """Stored instants as the local dates or datetimes the import reads back, fast: the zone's offset is
    looked up once per hour of UTC; SQLite's text is parsed by datetime.fromisoformat."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.offsets: dict[str, timedelta] = {}

    def __call__(self, at: datetime | str | None) -> date | datetime | None:
        if at is None:
            return None
        if at.__class__ is not str:
            return _local(at, self.tz)  # type: ignore[arg-type]
        text = str(at)
        naive = datetime.fromisoformat(text)  # the UTC wall time SQLite keeps
        offset = self.offsets.get(text[:13])
        if offset is None:
            offset = self.offsets[text[:13]] = naive.replace(tzinfo=UTC).astimezone(self.tz).utcoffset() \
                or timedelta()
        local = naive + offset
        if local.microsecond:
            local = local.replace(microsecond=0)
        return local.date() if not (local.hour or local.minute or local.second) else local


def _local(at: datetime | None, tz: ZoneInfo) -> date | datetime | None:
    """A stored instant as the local date (at midnight) or local datetime the import reads back."""
    if at is None:
        return None
    local = at.astimezone(tz).replace(tzinfo=None, microsecond=0)
    return local.date() if local.time() == time() else local


def rows_for(session: Session, *, what: str, user: User, tz: ZoneInfo, lang: str = "zh") -> Iterator[list[Any]]:
    """The data rows of an export, only what `user` may see; stage and activity names in `lang`."""
    zh = lang.startswith("zh")
    names = {u.id: u.name for u in session.exec(select(User)).all()}
    if what == "customers":
        q = select(Customer).where(customer_scope(user)).order_by(col(Customer.id))
        custs = list(session.exec(q).all())
        contacts: dict[int, list[Contact]] = {}
        ids = [c.id for c in custs]
        for i in range(0, len(ids), 2000):
            cq = select(Contact).where(col(Contact.customer_id).in_(ids[i:i + 2000])).order_by(col(Contact.id))
            for person in session.exec(cq).all():
                contacts.setdefault(person.customer_id, []).append(person)
        for c in custs:
            base = [c.name, c.industry, c.size, source_label(c.source, lang) or None, c.grade, " ".join(f"#{t}" for t in c.tags.split()) or None,
                    names.get(c.owner_id), c.needs, c.status, _local(c.last_contact_at, tz), c.past_revenue]
            people: list[Contact | None] = list(contacts.get(c.id or 0, [])) or [None]
            for p in people:
                yield base + ([p.name or None, p.title, p.phone, p.email] if p else [None] * 4)
    elif what == "deals":
        stages = {s.key: s for s in session.exec(select(Stage)).all()}
        dq = (select(Deal, Customer.name).join(Customer, col(Customer.id) == col(Deal.customer_id))
              .where(deal_scope(user)).order_by(col(Deal.id)))
        for d, cname in session.exec(dq.execution_options(yield_per=STREAM_ROWS)):
            stage = stages.get(d.stage)
            stage_label = (stage.name_zh if zh else stage.name_en) if stage else d.stage
            yield [cname, d.title, d.amount, d.currency, stage_label, d.probability, d.expected_close,
                   names.get(d.owner_id), d.lost_reason, d.budget]
    elif what == "activities":
        # Columns, not objects, a few thousand rows at a time (a server-side cursor on PostgreSQL).
        # The time as SQLite's text (parsed fast below; PostgreSQL's driver gives datetimes).
        aq = (sa_select(col(Customer.name), type_coerce(col(Activity.at), String), col(Activity.kind),
                        col(Activity.summary),
                     col(Activity.feedback), col(Activity.next_step), col(Activity.user_id),
                     col(Activity.duration_min))
              .join(Customer, col(Customer.id) == col(Activity.customer_id))
              .where(activity_scope(user)).order_by(col(Activity.at), col(Activity.id)))
        kinds, local = _KIND_ZH.get, _LocalTimes(tz)
        for cname, at, kind, summary, feedback, next_step, user_id, minutes in session.connection().execute(
                aq.execution_options(yield_per=STREAM_ROWS)):  # Core rows: no ORM loading per row
            yield [cname, local(at), kinds(kind, kind) if zh else kind, summary, feedback, next_step,
                   names.get(user_id), minutes]
    elif what == "leads":
        lq = select(Lead).where(lead_scope(user)).order_by(col(Lead.id))
        for lead in session.exec(lq.execution_options(yield_per=STREAM_ROWS)):
            yield [lead.company, lead.person, lead.phone, lead.email, source_label(lead.source, lang) or None,
                   lead.budget, lead.size,
                   lead.engagement or None, names.get(lead.owner_id) if lead.owner_id else None, lead.score,
                   lead.status]
    elif what == "invoices":
        seqs = dict(session.exec(select(Installment.id, Installment.seq)).all())
        iq = (select(Invoice, Customer.name).join(Customer, col(Customer.id) == col(Invoice.customer_id))
              .where(invoice_scope(user)).order_by(col(Invoice.id)))
        for inv, cname in session.exec(iq.execution_options(yield_per=STREAM_ROWS)):
            yield [inv.id, inv.order_id, cname, inv.title, inv.tax_no, inv.amount, inv.currency,
                   seqs.get(inv.installment_id) if inv.installment_id else None,
                   _INVOICE_ZH.get(inv.status, inv.status) if zh else inv.status, inv.number, inv.issued_on,
                   names.get(inv.requested_by), _local(inv.requested_at, tz), inv.reason]
    else:
        raise ValueError(what)


def export(session: Session, *, what: str, user: User, tz: ZoneInfo, lang: str, fmt: str = "xlsx") -> tuple[bytes, int]:
    """(the file, its number of data rows)."""
    header = [zh if lang == "zh" else en for zh, en in HEADERS[what]]
    rows = rows_for(session, what=what, user=user, tz=tz, lang=lang)
    return write(header, rows, fmt, sheet=_SHEETS[what][0 if lang == "zh" else 1])


_SHEETS = {"customers": ("客户信息", "Customers"), "deals": ("商机", "Deals"), "activities": ("跟进记录", "Activities"),
           "leads": ("线索", "Leads"), "invoices": ("发票", "Invoices")}


def write(header: list[str], rows: Iterator[list[Any]] | list[list[Any]], fmt: str, sheet: str = "Sheet1") -> tuple[bytes, int]:
    """A sheet as xlsx (write-only, streaming) or csv (UTF-8 with BOM, as Excel opens it)."""
    n = 0
    if fmt == "csv":
        buf = io.BytesIO()
        text = io.TextIOWrapper(buf, encoding="utf-8-sig", newline="", write_through=False)
        out = csv.writer(text)
        out.writerow(header)
        cell, unsafe = _csv_cell, _UNSAFE
        for row in rows:  # None and numbers as csv writes them; text checked inline; the rest converted
            out.writerow([v if v is None or v.__class__ is int else
                          (v if not v or v[0] not in unsafe else "'" + v) if v.__class__ is str else cell(v)
                          for v in row])
            n += 1
        text.flush()
        encoded = buf.getvalue()
        text.detach()
        return encoded, n
    book = io.BytesIO()
    n = write_xlsx(book, header, rows, sheet, quote=_UNSAFE)  # streamed: the rows are never all in memory
    return book.getvalue(), n


def _csv_cell(v: Any) -> str:
    if v is None:
        return ""
    if v.__class__ is str:
        return str(safe(v))
    if v.__class__ is int:
        return str(v)
    if isinstance(v, datetime):
        return v.isoformat(sep=" ", timespec="seconds" if v.second else "minutes")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return format(v.normalize(), "f") if v == v.to_integral_value() else format(v, "f")
    return str(safe(v))


def rejected_file(plan: Plan, reason: Callable[[Issue], str], header: str) -> bytes | None:
    """The rejected rows as typed, with a `header` column of their reasons, to fix and import again (None when
    none)."""
    table = plan.table
    if table is None or not plan.rejected:
        return None
    headers = [str(h) if h is not None else "" for h in table.headers] + [header]
    rows = []
    for r in plan.rejected:
        cells = list(table.rows[r.row - table.first_row])
        cells += [None] * (len(table.headers) - len(cells))
        why = "; ".join(reason(i) for i in r.reasons)
        rows.append([_raw(v) for v in cells[: len(table.headers)]] + [why])
    return write(headers, rows, "xlsx", sheet="rejected")[0]


def _raw(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return None if v == "" else v
