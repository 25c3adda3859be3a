"""Care in chat: contacts' birthdays and key dates (/contact … birthday|date …), care plans and churn months
(/config care …, /config churn N), and the digest's one-tap reorder follow-up (ro.fu)."""

from __future__ import annotations

import calendar
import re

from sqlmodel import col, select

from handlers import lookup
from handlers.care_words import TOUCH_NAMES, touches
from handlers.context import Ctx
from handlers.fmt import moment
from handlers.markup import esc
from handlers.parsing.keydates import KeyDay, read_key_day, split_label
from handlers.registry import click, usage
from sales import care
from sales.access import SELLERS, can_see_customer
from sales.refs import as_id
from sales.reminders.care import GRADES, Touch, plan_of
from storage.models import Contact, Customer, Team

BIRTHDAY_WORDS = ("birthday", "bday", "生日")
DATE_WORDS = ("date", "keydate", "key-date", "anniversary", "日期", "纪念日", "重要日期")
REMOVE_WORDS = ("remove", "delete", "off", "删除", "取消")
_FREQ = {"weekly": 7, "每周": 7, "每周一次": 7, "fortnightly": 14, "biweekly": 14, "每两周": 14, "双周": 14,
         "monthly": 30, "每月": 30, "每个月": 30, "quarterly": 91, "每季度": 91, "每季": 91, "half-yearly": 182,
         "每半年": 182, "yearly": 365, "annually": 365, "每年": 365}
_TOUCH = {"contact": "contact", "check-in": "contact", "联系": "contact", "拜访": "contact", "回访": "contact",
          "exec": "exec", "executive": "exec", "高层": "exec", "高层拜访": "exec", "product": "product",
          "产品": "product", "产品更新": "product", "news": "news", "资讯": "news", "行业资讯": "news", "新闻": "news"}
_WORDS = sorted([*_FREQ, *_TOUCH], key=len, reverse=True)
_TOKEN = re.compile(r"(?:every\s*|每)?(\d{1,3})\s*(?:天|days?|d)\b|" + "|".join(re.escape(w) for w in _WORDS)
                    + r"|touch(?:es)?|update|[,，、;；\s]+", re.IGNORECASE)
_OFF = ("off", "none", "无", "关闭")


def day_text(lang: str, month: int, day: int) -> str:
    """3月8日 / Mar 8."""
    return f"{month}月{day}日" if lang == "zh" else f"{calendar.month_abbr[month]} {day}"


def is_key_date(words: list[str]) -> bool:
    """Whether /contact's words set a birthday or key date."""
    return any(w.lower() in BIRTHDAY_WORDS or w.lower() in DATE_WORDS for w in words)


def key_date(ctx: Ctx, args: str) -> None:
    """/contact CUSTOMER NAME birthday DATE | date LABEL DATE (| … remove): remember or forget a contact's day."""
    cname, tail = lookup.split_name(ctx, args)
    words = tail.split()
    at = next((i for i, w in enumerate(words) if w.lower() in BIRTHDAY_WORDS or w.lower() in DATE_WORDS), None)
    if not cname or at is None or at == 0:
        usage(ctx, "contact")
        return
    c = lookup.customer(ctx, cname, lambda ref: f"/contact {ref} {tail}")
    if c is None:
        return
    person = _contact(ctx, c, " ".join(words[:at]))
    if person is None:
        return
    kind = "birthday" if words[at].lower() in BIRTHDAY_WORDS else "date"
    rest = words[at + 1:]
    if rest and rest[-1].lower() in REMOVE_WORDS:
        label = " ".join(rest[:-1])
        if care.remove_key_date(ctx.session, contact=person, kind=kind, label=label, by=ctx.me, now=ctx.now):
            ctx.say("Forgotten: {what} of {p}.", what=esc(label) if kind == "date" else ctx.t("the birthday"),
                    p=esc(person.name))
        else:
            ctx.say("{p} had no such date.", p=esc(person.name))
        return
    label, day = "", None
    if kind == "birthday":
        day = read_key_day(" ".join(rest), ctx.local_now) if rest else None
    else:
        found = split_label(rest, ctx.local_now)
        if found is not None:
            label, day = found
    if day is None:
        ctx.say("I can't read the date. E.g.: /contact {c} {p} birthday March 8, or date anniversary May 20",
                c=esc(c.name), p=esc(person.name))
        return
    _save(ctx, person, kind, label, day)


def _save(ctx: Ctx, person: Contact, kind: str, label: str, day: KeyDay) -> None:
    care.set_key_date(ctx.session, contact=person, kind=kind, label=label, month=day.month, day=day.day,
                      year=day.year, by=ctx.me, now=ctx.now)
    shown = day_text(ctx.lang, day.month, day.day)
    if kind == "birthday":
        ctx.say("Saved: {p}'s birthday is {d}. Its owner is reminded that morning every year.", p=esc(person.name),
                d=shown)
    else:
        ctx.say("Saved: {what} of {p} on {d}. Its owner is reminded that morning every year.", what=esc(label),
                p=esc(person.name), d=shown)


def _contact(ctx: Ctx, c: Customer, name: str) -> Contact | None:
    """The customer's contact of that name (exact, else the one whose name starts so)."""
    people = ctx.session.exec(select(Contact).where(col(Contact.customer_id) == c.id)).all()
    key = name.strip().casefold()
    exact = [p for p in people if p.name.casefold() == key]
    found = exact or [p for p in people if key and p.name.casefold().startswith(key)]
    if len(found) == 1:
        return found[0]
    if not found:
        ctx.say("{c} has no contact “{p}”. Add one: /contact add {c} {p}", c=esc(c.name), p=esc(name))
    else:
        ctx.say("Which contact? {names}", names="、".join(esc(p.name) for p in found))
    return None


def card_lines(ctx: Ctx, customer_id: int) -> list[str]:
    """The customer card's key dates: 🎂 张总 3月8日 · 📅 签约纪念日 5月20日 (张总)."""
    out = []
    for p, k in care.key_dates(ctx.session, customer_id=customer_id):
        shown = day_text(ctx.lang, k.month, k.day)
        out.append(f"  🎂 {esc(p.name)} {shown}" if k.kind == "birthday" else f"  📅 {esc(k.label)} {shown} ({esc(p.name)})")
    return out


def read_plan(text: str) -> list[Touch] | None:
    """`weekly contact, monthly exec` / `每周联系 每月高层` / `contact 10 days` → touches; None when unreadable."""
    out: list[Touch] = []
    days: int | None = None
    kind: str | None = None
    pos = 0
    for m in _TOKEN.finditer(text.strip()):
        if m.start() != pos:
            return None
        pos = m.end()
        word = m.group(0).strip().lower()
        if not word or word in (",", "，", "、", ";", "；") or word.startswith(("touch", "update")):
            continue
        if m.group(1):
            days = int(m.group(1))
        elif word in _FREQ:
            days = _FREQ[word]
        elif word in _TOUCH:
            kind = _TOUCH[word]
        if days is not None and kind is not None:
            out.append(Touch(kind, days))
            days = kind = None
    if pos != len(text.strip()) or days is not None or kind is not None:
        return None
    return out


def config_care(ctx: Ctx, team: Team, value: str) -> None:
    """/config care: show each grade's plan; `GRADE TOUCHES` (admins) sets one; `reset` the seed table."""
    words = value.split(maxsplit=1)
    if not words:
        show_plans(ctx, team)
        return
    if words[0].lower() in ("reset", "default", "默认", "重置"):
        care.reset_plans(ctx.session, team=team, by=ctx.me, now=ctx.now)
        show_plans(ctx, team)
        return
    grade = words[0].upper()
    spec = words[1] if len(words) > 1 else ""
    plan = [] if spec.strip().lower() in _OFF else read_plan(spec)
    if grade not in GRADES or not spec or plan is None:
        ctx.say("Write a grade and its touches, e.g.: /config care A weekly contact, monthly exec. Touches: {t}. "
                "How often: weekly, fortnightly, monthly, quarterly, yearly, or every N days.",
                t=", ".join(ctx.t(TOUCH_NAMES[k]) + f" ({k})" for k in TOUCH_NAMES))
        return
    care.set_plan(ctx.session, team=team, grade=grade, touches=plan, by=ctx.me, now=ctx.now)
    show_plans(ctx, team)


def show_plans(ctx: Ctx, team: Team) -> None:
    """Each grade's care plan and the churn months, in the reader's words."""
    plans = plan_of(team)
    lines = [ctx.t("*Care plans*")] + [f"{g}: {touches(ctx.lang, plans[g])}" for g in GRADES]
    lines.append(ctx.t("A buyer with no order and no activity for {n} months counts as churned.", n=team.churn_months))
    ctx.say("\n".join(lines))


def config_churn(ctx: Ctx, team: Team, value: str) -> None:
    """/config churn N: the months after which a buyer counts as churned (admins)."""
    n = as_id(value.strip().removesuffix("个月").removesuffix("months").strip())
    if n is None:
        ctx.say("Give a number of months, e.g.: /config churn 12")
        return
    care.set_churn_months(ctx.session, team=team, months=n, by=ctx.me, now=ctx.now)
    ctx.say("A buyer with no order and no activity for {n} months counts as churned.", n=n)


@click("ro.fu", personal=True)
def reorder_click(ctx: Ctx, arg: str) -> None:
    """The digest's reorder line: a follow-up about the customer's next order."""
    c = ctx.session.get(Customer, as_id(arg) or 0)
    if c is None or ctx.me.role not in SELLERS or not can_see_customer(ctx.session, ctx.me, c.id or 0):
        ctx.say("Not found.")
        return
    fu = care.reorder_followup(ctx.session, customer=c, by=ctx.me, now=ctx.now)
    ctx.say("OK: a follow-up about {c}'s next order, {w}.", c=esc(c.name), w=moment(fu.due_at, ctx.tz, ctx.lang, False))

