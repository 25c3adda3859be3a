"""Lead commands: /lead add, /leads, /lead N qualify|disqualify|assign, the scoring rules."""

from __future__ import annotations

import re

from sqlmodel import col, select

from handlers import deal_news, lookup
from handlers.context import Ctx
from handlers.markup import esc
from handlers.registry import command, usage
from handlers.types import Reply
from sales import leads
from sales.access import MANAGERS, can_see_customer, can_see_lead, lead_scope, may_hand_to
from sales.errors import RuleError
from sales.leads import LeadDuplicate
from sales.refs import as_id
from storage.models import Deal, Lead, User

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KEYS = {"source": "source", "来源": "source", "渠道": "source", "budget": "budget", "预算": "budget",
         "size": "size", "规模": "size", "person": "person", "contact": "person", "联系人": "person"}
_STATUS_ZH = {"new": "新", "MQL": "MQL", "SQL": "SQL", "converted": "已转化", "disqualified": "无效"}
MESSAGES = {
    "lead_closed": ("这条线索已经{status}，不能再改。", "This lead is already {status}."),
    "lead_assign_manager": ("只有经理或管理员能分配线索。", "Only a manager or an admin can assign leads."),
    "lead_rules_admin": ("只有管理员或经理能改评分规则。", "Only an admin or a manager can change the scoring rules."),
    "bad_points": ("分数要在 0 到 100 之间。", "Points must be between 0 and 100."),
    "bad_rule": ("没有“{what}”这条规则：source、size、budget、engagement、mql、sql。",
                 "There is no rule “{what}”: source, size, budget, engagement, mql, sql."),
}


def _refuse(ctx: Ctx, err: RuleError) -> None:
    if err.code in MESSAGES:
        zh, en = MESSAGES[err.code]
        ctx.replies.append(Reply(text=ctx.t(zh, en, **{k: esc(v) for k, v in err.params.items()})))
    else:
        raise err


@command("leads", "/leads [new|MQL|SQL|all|mine]", "线索列表（按评分）", "list leads by score")
def leads_cmd(ctx: Ctx, args: str) -> None:
    """The leads the speaker may see, best first."""
    q = _visible(ctx)
    words = args.split()
    status = next((s for s in leads.STATUSES if any(w.casefold() == s.casefold() for w in words)), None)
    if status:
        q = q.where(col(Lead.status) == status)
    elif "all" not in words and "全部" not in words:
        q = q.where(col(Lead.status).in_(("new", "MQL", "SQL")))
    if "mine" in words or "我的" in words:
        q = q.where(col(Lead.owner_id) == ctx.me.id)
    rows = ctx.session.exec(q.order_by(col(Lead.score).desc(), col(Lead.id).desc()).limit(20)).all()
    if not rows:
        ctx.say("没有线索。用 /lead add 公司 联系人 电话 来源 展会 添加。",
                "No leads. Add one: /lead add COMPANY PERSON PHONE source fair")
        return
    names = {u.id: u.name for u in ctx.session.exec(select(User)).all()}
    lines = [f"#{x.id} {esc(x.company)} · {esc(x.person or '')} · {x.score} · {_status(ctx, x.status)}"
             + (f" · {esc(names.get(x.owner_id, '?'))}" if x.owner_id else "") for x in rows]
    ctx.say("线索（评分从高到低）：\n{b}", "Leads (best first):\n{b}", b="\n".join(lines))


def _visible(ctx: Ctx):  # type: ignore[no-untyped-def]
    return select(Lead).where(lead_scope(ctx.me))


def _status(ctx: Ctx, status: str) -> str:
    return _STATUS_ZH.get(status, status) if ctx.lang == "zh" else status


@command("lead", "/lead add COMPANY [person] [phone] [email] [source S] [budget B] [size L|M|S] | "
         "/lead N [qualify|disqualify REASON|assign USER] | /lead rules",
         "添加、查看、转化线索", "add, show and convert leads")
def lead_cmd(ctx: Ctx, args: str) -> None:
    """Route /lead add …, /lead N …, /lead rules."""
    words = args.split()
    if not words:
        usage(ctx, "lead")
        return
    head = words[0].lower()
    try:
        if head in ("add", "new", "添加", "新建"):
            if ctx.me.role == "finance":
                ctx.say("你的角色不能添加线索。", "Your role can't add leads.")
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


def _add(ctx: Ctx, words: list[str]) -> None:
    force = "--force" in words
    words = [w for w in words if w != "--force"]
    company: list[str] = []
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
        elif not extra and phone is None and email is None and not free and (not company or len(company) < 4):
            company.append(w)
        else:
            free.append(w)
        i += 1
    if len(company) > 1 and "person" not in extra and not free:
        free = [company.pop()]
    if not company:
        ctx.say("线索的公司叫什么？例如 /lead add 华东科技 张总 13800001111 来源 展会",
                "Which company? E.g. /lead add Acme Tom 13800001111 source fair")
        return
    person = extra.get("person") or (" ".join(free) or None)
    try:
        lead = leads.capture(ctx.session, by=ctx.me, company=" ".join(company), person=person, phone=phone,
                             email=email, source=extra.get("source"), budget=extra.get("budget"),
                             size=extra.get("size"), now=ctx.now, force=force, region=ctx.settings.phone_region)
    except LeadDuplicate as dup:
        seen = [m for m in dup.matches if (can_see_lead if m.kind == "lead" else can_see_customer)(
            ctx.session, ctx.me, m.id)]
        if len(seen) < len(dup.matches):
            ctx.say("有 {n} 条相似的线索或客户属于其他同事；如需接手请找经理。",
                    "{n} similar lead(s) or customer(s) belong to colleagues; ask your manager to hand them over.",
                    n=len(dup.matches) - len(seen))
        dup = LeadDuplicate(tuple(seen))
        rows = []
        for m in dup.matches[:4]:
            if m.kind == "lead":
                rows.append((ctx.button(ctx.t("是同一条：线索 #{i} {n}", "Same as lead #{i} {n}", i=m.id, n=m.label),
                                        f"say:/lead {m.id} again"),))
            else:
                rows.append((ctx.button(ctx.t("是已有客户：{n}", "Existing customer: {n}", n=m.label),
                                        f"say:/customer #{m.id}"),))
        rows.append((ctx.button(ctx.t("不是，仍然新建", "No, create it"), "say:/lead add " + " ".join(words) + " --force",
                                "danger"),))
        found = "、".join(f"{esc(m.label)}（{_why(ctx, m.why)}）" for m in dup.matches[:4])
        if found:
            ctx.say("可能重复：{m}。是同一家吗？", "This may be a duplicate of {m}. Same one?", m=found, buttons=tuple(rows))
        else:
            ctx.say("仍然新建吗？", "Create it anyway?", buttons=tuple(rows))
        return
    _announce(ctx, lead)


def _why(ctx: Ctx, why: str) -> str:
    zh = {"phone": "同电话", "email": "同邮箱", "name": "名称相近"}
    return zh.get(why, why) if ctx.lang == "zh" else {"phone": "same phone", "email": "same email",
                                                       "name": "similar name"}.get(why, why)


def _announce(ctx: Ctx, lead: Lead) -> None:
    owner = ctx.session.get(User, lead.owner_id) if lead.owner_id else None
    ctx.say("已添加线索 #{i} {c}：评分 {s}，{st}{o}", "Lead #{i} {c} added: score {s}, {st}{o}", i=lead.id,
            c=esc(lead.company), s=lead.score, st=_status(ctx, lead.status),
            o=(ctx.t("，分配给 {n}", ", assigned to {n}", n=esc(owner.name)) if owner else ""))
    if owner is not None and owner.id != ctx.me.id:
        _tell_owner(ctx, lead, owner)


def _tell_owner(ctx: Ctx, lead: Lead, owner: User) -> None:
    buttons = ((ctx.button("转化 / Qualify", f"say:/lead {lead.id} qualify", "primary"),
                ctx.button("查看 / Show", f"say:/lead {lead.id}")),)
    ctx.notify(owner, "新线索分配给你：#{i} {c} {p} {ph}（评分 {s}）。24 小时内请跟进。",
               "A new lead is yours: #{i} {c} {p} {ph} (score {s}). Please act on it within 24 hours.",
               i=lead.id, c=esc(lead.company), p=esc(lead.person or ""), ph=esc(lead.phone or ""), s=lead.score,
               buttons=buttons)


def _act(ctx: Ctx, num: int, words: list[str]) -> None:
    lead = ctx.session.exec(_visible(ctx).where(col(Lead.id) == num)).first()
    if lead is None:
        ctx.say("没找到线索 #{n}。", "No lead #{n} found.", n=num)
        return
    verb = words[0].lower() if words else ""
    if verb in ("qualify", "转化", "合格"):
        cust, _contact, deal_id = leads.qualify(ctx.session, lead=lead, by=ctx.me, now=ctx.now)
        deal = ctx.session.get(Deal, deal_id)
        if deal is not None:
            deal_news.opened(ctx, deal)
        ctx.say("线索 #{i} 已转化：客户 {c}（#{ci}），商机 #{d}。", "Lead #{i} converted: customer {c} (#{ci}), deal #{d}.",
                i=lead.id, c=esc(cust.name), ci=cust.id, d=deal_id)
    elif verb in ("disqualify", "无效", "放弃"):
        leads.disqualify(ctx.session, lead=lead, by=ctx.me, reason=" ".join(words[1:]), now=ctx.now)
        ctx.say("线索 #{i} 已标记为无效。", "Lead #{i} disqualified.", i=lead.id)
    elif verb in ("assign", "分配"):
        who = lookup.user(ctx, " ".join(words[1:])) if len(words) > 1 else None
        if who is None:
            if len(words) <= 1:
                usage(ctx, "lead")
            return
        if ctx.me.role in MANAGERS and not may_hand_to(ctx.me, who):
            raise RuleError("bad_colleague", name=who.name)
        leads.assign(ctx.session, lead=lead, to=who, by=ctx.me, now=ctx.now)
        ctx.say("线索 #{i} 已分配给 {n}。", "Lead #{i} assigned to {n}.", i=lead.id, n=esc(who.name))
        if who.id != ctx.me.id:
            _tell_owner(ctx, lead, who)
    elif verb in ("again", "engage", "再次"):
        before = leads.engage(ctx.session, lead=lead, by=ctx.me, now=ctx.now)
        ctx.say("已记为线索 #{i} 的又一次咨询：评分 {s}，{st}。", "Counted as another enquiry of lead #{i}: score {s}, {st}.",
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


def _card(ctx: Ctx, lead: Lead) -> None:
    scoring = leads.scoring_for(ctx.session, lead.team_id)
    parts = leads.breakdown(scoring, source=lead.source, size=lead.size, budget=lead.budget,
                            engagement=lead.engagement)
    owner = ctx.session.get(User, lead.owner_id) if lead.owner_id else None
    lines = [f"*#{lead.id} {esc(lead.company)}* · {_status(ctx, lead.status)} · {lead.score}",
             " ".join(esc(x) for x in (lead.person, lead.phone, lead.email) if x),
             ctx.t("来源 {s} · 规模 {z} · 预算 {b} · 互动 {e}", "source {s} · size {z} · budget {b} · engagement {e}",
                   s=esc(lead.source or "—"), z=esc(lead.size or "—"), b=esc(lead.budget or "—"), e=lead.engagement),
             ctx.t("评分：", "Score: ") + (" + ".join(f"{k} {p}" for k, p in parts) or "0")
             + f" (MQL ≥ {scoring.mql}, SQL ≥ {scoring.sql})"]
    if owner:
        lines.append(ctx.t("负责人：{n}", "Owner: {n}", n=esc(owner.name)))
    buttons = ((ctx.button(ctx.t("转化", "Qualify"), f"say:/lead {lead.id} qualify", "primary"),
                ctx.button(ctx.t("无效", "Disqualify"), f"say:/lead {lead.id} disqualify", "danger")),)
    closed = lead.status in ("converted", "disqualified")
    ctx.say("{b}", "{b}", b="\n".join(x for x in lines if x), buttons=() if closed else buttons)


def _rules(ctx: Ctx) -> None:
    s = leads.scoring_for(ctx.session, ctx.me.team_id)
    src = "，".join(f"{esc(k)} {v}" for k, v in s.rules["source"].items())
    size = "，".join(f"{k} {v}" for k, v in s.rules["size"].items())
    ctx.say("线索评分规则：\n来源：{src}（其他 {o}）\n规模：{size}\n有预算：{b}\n每次互动：{e}（最多 {cap}）\nMQL ≥ {m}，SQL ≥ {q}"
            "（SQL 线索按轮流分配给团队里的销售）\n修改：/lead rule source 展会 20、/lead rule sql 70",
            "Lead scoring:\nsource: {src} (other {o})\nsize: {size}\nbudget stated: {b}\nper engagement: {e} (at most {cap})\n"
            "MQL ≥ {m}, SQL ≥ {q} (SQL leads go round-robin to the team's reps)\n"
            "Change: /lead rule source fair 20, /lead rule sql 70",
            src=src, o=s.rules["source_other"], size=size, b=s.rules["budget"], e=s.rules["engagement"],
            cap=s.rules["engagement_cap"], m=s.mql, q=s.sql)


def _set_rule(ctx: Ctx, words: list[str]) -> None:
    if len(words) < 2 or not words[-1].isdigit():
        ctx.say("例如：/lead rule source 展会 20、/lead rule budget 25、/lead rule sql 70",
                "E.g. /lead rule source fair 20, /lead rule budget 25, /lead rule sql 70")
        return
    what, points = words[0].lower(), int(words[-1])
    key = " ".join(words[1:-1]) or None
    leads.set_rule(ctx.session, by=ctx.me, what=what, key=key, points=points, now=ctx.now)
    _rules(ctx)
