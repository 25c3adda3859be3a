"""Lead commands: /lead add, /leads, /lead N qualify|disqualify|assign, the scoring rules."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import col, select

from handlers import deal_news, lookup, paging
from handlers.context import Ctx
from handlers.i18n import N_, tr
from handlers.markup import esc
from handlers.registry import command, flow, usage
from handlers.types import Reply
from sales import leads
from sales.access import MANAGERS, can_see_customer, can_see_lead, lead_scope, may_hand_to
from sales.errors import RuleError
from sales.leads import LeadDuplicate
from sales.refs import as_id
from sales.sources import label as source_label
from storage.models import Deal, Lead, User

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KEYS = {"source": "source", "来源": "source", "渠道": "source", "budget": "budget", "预算": "budget",
         "size": "size", "规模": "size", "person": "person", "contact": "person", "联系人": "person"}
_STATUS = {"new": N_("new"), "MQL": N_("MQL"), "SQL": N_("SQL"), "converted": N_("converted"),
           "disqualified": N_("disqualified")}
_WHY = {"phone": N_("same phone"), "email": N_("same email"), "name": N_("similar name")}
MESSAGES: dict[str, str] = {
    "lead_closed": N_("This lead is already {status}."),
    "lead_assign_manager": N_("Only a manager or an admin can assign leads."),
    "lead_rules_admin": N_("Only an admin or a manager can change the scoring rules."),
    "bad_points": N_("Points must be between 0 and 100."),
    "bad_rule": N_("There is no rule “{what}”; the rules are `source`, `size`, `budget`, `engagement`, `mql` and `sql`."),
}


def _refuse(ctx: Ctx, err: RuleError) -> None:
    if err.code in MESSAGES:
        ctx.replies.append(Reply(text=ctx.t(MESSAGES[err.code], **{
            k: _status(ctx, str(v)) if k == "status" else esc(v) for k, v in err.params.items()})))
    else:
        raise err


@command("leads", "/leads [new|MQL|SQL|all|mine]", "list leads by score")
def leads_cmd(ctx: Ctx, args: str) -> None:
    """The leads the speaker may see, best first, a page at a time."""
    args = paging.take_page(ctx, args)
    q = _visible(ctx)
    words = args.split()
    status = next((s for s in leads.STATUSES if any(w.casefold() == s.casefold() for w in words)), None)
    if status:
        q = q.where(col(Lead.status) == status)
    elif "all" not in words and "全部" not in words:
        q = q.where(col(Lead.status).in_(("new", "MQL", "SQL")))
    if "mine" in words or "我的" in words:
        q = q.where(col(Lead.owner_id) == ctx.me.id)
    page = paging.of_query(ctx, q.order_by(col(Lead.score).desc(), col(Lead.id).desc()))
    rows = page.items
    if not rows:
        ctx.say("No leads. Add one: /lead add COMPANY PERSON PHONE source fair")
        return
    names = {u.id: u.name for u in ctx.session.exec(select(User)).all()}
    lines = [" · ".join([f"#{x.id} {esc(x.company)}", *([esc(x.person)] if x.person else []), str(x.score),
                         _status(ctx, x.status), *([esc(names.get(x.owner_id, '?'))] if x.owner_id else [])])
             for x in rows]
    paging.show(ctx, page, ctx.t("Leads (best first):"), lines, f"/leads {args}".strip())


def _visible(ctx: Ctx):  # type: ignore[no-untyped-def]
    return select(Lead).where(lead_scope(ctx.me))


def _status(ctx: Ctx, status: str) -> str:
    return ctx.t(_STATUS[status]) if status in _STATUS else status


@command("lead", "/lead add COMPANY [person] [phone] [email] [source S] [budget B] [size L|M|S] | "
         "/lead N [qualify|disqualify REASON|assign USER] | /lead rules",
         "add, show and convert leads")
def lead_cmd(ctx: Ctx, args: str) -> None:
    """Route /lead add …, /lead N …, /lead rules."""
    words = _words(args)
    if not words:
        usage(ctx, "lead")
        return
    head = words[0].lower()
    try:
        if head in ("add", "new", "添加", "新建"):
            if ctx.me.role == "finance":
                ctx.say("Your role can't add leads.")
                return
            _add(ctx, words[1:])
        elif head in ("rules", "规则"):
            _rules(ctx)
        elif head in ("rule", "threshold"):
            _set_rule(ctx, words[1:])
        elif as_id(head):
            _act(ctx, as_id(head) or 0, words[1:])
        else:
            usage(ctx, "lead")
    except RuleError as err:
        _refuse(ctx, err)


_WORD = re.compile(r'"([^"]+)"|“([^”]+)”|(\S+)')


def _words(args: str) -> list[str]:
    """The words of `args`; a "quoted name" is one word."""
    return [" ".join((m.group(1) or m.group(2) or m.group(3)).split()) for m in _WORD.finditer(args)]


def _line(words: list[str]) -> str:
    """Words as a command line again, a word with spaces quoted."""
    return " ".join(f'"{w}"' if " " in w else w for w in words)


def _add(ctx: Ctx, words: list[str], named: str | None = None) -> None:
    """`/lead add COMPANY [person] [phone] [email] [key value…]`; `named`: the company the dialogue asked for."""
    force = "--force" in words
    words = [w for w in words if w != "--force"]
    company: list[str] = named.split() if named else []
    extra: dict[str, str] = {}
    free: list[str] = []
    phone = email = None
    i = 0
    while i < len(words):
        w = words[i]
        key = _KEYS.get(w.lower().rstrip(":："))
        if key and i + 1 < len(words):
            extra[key] = words[i + 1]
            i += 2
            continue
        if _EMAIL.match(w):
            email = w
        elif sum(ch.isdigit() for ch in w) >= 7:
            phone = w
        elif (named is None and not extra and phone is None and email is None and not free
              and (not company or len(company) < 4)):
            company.append(w)
        else:
            free.append(w)
        i += 1
    if named is None and len(company) > 1 and "person" not in extra and not free:
        free = [company.pop()]
    if not company:
        ctx.say("Which company? E.g. /lead add Acme Tom 13800001111 source fair")
        ctx.ask("lead.company", {"words": words})
        return
    person = extra.get("person") or (" ".join(free) or None)
    if named is not None:  # what a button repeats (the duplicate's "No, create it") starts with the name
        words = [named, *words]
    try:
        lead = leads.capture(ctx.session, by=ctx.me, company=" ".join(company), person=person, phone=phone,
                             email=email, source=extra.get("source"), budget=extra.get("budget"),
                             size=extra.get("size"), now=ctx.now, force=force, region=ctx.settings.phone_region)
    except LeadDuplicate as dup:
        seen = [m for m in dup.matches if (can_see_lead if m.kind == "lead" else can_see_customer)(
            ctx.session, ctx.me, m.id)]
        if len(seen) < len(dup.matches):
            ctx.say("{n} similar lead(s) or customer(s) belong to colleagues; ask your manager to hand them over.",
                    n=len(dup.matches) - len(seen))
        dup = LeadDuplicate(tuple(seen))
        rows = []
        for m in dup.matches[:4]:
            if m.kind == "lead":
                rows.append((ctx.button(ctx.t("Same as lead #{i} {n}", i=m.id, n=m.label),
                                        f"say:/lead {m.id} again"),))
            else:
                rows.append((ctx.button(ctx.t("Existing customer: {n}", n=m.label),
                                        f"say:/customer #{m.id}"),))
        rows.append((ctx.button(ctx.t("No, create it"), "say:/lead add " + _line(words) + " --force",
                                "danger"),))
        found = "、".join(f"{esc(m.label)}（{_why(ctx, m.why)}）" for m in dup.matches[:4])
        if found:
            ctx.say("This may be a duplicate of {m}. Same one?", m=found, buttons=tuple(rows))
        else:
            ctx.say("Create it anyway?", buttons=tuple(rows))
        return
    _announce(ctx, lead)


@flow("lead.company", personal=False)
def company_step(ctx: Ctx, data: dict[str, Any], text: str) -> None:
    """The company's name the lead dialogue asked for: the whole answer is the name."""
    words = [str(w) for w in data.get("words", [])]
    if not text.strip():
        ctx.say("Which company? E.g. /lead add Acme Tom 13800001111 source fair")
        ctx.ask("lead.company", {"words": words})
        return
    try:
        _add(ctx, words, named=" ".join(text.split()))
    except RuleError as err:
        _refuse(ctx, err)


def _why(ctx: Ctx, why: str) -> str:
    return ctx.t(_WHY[why]) if why in _WHY else why


def _announce(ctx: Ctx, lead: Lead) -> None:
    owner = ctx.session.get(User, lead.owner_id) if lead.owner_id else None
    ctx.say("Lead #{i} {c} added: score {s}, {st}{o}", i=lead.id,
            c=esc(lead.company), s=lead.score, st=_status(ctx, lead.status),
            o=(ctx.t(", assigned to {n}", n=esc(owner.name)) if owner else ""))
    if owner is not None and owner.id != ctx.me.id:
        _tell_owner(ctx, lead, owner)


def _tell_owner(ctx: Ctx, lead: Lead, owner: User) -> None:
    lang = ctx.lang_for(owner)
    buttons = ((ctx.button(tr(lang, "Qualify"), f"say:/lead {lead.id} qualify", "primary"),
                ctx.button(tr(lang, "Show"), f"say:/lead {lead.id}")),)
    ctx.notify(owner, "A new lead is yours: #{i} {c} {p} {ph} (score {s}). Please act on it within 24 hours.",
               i=lead.id, c=esc(lead.company), p=esc(lead.person or ""), ph=esc(lead.phone or ""), s=lead.score,
               buttons=buttons)


def _act(ctx: Ctx, num: int, words: list[str]) -> None:
    lead = ctx.session.exec(_visible(ctx).where(col(Lead.id) == num)).first()
    if lead is None:
        ctx.say("No lead #{n} found.", n=num)
        return
    verb = words[0].lower() if words else ""
    if verb in ("qualify", "转化", "合格"):
        cust, _contact, deal_id = leads.qualify(ctx.session, lead=lead, by=ctx.me, now=ctx.now)
        deal = ctx.session.get(Deal, deal_id)
        if deal is not None:
            deal_news.opened(ctx, deal)
        ctx.say("Lead #{i} converted: customer {c} (#{ci}), deal #{d}.",
                i=lead.id, c=esc(cust.name), ci=cust.id, d=deal_id)
    elif verb in ("disqualify", "无效", "放弃"):
        reason = " ".join(words[1:]).strip()
        if not reason:
            _ask_reason(ctx, lead)
            return
        leads.disqualify(ctx.session, lead=lead, by=ctx.me, reason=reason, now=ctx.now)
        ctx.say("Lead #{i} disqualified: {r}.", i=lead.id, r=esc(reason))
    elif verb in ("assign", "分配"):
        who = (lookup.user(ctx, " ".join(words[1:]), lambda ref: f"/lead {lead.id} assign {ref}")
               if len(words) > 1 else None)
        if who is None:
            if len(words) <= 1:
                usage(ctx, "lead")
            return
        if ctx.me.role in MANAGERS and not may_hand_to(ctx.me, who):
            raise RuleError("bad_colleague", name=who.name)
        leads.assign(ctx.session, lead=lead, to=who, by=ctx.me, now=ctx.now)
        ctx.say("Lead #{i} assigned to {n}.", i=lead.id, n=esc(who.name))
        if who.id != ctx.me.id:
            _tell_owner(ctx, lead, who)
    elif verb in ("again", "engage", "再次"):
        before = leads.engage(ctx.session, lead=lead, by=ctx.me, now=ctx.now)
        ctx.say("Counted as another enquiry of lead #{i}: score {s}, {st}.",
                i=lead.id, s=lead.score, st=_status(ctx, lead.status))
        if before != "SQL" and lead.status == "SQL" and lead.owner_id:
            owner = ctx.session.get(User, lead.owner_id)
            if owner is not None and owner.id != ctx.me.id:
                _tell_owner(ctx, lead, owner)
    elif not verb:
        _card(ctx, lead)
    else:
        usage(ctx, "lead")
        return
    if verb and lead.owner_id == ctx.me.id:
        leads.touch(ctx.session, lead=lead, now=ctx.now)


REASONS = (N_("no budget"), N_("no need"), N_("unreachable"), N_("bought elsewhere"), N_("duplicate"),
           N_("not our market"))


def _ask_reason(ctx: Ctx, lead: Lead) -> None:
    """Why is the lead disqualified: common reasons as buttons, or typed."""
    if lead.status in ("converted", "disqualified"):
        raise RuleError("lead_closed", status=lead.status)
    said = [ctx.t(r) for r in REASONS]
    rows = tuple(tuple(ctx.button(x, f"say:/lead {lead.id} disqualify {x}") for x in said[i:i + 3])
                 for i in range(0, len(said), 3))
    ctx.say("Why is lead #{i} {c} disqualified? Choose, or type the reason.", i=lead.id, c=esc(lead.company),
            buttons=rows)
    ctx.ask("complete", {"prefix": f"/lead {lead.id} disqualify"})


SCORE_PARTS = {"source": N_("source"), "size": N_("size"), "budget": N_("budget"), "engagement": N_("engagement")}


def _card(ctx: Ctx, lead: Lead) -> None:
    scoring = leads.scoring_for(ctx.session, lead.team_id)
    parts = leads.breakdown(scoring, source=lead.source, size=lead.size, budget=lead.budget,
                            engagement=lead.engagement)
    owner = ctx.session.get(User, lead.owner_id) if lead.owner_id else None
    lines = [f"*#{lead.id} {esc(lead.company)}* · {_status(ctx, lead.status)} · {lead.score}",
             " ".join(esc(x) for x in (lead.person, lead.phone, lead.email) if x),
             ctx.t("source {s} · size {z} · budget {b} · engagement {e}",
                   s=esc(source_label(lead.source, ctx.lang) or "—"), z=esc(lead.size or "—"), b=esc(lead.budget or "—"), e=lead.engagement),
             ctx.t("Score: ") + (" + ".join(f"{ctx.t(SCORE_PARTS.get(k, k))} {p}" for k, p in parts) or "0")
             + f" (MQL ≥ {scoring.mql}, SQL ≥ {scoring.sql})"]
    if owner:
        lines.append(ctx.t("Owner: {n}", n=esc(owner.name)))
    if lead.status == "disqualified" and lead.note:
        lines.append(ctx.t("Disqualified: {r}", r=esc(lead.note)))
    buttons = ((ctx.button(ctx.t("Qualify"), f"say:/lead {lead.id} qualify", "primary"),
                ctx.button(ctx.t("Disqualify"), f"say:/lead {lead.id} disqualify", "danger")),)
    closed = lead.status in ("converted", "disqualified")
    ctx.say("{b}", b="\n".join(x for x in lines if x), buttons=() if closed else buttons)


def _rules(ctx: Ctx) -> None:
    s = leads.scoring_for(ctx.session, ctx.me.team_id)
    src = "，".join(f"{esc(k)} {v}" for k, v in s.rules["source"].items())
    size = "，".join(f"{k} {v}" for k, v in s.rules["size"].items())
    ctx.say("Lead scoring:\nsource: {src} (other {o})\nsize: {size}\nbudget stated: {b}\nper engagement: {e} (at most {cap})\nMQL ≥ {m}, SQL ≥ {q} (SQL leads go round-robin to the team's reps)\nChange: /lead rule source fair 20, /lead rule sql 70",
            src=src, o=s.rules["source_other"], size=size, b=s.rules["budget"], e=s.rules["engagement"],
            cap=s.rules["engagement_cap"], m=s.mql, q=s.sql)


def _set_rule(ctx: Ctx, words: list[str]) -> None:
    if len(words) < 2 or not words[-1].isdigit():
        ctx.say("E.g. /lead rule source fair 20, /lead rule budget 25, /lead rule sql 70")
        return
    what, points = words[0].lower(), int(words[-1])
    key = " ".join(words[1:-1]) or None
    leads.set_rule(ctx.session, by=ctx.me, what=what, key=key, points=points, now=ctx.now)
    _rules(ctx)
