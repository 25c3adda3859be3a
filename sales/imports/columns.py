"""Recognizing a sheet's columns from Chinese and English headers, with units such as 万元."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

KINDS = ("customers", "activities", "deals", "leads")

# field: (value type, header words in Chinese and English). Words are compared after normalize_header.
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("name", ("客户名称", "公司名称", "客户", "公司", "企业名称", "单位名称", "客户全称", "公司全称", "企业",
                      "单位", "客户公司", "customer", "company", "customername", "companyname", "account",
                      "accountname", "organization", "organisation", "client")),
    "industry": ("text", ("所属行业", "行业", "行业类别", "industry", "sector")),
    "size": ("text", ("规模", "公司规模", "企业规模", "员工人数", "人数", "size", "companysize", "employees",
                      "headcount")),
    "source": ("text", ("来源", "客户来源", "渠道", "来源渠道", "获客渠道", "线索来源", "source", "channel",
                        "leadsource")),
    "grade": ("grade", ("客户分级", "分级", "等级", "客户等级", "级别", "客户级别", "客户类别", "grade", "level",
                        "tier", "rating")),
    "tags": ("tags", ("标签", "tags", "tag")),
    "owner": ("owner", ("负责人", "销售", "业务员", "跟进人", "客户经理", "归属销售", "所属销售", "销售负责人",
                        "销售代表", "owner", "salesrep", "rep", "accountowner", "assignedto", "salesperson")),
    "needs": ("text", ("核心需求", "需求", "痛点", "客户需求", "需求痛点", "needs", "painpoints", "requirements",
                       "need")),
    "status": ("text", ("客户状态", "customerstatus")),
    "last_contact": ("date", ("最后跟进时间", "最近跟进时间", "最后联系时间", "上次联系时间", "最近联系时间",
                              "最后跟进", "最近跟进", "最后跟进日期", "lastcontact", "lastcontacted",
                              "lastfollowup", "lastcontactdate", "lastcontactat")),
    "past_revenue": ("amount", ("历史合作金额", "合作金额", "历史成交额", "历史成交金额", "累计成交额", "累计合作金额",
                                "pastrevenue", "lifetimevalue", "revenue", "totalrevenue")),
    "contact": ("text", ("联系人", "联系人姓名", "姓名", "客户联系人", "contact", "contactname", "contactperson",
                         "person")),
    "title": ("text", ("职位", "职务", "头衔", "岗位", "title", "position", "jobtitle")),
    "phone": ("phone", ("联系方式", "电话", "手机", "手机号", "手机号码", "联系电话", "电话号码", "座机", "phone",
                        "mobile", "tel", "telephone", "phonenumber", "cell", "mobilephone")),
    "email": ("email", ("邮箱", "电子邮箱", "邮件地址", "电子邮件", "email", "mail", "emailaddress")),
    "at": ("date", ("跟进时间", "拜访时间", "跟进日期", "拜访日期", "沟通时间", "联系时间", "时间", "日期", "date",
                    "time", "when", "activitydate", "activityat")),
    "activity_kind": ("text", ("跟进方式", "沟通方式", "拜访方式", "方式", "活动类型", "跟进类型", "记录类型",
                               "activitytype", "method", "type", "kind")),
    "summary": ("text", ("跟进内容", "内容", "沟通内容", "拜访内容", "跟进记录", "记录", "summary", "content",
                         "details", "description", "notes")),
    "feedback": ("text", ("客户反馈", "反馈", "feedback", "customerfeedback", "response")),
    "next_step": ("text", ("下一步计划", "下一步", "下步计划", "后续计划", "nextstep", "nextsteps", "nextaction")),
    "done": ("text", ("完成状态", "是否完成", "完成情况", "done", "completed")),
    "next_followup": ("date", ("下次跟进时间", "下次跟进日期", "下次跟进", "计划跟进时间", "nextfollowup",
                               "followupdate", "nextcontact", "followupdue")),
    "duration": ("int", ("时长", "时长分钟", "duration", "durationmin", "minutes")),
    "deal_title": ("text", ("商机名称", "商机", "项目名称", "项目", "机会名称", "deal", "dealname", "dealtitle",
                            "opportunity", "opportunityname", "project")),
    "amount": ("amount", ("金额", "商机金额", "预计金额", "合同金额", "amount", "value", "dealvalue", "dealamount")),
    "stage": ("text", ("阶段", "销售阶段", "商机阶段", "stage")),
    "probability": ("int", ("赢率", "成交概率", "概率", "probability", "winprobability")),
    "expected_close": ("date", ("预计成交日期", "预计签约日期", "预计成交时间", "预计签约时间", "expectedclose",
                                "closedate", "expectedclosedate")),
    "lost_reason": ("text", ("输单原因", "丢单原因", "lostreason")),
    "budget": ("text", ("预算", "预算金额", "客户预算", "budget", "statedbudget")),
    "engagement": ("int", ("互动次数", "互动", "engagement", "touches")),
}
# "状态/status" means something different on each kind of sheet.
_STATUS_WORDS = ("状态", "status")
_STATUS_FIELD = {"customers": "status", "activities": "done", "deals": "stage", "leads": ""}
# Fields whose presence tells what a sheet holds.
_KIND_SIGNS = {
    "activities": ("activity_kind", "summary", "feedback", "next_step", "done", "at"),
    "deals": ("deal_title", "stage", "probability", "expected_close", "lost_reason"),
    "leads": ("budget", "engagement"),
}
_UNITS = {"万元": Decimal(10_000), "万": Decimal(10_000), "千元": Decimal(1_000), "千": Decimal(1_000),
          "亿元": Decimal(100_000_000), "亿": Decimal(100_000_000), "元": Decimal(1), "k": Decimal(1_000),
          "m": Decimal(1_000_000), "rmb": Decimal(1), "cny": Decimal(1), "yuan": Decimal(1),
          "10k": Decimal(10_000), "分钟": Decimal(1), "min": Decimal(1), "minutes": Decimal(1)}
_PAREN = re.compile(r"[(\[（【]([^)\]）】]*)[)\]）】]")
_NOISE = re.compile(r"[\W_]+")
_ALIASES: dict[str, str] = {}
for _field, (_type, _words) in FIELDS.items():
    for _w in _words:
        _ALIASES.setdefault(_w, _field)
_TYPE_OF = {name: spec[0] for name, spec in FIELDS.items()}
_BY_LENGTH = sorted((a for a in _ALIASES if a not in _STATUS_WORDS), key=len, reverse=True)


@dataclass(frozen=True, slots=True)
class Column:
    """One column of the sheet and what it was recognized as ('' when ignored)."""

    index: int
    header: str
    field: str
    unit: Decimal = Decimal(1)
    guessed: bool = False  # recognized by a word inside the header, not the whole header


def normalize_header(header: object) -> tuple[str, Decimal]:
    """A header's comparison form and the multiplier its unit asks for (历史合作金额(万元) → 10,000)."""
    text = unicodedata.normalize("NFKC", str(header or "")).casefold().strip()
    unit = Decimal(1)
    for inner in _PAREN.findall(text):
        word = _NOISE.sub("", inner)
        if word in _UNITS:
            unit = _UNITS[word]
    text = _NOISE.sub("", _PAREN.sub("", text))
    for word in ("万元", "千元", "亿元"):
        rest = text[: -len(word)]
        if text.endswith(word) and rest and (rest in _ALIASES or _TYPE_OF.get(by_meaning(rest) or "") == "amount"):
            unit, text = _UNITS[word], text[: -len(word)]
    return text, unit


# Headers worded otherwise are read by their parts: (field, groups, unless). Every group must have a part in the
# header and no `unless` part may be there. A Chinese part is found anywhere in the header; an English part is a
# word of it or, from four letters, the start of one (phone → phonenumber). The first rule that fits wins, so the
# specific come before the general (最近联系时间 before 联系人, 客户经理 before 客户). Field "" ignores the column.
_LAST = ("上次", "上一次", "最近", "最后", "末次", "last", "latest", "recent", "previous", "prior", "most")
_TOUCH = ("联系", "跟进", "拜访", "沟通", "回访", "走访", "接触", "contact", "follow", "followup", "visit", "touch",
          "call", "interaction", "meeting")
_NEXT = ("下次", "下一次", "下回", "next", "upcoming", "scheduled", "planned")
_WHO = ("人", "电话", "手机", "方式", "内容", "邮箱", "person", "name", "phone", "email", "mobile", "summary", "notes")
_COMPANY = ("公司", "客户", "企业", "单位", "机构", "组织", "厂商", "company", "customer", "client", "account",
            "organization", "organisation", "firm", "business", "enterprise", "corporation")
Rule = tuple[str, tuple[tuple[str, ...], ...], tuple[str, ...]]
_RULES: tuple[Rule, ...] = (
    ("last_contact", (_LAST, _TOUCH), _WHO + _NEXT),
    ("next_followup", ((*_NEXT, "计划", "预约"), _TOUCH), (*_WHO, "步", "step", "action")),
    ("next_step", (("下一步", "下步", "后续", "next", "follow"), ("步", "计划", "安排", "step", "steps", "action",
                                                               "actions", "plan")), ("时间", "日期", "date", "time")),
    ("expected_close", (("预计", "预期", "计划", "expected", "estimated", "target", "planned", "forecast"),
                        ("成交", "签约", "签单", "结单", "close", "closing", "signing", "sign")), ()),
    ("lost_reason", (("输单", "丢单", "失单", "流失", "lost", "loss", "losing"), ("原因", "理由", "reason", "why")), ()),
    ("past_revenue", (("历史", "累计", "过往", "以往", "往年", "合计", "lifetime", "total", "past", "historical",
                       "cumulative", "previous"), ("金额", "成交", "交易", "合作", "销售额", "营收", "收入", "revenue",
                                               "sales", "spend", "value", "amount", "purchases")),
     ("商机", "项目", "合同", "deal", "opportunity", "project")),
    ("email", (("邮箱", "邮件", "email", "mail"),), ()),
    ("phone", (("电话", "手机", "座机", "号码", "联系方式", "phone", "mobile", "tel", "telephone", "cell", "cellphone",
                "landline"),), ("邮", "mail")),
    ("owner", (("负责人", "销售员", "业务员", "跟进人", "归属", "所属销售", "客户经理", "销售代表", "对接销售", "跟进销售",
                "负责销售", "销售人员", "owner", "rep", "representative", "salesperson", "salesman", "saleswoman", "seller", "assigned",
                "manager", "responsible"),), ()),
    ("deal_title", (("商机", "机会", "项目", "deal", "opportunity", "project"),
                    ("名", "称", "标题", "主题", "title", "name", "subject")), ()),
    ("title", (("职位", "职务", "头衔", "岗位", "职称", "title", "position", "designation", "role"),), ()),
    ("activity_kind", (("方式", "类型", "形式", "渠道", "type", "method", "kind", "mode"),
                       ("跟进", "拜访", "沟通", "活动", "联系", "记录", "activity", "follow", "visit", "interaction",
                        "contact")), ()),
    ("contact", (("联系人", "对接人", "联络人", "姓名", "contact", "person"),), ()),
    ("budget", (("预算", "budget"),), ()),
    ("probability", (("赢率", "概率", "可能性", "把握", "probability", "likelihood", "chance", "odds"),), ()),
    ("stage", (("阶段", "进展", "stage", "phase", "pipeline"),), ()),
    ("amount", (("金额", "价值", "合同额", "报价", "amount", "value", "price"),), ()),
    ("deal_title", (("商机", "机会", "项目", "deal", "opportunity", "project"),), ()),
    ("industry", (("行业", "领域", "industry", "sector", "vertical"),), ()),
    ("size", (("规模", "人数", "员工", "size", "employees", "headcount", "staff"),), ()),
    ("source", (("来源", "渠道", "source", "channel", "origin"),), ()),
    ("grade", (("分级", "等级", "级别", "评级", "grade", "tier", "rating"),), ()),
    ("tags", (("标签", "tag", "tags", "label", "labels"),), ()),
    ("needs", (("需求", "痛点", "needs", "need", "pain", "requirement", "requirements"),), ()),
    ("feedback", (("反馈", "回应", "feedback", "response", "reaction"),), ()),
    ("engagement", (("互动", "engagement", "touches", "interactions"),), ()),
    ("duration", (("时长", "分钟", "duration", "minutes", "mins"),), ()),
    ("summary", (("内容", "记录", "纪要", "摘要", "详情", "summary", "content", "notes", "details", "description"),), ()),
    ("done", (("完成", "done", "completed", "finished"),), ()),
    ("at", (("时间", "日期", "date", "time", "when", "day"), _TOUCH), ()),
    ("", (("编号", "代码", "序号", "代号", "id", "code", "no", "number", "num"),), ()),
    ("name", (_COMPANY, ("名", "称", "name", "title")), ()),
)
_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _parts_of(header: str) -> tuple[str, set[str]]:
    """A header's compact form (no spacing or marks, units in brackets left out) and its English words."""
    text = unicodedata.normalize("NFKC", _CAMEL.sub(" ", str(header))).casefold()
    text = _PAREN.sub(" ", text).replace("e-mail", "email").replace("follow-up", "followup")
    return _NOISE.sub("", text), set(_WORD.findall(text))


def _has(part: str, compact: str, words: set[str]) -> bool:
    if not part.isascii():
        return part in compact
    return part in words or (len(part) >= 4 and any(w.startswith(part) for w in words))


def by_meaning(header: object, kind: str | None = None) -> str | None:
    """The field a header names by the words in it (None when no rule fits; "" for a column to ignore)."""
    compact, words = _parts_of(str(header or ""))
    if not compact:
        return None
    for field, groups, unless in _RULES:
        if all(any(_has(p, compact, words) for p in group) for group in groups) and \
                not any(_has(p, compact, words) for p in unless):
            return field
    if any(_has(p, compact, words) for p in ("状态", "status", "state")):
        return _STATUS_FIELD.get(kind or "customers", "status")
    return None


def _field_of(norm: str, kind: str | None, header: object = None) -> tuple[str, bool]:
    """The field a normalized header names, and whether it was only guessed from a word in it."""
    if norm in _STATUS_WORDS:
        return (_STATUS_FIELD.get(kind or "customers", "status"), False)
    if norm in _ALIASES:
        return _ALIASES[norm], False
    meant = by_meaning(header if header is not None else norm, kind)
    if meant is not None:
        return meant, bool(meant)
    # The head noun comes last (联系人电话 is a phone): the word ending latest wins, then the longest.
    best: tuple[int, int, str] | None = None
    for alias in _BY_LENGTH:
        at = norm.rfind(alias)
        if at >= 0 and len(alias) >= 2 and (len(alias) >= 4 or not alias.isascii()):
            cand = (at + len(alias), len(alias), alias)
            if best is None or cand[:2] > best[:2]:
                best = cand
    return (_ALIASES[best[2]], True) if best else ("", False)


def recognize(headers: list[Any], kind: str | None = None, overrides: dict[str, str] | None = None) -> list[Column]:
    """Each header's field: exact words first, then a word inside it; a field is taken by one column only."""
    overrides = {normalize_header(k)[0]: v for k, v in (overrides or {}).items()}
    cols: list[Column] = []
    taken: set[str] = set()
    pending: list[tuple[int, str, str, Decimal, bool]] = []
    for i, raw in enumerate(headers):
        header = str(raw if raw is not None else "").strip()
        norm, unit = normalize_header(header)
        if norm in overrides:
            field, guessed = overrides[norm], False
        elif not norm:
            field, guessed = "", False
        else:
            field, guessed = _field_of(norm, kind, header)
        pending.append((i, header, field, unit, guessed))
    # Exact headers claim their field before guesses do.
    for exact_pass in (True, False):
        for i, header, field, unit, guessed in pending:
            if guessed == exact_pass or not field or field in taken:
                continue
            taken.add(field)
            cols.append(Column(i, header, field, unit, guessed))
    chosen = {c.index for c in cols}
    cols += [Column(i, header, "", unit) for i, header, _, unit, _ in pending if i not in chosen]
    return sorted(cols, key=lambda c: c.index)


def header_score(row: list[Any]) -> int:
    """How many cells of a row read as known headers (to find the header row under a title)."""
    return sum(1 for cell in row if isinstance(cell, str) and _field_of(normalize_header(cell)[0], None, cell)[0])


def guess_kind(columns: list[Column], sheet_name: str = "", file_name: str = "") -> str:
    """What the sheet holds: customers unless its columns or name say activities, deals or leads."""
    fields = {c.field for c in columns if c.field}
    names = f"{sheet_name} {file_name}".casefold()
    if "线索" in names or "lead" in names:
        return "leads"
    if fields & set(_KIND_SIGNS["deals"]) or "商机" in names or "deal" in names:
        return "deals"
    signs = fields & set(_KIND_SIGNS["activities"])
    if len(signs - {"at"}) >= 1 or ("跟进" in names and "at" in fields):
        return "activities"
    if fields & set(_KIND_SIGNS["leads"]):
        return "leads"
    return "customers"


def sheet_columns(headers: list[Any], kind: str | None, overrides: dict[str, str], sheet_name: str,
                  file_name: str) -> tuple[str, list[Column]]:
    """The sheet's kind (as given, or guessed from a first recognition) and its columns recognized for it."""
    columns = recognize(headers, kind, overrides)
    kind = kind or guess_kind(columns, sheet_name, file_name)
    return kind, recognize(headers, kind, overrides)


def field_names() -> list[str]:
    """Every field a column may be mapped to."""
    return list(FIELDS)
