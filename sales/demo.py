"""A realistic demo team and book of business, loaded with bulk statements."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, insert, select, text
from sqlmodel import SQLModel, col

from sales.demo_past import (
    STAGE_PATH,
    STAGES,
    SURVEY_DRAWS,
    Book,
    answered_surveys,
    bought_before,
    moves,
    on,
)
from sales.invites import DEFAULT_LIMITS
from sales.names import initials_key, name_key, pinyin_key
from sales.names.directory import ADDS, bump
from storage.models import (
    Activity,
    Approval,
    ChatIdentity,
    Customer,
    Deal,
    FollowUp,
    Installment,
    Payment,
    Quote,
    QuoteLine,
    SalesOrder,
    StageChange,
    Survey,
    Team,
    User,
)
from storage.types import cents

Progress = Callable[[int, int, str], None]
PEOPLE = (("carol", "admin", "en"), ("bob", "manager", "zh"), ("alice", "rep", "zh"), ("dave", "rep", "en"),
          ("fay", "finance", "zh"))
REGIONS = ("华北", "华南", "西南", "东北", "江南", "中原", "沪江", "京华", "粤海", "蜀川", "闽江", "湘江", "浙东",
           "苏南", "齐鲁", "燕赵", "秦川", "滇池", "黔南", "桂林", "赣江", "皖江", "津门", "渝州", "长江", "黄河",
           "天府", "海河", "珠江", "太湖", "东海", "南海", "北辰", "西湖")
CORES = ("宏达", "恒通", "鑫源", "瑞丰", "德胜", "华瑞", "金泰", "永盛", "新科", "博远", "天成", "中联", "信达", "安泰",
         "嘉禾", "联创", "明辉", "腾飞", "正泰", "汇通", "凯旋", "远航", "鼎盛", "顺达", "万通", "创新", "卓越", "兴业",
         "同创", "力拓", "盛世", "和信", "立达", "美亚", "海纳", "星火", "百川", "东升", "宝丰", "长城", "广源", "富华",
         "伟业", "国泰", "华通", "锦程", "启航", "众诚", "开元", "泰和", "精诚", "智远", "云帆", "蓝海", "银河", "金桥",
         "先锋", "巨人", "新世纪", "宇通", "大华", "荣盛", "佳能", "恒信", "通达", "隆基", "森泰", "红日", "春晖", "晨光",
         "弘毅", "致远", "思源", "景明", "和盛", "乾元", "坤泰", "晟达", "昊天", "恒基")
INDUSTRIES = (("机电", "机械制造"), ("电子", "电子"), ("科技", "软件"), ("医疗器械", "医疗"), ("化工", "化工"),
              ("汽车配件", "汽车"), ("食品", "食品"), ("物流", "物流"), ("建材", "建筑"), ("纺织", "纺织"),
              ("能源", "能源"), ("环保", "环保"), ("包装", "包装"), ("光电", "电子"), ("数控设备", "机械制造"),
              ("自动化", "机械制造"), ("新材料", "材料"), ("仪器仪表", "仪器"), ("通信", "通信"), ("五金", "五金"),
              ("塑胶", "材料"), ("家具", "家居"), ("照明", "电子"), ("制药", "医疗"), ("农业", "农业"),
              ("贸易", "贸易"), ("传媒", "传媒"), ("教育", "教育"), ("信息", "软件"), ("钢铁", "钢铁"),
              ("电气", "电气"), ("工程", "建筑"), ("智能", "软件"), ("精工", "机械制造"), ("生物", "医疗"),
              ("航空", "航空"), ("船舶", "船舶"), ("轨道交通", "交通"), ("水务", "公用事业"), ("模具", "机械制造"))
SUFFIXES = ("有限公司", "股份有限公司", "有限责任公司", "集团有限公司")
SOURCES = ("展会", "官网", "转介绍", "电话营销", "老客户", "招标", "Referral", "Website")
LOST_AFTER = ("prospect", "qualified", "proposal", "prospect", "negotiation", "qualified", "prospect", "proposal",
              "qualified", "prospect")  # in turn, 4:3:2:1: the funnel narrows at every stage, even in a small book
LOST_REASONS = {"prospect": "没有预算", "qualified": "选择了竞品", "proposal": "价格太高", "negotiation": "价格太高"}
DISCOUNTS = (0, 5, 8, 10)
ACTIVITY_REACH = timedelta(days=90, minutes=600)  # the furthest back a customer's drawn activities go
FOLLOWUP_LEAD = timedelta(days=7)  # an open follow-up was set this long before it falls due
SHORTEST_CYCLE = timedelta(weeks=2)
NOTES = ("拜访了采购经理，介绍了新产品线", "电话沟通了报价细节", "客户要求提供样品", "技术交流，对方比较认可",
         "客户预算收紧，需要再跟进", "Met the plant manager; keen on a trial", "Sent the brochure and price list",
         "客户在比较竞品价格", "参加了客户的年度招标会", "Follow-up call about delivery times")


def company_names(n: int, seed: int = 7) -> Iterator[tuple[str, str]]:
    """`n` distinct company names with their industry, deterministically."""
    rng = random.Random(seed)
    space = len(REGIONS) * len(CORES) * len(INDUSTRIES)
    if n > space:
        raise ValueError(f"at most {space} demo customers")
    for k in rng.sample(range(space), n):
        r, rest = divmod(k, len(CORES) * len(INDUSTRIES))
        c, i = divmod(rest, len(INDUSTRIES))
        word, industry = INDUSTRIES[i]
        yield f"{REGIONS[r]}{CORES[c]}{word}{rng.choice(SUFFIXES)}", industry


def _chunks(rows: list[dict[str, Any]], size: int = 5000) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def _bulk(conn: Any, table: type[SQLModel], rows: list[dict[str, Any]], progress: Progress | None, what: str) -> None:
    done = 0
    for chunk in _chunks(rows):
        conn.execute(insert(table), chunk)
        done += len(chunk)
        if progress:
            progress(done, len(rows), what)


def _quote(quote_id: int, deal_id: int, amount: Decimal, disc: Decimal, owner: int, at: datetime,
           industry: str) -> tuple[dict[str, Any], dict[str, Any], Decimal]:
    """An approved quote of one line for a deal, its line, and its total."""
    total = cents(amount * (100 - disc) / 100)
    return (dict(id=quote_id, deal_id=deal_id, version=1, discount=float(disc), subtotal=float(amount),
                 total=float(total), status="approved", created_by=owner, created_at=at),
            dict(quote_id=quote_id, item=f"{industry}设备", qty=10.0, unit_price=float(amount / 10),
                 amount=float(amount)), total)


def _waiting_for_bob(quotes: list[dict[str, Any]], deals: list[dict[str, Any]], ids: dict[str, int],
                     now: datetime) -> list[dict[str, Any]]:
    """Two of alice's open quotes ask bob for a 15% discount, so /approvals has something to decide."""
    open_deals = {d["id"] for d in deals if d["owner_id"] == ids["alice"] and d["stage"] in ("proposal", "negotiation")}
    rows: list[dict[str, Any]] = []
    for q in quotes:
        if q["deal_id"] in open_deals and len(rows) < 2:
            q["discount"], q["status"] = 15.0, "pending"
            q["total"] = round(q["subtotal"] * 0.85, 2)
            rows.append(dict(quote_id=q["id"], requested_by=ids["alice"], approver_role="manager", status="pending",
                             created_at=now - timedelta(hours=2)))
    return rows


def _due_today_for_alice(followups: list[dict[str, Any]], customers: list[dict[str, Any]], alice: int,
                         now: datetime, rng: random.Random) -> None:
    """A few of alice's follow-ups fall due today, so /today has a morning's work."""
    for c in [c for c in customers if c["owner_id"] == alice][:3]:
        followups.append(dict(customer_id=c["id"], owner_id=alice, due_at=now + timedelta(hours=rng.randint(1, 6)),
                              has_time=True, what=rng.choice(NOTES), reason="activity", status="open",
                              created_at=now))


def seed_due_followups(engine: Engine, *, n: int, now: datetime, users: int = 10, team: str = "Load") -> None:
    """A team of `users` reps with console chats, 100 customers and `n` open follow-ups due in the last hour."""
    with engine.begin() as conn:
        tid = conn.execute(insert(Team).values(name=team, created_at=now).returning(col(Team.id))).scalar_one()
        uids = [conn.execute(insert(User).values(team_id=tid, name=f"rep{i}", role="rep", lang="en", active=True,
                                                 discount_limit=10.0, created_at=now).returning(col(User.id)))
                .scalar_one() for i in range(users)]
        conn.execute(insert(ChatIdentity), [dict(platform="console", workspace="local", external_id=f"rep{i}",
                                                 chat=f"rep{i}", user_id=u, created_at=now) for i, u in enumerate(uids)])
        cids = [conn.execute(insert(Customer).values(
            team_id=tid, name=f"Customer {i}", name_key=f"customer{i}", owner_id=uids[i % users], grade="B",
            status="active", last_contact_at=now, created_at=now, updated_at=now).returning(col(Customer.id)))
            .scalar_one() for i in range(100)]
        rows = [dict(customer_id=cids[i % 100], owner_id=uids[i % 100 % users], due_at=now - timedelta(seconds=i % 3600),
                     has_time=True, what=f"task-{i}", reason="activity", status="open", created_at=now)
                for i in range(n)]
        for chunk in _chunks(rows):
            conn.execute(insert(FollowUp), chunk)
        bump(conn, ADDS)  # new customers: every process's name index looks for them


def reset_all(engine: Engine, now: datetime) -> None:
    """Delete every row of every table but the stages (the audit log unlocked at `now`, the injected clock's)."""
    unlock = SQLModel.metadata.tables["auditunlock"]  # the audit log is append-only unless unlocked (0005)
    with engine.begin() as conn:
        conn.execute(unlock.insert().values(reason="demo reset", at=now))
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name not in ("stage", "auditunlock"):
                conn.execute(table.delete())
        conn.execute(unlock.delete())
        if conn.dialect.name == "sqlite":  # everything is gone, its audit too: numbering may start again
            conn.execute(text("DELETE FROM sqlite_sequence WHERE name != 'stage'"))


def load_demo(
    engine: Engine, *, customers: int, now: datetime, reset: bool = False, progress: Progress | None = None,
    activities_per_customer: int = 4, seed: int = 42,
) -> str | None:
    """Load the demo team; None when it is already there (and no reset was asked)."""
    if reset:
        reset_all(engine, now)
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(User)).scalar_one() > 0:
            return None
    rng = random.Random(seed)
    pace = random.Random(seed + 1)  # its own draws, so the rest of a seed's book stays what it always was
    fate = random.Random(seed + 2)  # likewise: lost deals' later moves, and the quotes of those that got far
    with engine.begin() as conn:
        team_id, team_tz = conn.execute(insert(Team).values(name="华东销售部", created_at=now)
                                        .returning(col(Team.id), col(Team.tz))).one()
        tz = ZoneInfo(team_tz)
        ids: dict[str, int] = {}
        for handle, role, lang in PEOPLE:
            ids[handle] = conn.execute(insert(User).values(
                team_id=team_id, name=handle, role=role, lang=lang, discount_limit=float(DEFAULT_LIMITS[role]),
                active=True, created_at=now).returning(col(User.id))).scalar_one() or 0
            conn.execute(insert(ChatIdentity).values(platform="console", workspace="local", external_id=handle,
                                                     chat=handle, user_id=ids[handle], created_at=now))
        sellers = [ids["alice"]] * 4 + [ids["dave"]] * 4 + [ids["bob"]]
        base = int(conn.execute(select(func.coalesce(func.max(col(Customer.id)), 0))).scalar_one() or 0)
        if conn.dialect.name == "sqlite":  # above every id ever given (AUTOINCREMENT), not only those left
            seq = conn.execute(text("SELECT seq FROM sqlite_sequence WHERE name = 'customer'")).scalar()
            base = max(base, int(seq or 0))
        cust_rows, deal_rows, act_rows, fu_rows, change_rows = [], [], [], [], []
        quote_rows, line_rows, order_rows, inst_rows, pay_rows = [], [], [], [], []
        lost_quotes: list[tuple[int, Decimal, int, datetime, str]] = []
        deal_id = quote_id = order_id = lost = 0
        today = now.astimezone(tz).date()
        for n, (name, industry) in enumerate(company_names(customers), start=1):
            cid = base + n
            owner = rng.choice(sellers)
            created = now - timedelta(days=rng.randint(30, 720))
            last = now - timedelta(days=rng.randint(0, 60), hours=rng.randint(0, 9))
            cust = dict(id=cid, team_id=team_id, name=name, name_key=name_key(name), pinyin=pinyin_key(name),
                        initials=initials_key(name), industry=industry, size=rng.choice(("S", "M", "L")),
                        source=rng.choice(SOURCES), grade=rng.choices("ABC", (2, 5, 3))[0], tags="",
                        owner_id=owner, status="active", created_at=created)
            cust_rows.append(cust)
            squeeze = min(1.0, (now - created) / ACTIVITY_REACH)  # a young customer's activities fit its life
            ats: list[datetime] = []
            for _ in range(activities_per_customer):
                at = now - timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 600)) * squeeze
                ats.append(at)
                act_rows.append(dict(customer_id=cid, user_id=owner, kind=rng.choice(("visit", "call", "call", "note")),
                                     at=at, summary=rng.choice(NOTES), created_at=at))
            last = max(ats, default=max(last, created))  # logging an activity is what sets the last contact
            cust["last_contact_at"] = cust["updated_at"] = last
            if rng.random() < 0.15:
                due = now + timedelta(days=rng.randint(-5, 10))
                fu_rows.append(dict(customer_id=cid, owner_id=owner, due_at=due, has_time=False,
                                    what=rng.choice(NOTES), reason="activity", status="open",
                                    created_at=min(now, due - FOLLOWUP_LEAD)))
            if rng.random() < 0.4:
                deal_id += 1
                stage, prob = rng.choice(STAGES)
                amount = Decimal(rng.randint(5, 200) * 10_000)
                opened = created + timedelta(days=rng.randint(0, 20))
                expected = today + timedelta(days=rng.randint(-30, 120))
                closed_ago = rng.randint(0, 60) if stage in ("won", "lost") else None
                path = STAGE_PATH[: STAGE_PATH.index(stage) + 1] if stage != "lost" else ["prospect", "lost"]
                gaps = [rng.randint(3, 25) for _ in path][:-1]  # a draw per stage as ever: later draws stay put
                reached, reason = stage, None
                if stage == "lost":  # lost after getting as far as `reached`, through every stage before it
                    reached, lost = LOST_AFTER[lost % len(LOST_AFTER)], lost + 1
                    reason = LOST_REASONS[reached]
                    path = [*STAGE_PATH[: STAGE_PATH.index(reached) + 1], "lost"]
                    gaps += [fate.randint(3, 25) for _ in path[2:]]
                closed = None
                if closed_ago is None:  # open: its moves so far, ending in its current stage a few days ago
                    # (a live pipeline: most deals within their stage's time, some a little past it)
                    opened = max(created, now - timedelta(days=sum(gaps) + deal_id % 12, hours=3))
                    span = min(timedelta(days=sum(gaps)), now - opened)
                    expected = max(expected, (opened + SHORTEST_CYCLE).astimezone(tz).date())
                else:  # closed within the last 60 days, 2 to 16 weeks after it was opened, never before the customer
                    age = (now - created).days
                    cycle = min(pace.randint(14, 112), age)
                    closed = now - timedelta(days=min(closed_ago, age - cycle))
                    opened = closed - timedelta(days=cycle)
                    span = closed - opened
                    expected = closed.astimezone(tz).date()
                deal_rows.append(dict(id=deal_id, customer_id=cid, title=f"{industry}设备采购", amount=float(amount),
                                      stage=stage, probability=prob, owner_id=owner, expected_close=expected,
                                      lost_reason=reason, budget="已确认" if reached != "prospect" else None,
                                      created_at=opened, updated_at=now, closed_at=closed))
                for i, at in enumerate(moves(opened, span, gaps)):
                    change_rows.append(dict(deal_id=deal_id, from_stage=path[i - 1] if i else None, to_stage=path[i],
                                            by_id=owner, at=at))
                if stage in ("proposal", "negotiation", "won"):
                    quote_id += 1
                    quote, line, total = _quote(quote_id, deal_id, amount, Decimal(rng.choice(DISCOUNTS)), owner,
                                                opened, industry)
                    quote_rows.append(quote)
                    line_rows.append(line)
                    if stage == "won":
                        assert closed is not None
                        order_id += 1
                        first = cents(total * Decimal("0.3"))
                        paid = first if rng.random() < 0.7 else Decimal(0)
                        order_rows.append(dict(id=order_id, deal_id=deal_id, quote_id=quote_id, customer_id=cid,
                                               owner_id=owner, amount=float(total), paid=float(paid), created_at=closed))
                        d1 = closed.astimezone(tz).date() + timedelta(days=1 + rng.randint(0, 40) // 3)  # 1-14 days on
                        inst_rows.append(dict(order_id=order_id, seq=1, due_on=d1, amount=float(first), paid=float(paid)))
                        inst_rows.append(dict(order_id=order_id, seq=2, due_on=d1 + timedelta(days=60),
                                              amount=float(total - first), paid=0.0))
                        if paid:
                            paid_on = min(d1, today)  # on the day it fell due, or early when that day is still ahead
                            pay_rows.append(dict(order_id=order_id, amount=float(paid), paid_on=paid_on,
                                                 recorded_by=ids["fay"],
                                                 created_at=min(now, max(closed, on(paid_on, now, tz)))))
                elif reached in ("proposal", "negotiation"):
                    lost_quotes.append((deal_id, amount, owner, opened, industry))
        for deal, amount, owner, opened, industry in lost_quotes:  # numbered after the rest, which keep theirs
            quote_id += 1
            quote, line, _ = _quote(quote_id, deal, amount, Decimal(fate.choice(DISCOUNTS)), owner, opened, industry)
            quote_rows.append(quote)
            line_rows.append(line)
        deal_id, quote_id, order_id = bought_before(
            Book(cust_rows, act_rows, deal_rows, change_rows, quote_rows, line_rows, order_rows, inst_rows, pay_rows),
            random.Random(seed + 3), (deal_id, quote_id, order_id), today, tz, ids["fay"], now)
        approvals = _waiting_for_bob(quote_rows, deal_rows, ids, now)
        surveys = answered_surveys(order_rows, random.Random(seed + SURVEY_DRAWS), now)
        _due_today_for_alice(fu_rows, cust_rows, ids["alice"], now, rng)
        tables: tuple[tuple[type[SQLModel], list[dict[str, Any]], str], ...] = ((Customer, cust_rows, "customers"), (Deal, deal_rows, "deals"),
                                  (StageChange, change_rows, "stage moves"), (Activity, act_rows, "activities"),
                                  (FollowUp, fu_rows, "follow-ups"), (Quote, quote_rows, "quotes"),
                                  (QuoteLine, line_rows, "quote lines"), (SalesOrder, order_rows, "orders"),
                                  (Installment, inst_rows, "installments"), (Payment, pay_rows, "payments"),
            (Approval, approvals, "approvals"), (Survey, surveys, "surveys"))
        for model, rows, what in tables:
            _bulk(conn, model, rows, progress, what)
        if conn.dialect.name == "postgresql":
            for name in ("customer", "deal", "quote", "sales_order"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                  f"(SELECT COALESCE(MAX(id), 1) FROM {name}))"))
        bump(conn, ADDS)  # new customers: every process's name index looks for them
    return (f"{len(cust_rows)} customers, {len(deal_rows)} deals, {len(act_rows)} activities, "
            f"{len(quote_rows)} quotes, {len(order_rows)} orders, {len(pay_rows)} payments")


