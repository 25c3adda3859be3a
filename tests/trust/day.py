"""A scripted day of traffic: reps on Telegram, the manager and finance on Slack, each input made by the adapters'
parse functions from the JSON the platforms send, with the platforms' own idempotency keys. Used by the
replay test (every event four times) and the crash test (a process killed at random points)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy import Engine, func, select, text
from sqlmodel import Session, col
from telegram import Update

from bot.adapters.slack import parse as slack_parse
from bot.adapters.telegram import parse as tg_parse
from handlers.registry import COMMANDS
from handlers.types import Incoming
from sales.demo import CORES, REGIONS
from sales.invites import bind
from storage.models import (
    Activity,
    Approval,
    Contact,
    Customer,
    Deal,
    FollowUp,
    Lead,
    Outbox,
    Payment,
    Quote,
    Reminder,
    SalesOrder,
    Team,
    User,
)

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
STEP = timedelta(minutes=15)
WS_TG, WS_SLACK = "4242", "T0STANDIN"
STEPS_PER_CUSTOMER = 10
PEOPLE = {"rob": ("telegram", "7001", "rep"), "sue": ("telegram", "7002", "rep"), "mia": ("slack", "U0MIA", "manager"),
          "fin": ("slack", "U0FIN", "finance"), "ada": ("slack", "U0ADA", "admin")}


def company(j: int) -> str:
    return f"{REGIONS[j % len(REGIONS)]}{CORES[(j * 7) % len(CORES)]}"


def lead_company(j: int) -> str:
    return f"{REGIONS[(j + 17) % len(REGIONS)]}{CORES[(j * 7 + 40) % len(CORES)]}线索"


def at(i: int) -> datetime:
    """When event i happens."""
    return T0 + i * STEP


def setup(engine: Engine) -> None:
    """The team, and each person's chat account on their platform."""
    with Session(engine) as s:
        team = Team(name="east", created_at=T0)
        s.add(team)
        s.flush()
        for name, (platform, ext, role) in PEOPLE.items():
            limit = {"rep": 10, "manager": 20, "finance": 0, "admin": 100}[role]
            u = User(team_id=team.id, name=name, role=role, lang="en", discount_limit=limit, created_at=T0)
            s.add(u)
            s.flush()
            ws = WS_TG if platform == "telegram" else WS_SLACK
            chat = ext if platform == "telegram" else "D" + ext[1:]
            bind(s, user_id=u.id or 0, platform=platform, workspace=ws, external_id=ext, chat=chat, now=T0)
        s.commit()


def _telegram(i: int, who: str, text_: str) -> Incoming:
    uid = int(PEOPLE[who][1])
    data = {"update_id": 900_000 + i, "message": {
        "message_id": 10_000 + i, "date": int(at(i).timestamp()), "chat": {"id": uid, "type": "private"},
        "from": {"id": uid, "is_bot": False, "first_name": who.title(), "language_code": "en"}, "text": text_}}
    inc = tg_parse.to_incoming(Update.de_json(data, None), workspace=WS_TG, bot_username="salesbot_test_bot",
                               bot_id=4242)
    assert inc is not None
    return inc


def _slack_command(i: int, who: str, line: str) -> Incoming:
    ext = PEOPLE[who][1]
    body = {"team_id": WS_SLACK, "user_id": ext, "channel_id": "D" + ext[1:], "channel_name": "directmessage",
            "text": line, "trigger_id": f"trig.{i}", "response_url": "https://hooks.slack.com/commands/x",
            "command": "/crm", "user_name": who}
    p = slack_parse.slash(slack_parse.body_from_http(urlencode(body), "application/x-www-form-urlencoded"),
                          set(COMMANDS))
    assert p.incoming is not None
    return p.incoming


def _slack_click(i: int, who: str, value: str) -> Incoming:
    ext = PEOPLE[who][1]
    body = {"type": "block_actions", "user": {"id": ext, "team_id": WS_SLACK}, "team": {"id": WS_SLACK},
            "channel": {"id": "D" + ext[1:]}, "container": {"type": "message", "message_ts": f"17900.{i}"},
            "trigger_id": f"click.{i}", "actions": [{"action_id": "crm.0.0", "value": value,
                                                      "action_ts": f"17900.{i}"}]}
    raw = urlencode({"payload": json.dumps(body)})
    p = slack_parse.action(slack_parse.body_from_http(raw, "application/x-www-form-urlencoded"))
    assert p.incoming is not None
    return p.incoming


def _approval(engine: Engine, j: int) -> int:
    """The approval of customer j's quote (decided or not: a redelivered click must name the same one)."""
    with Session(engine) as s:
        q = (select(Approval.id).join(Quote, col(Quote.id) == col(Approval.quote_id))
             .join(Deal, col(Deal.id) == col(Quote.deal_id)).where(col(Deal.title) == f"设备{j}"))
        return int(s.execute(q).scalars().first() or 0)


def event(engine: Engine, i: int) -> Incoming:
    """The i-th input of the day (customer j = i // 10, its k-th step)."""
    j, k = divmod(i, STEPS_PER_CUSTOMER)
    c = company(j)
    steps: list[Callable[[], Incoming]] = [
        lambda: _telegram(i, "rob", f"/customer add {c}"),
        lambda: _telegram(i, "rob", f"/contact add {c} Li{j:02d} 1380000{j:04d}"),
        lambda: _telegram(i, "rob", f"/visit {c} 见了Li{j:02d} 谈设备，明天下午3点再跟进"),
        lambda: _telegram(i, "rob", f"/deal new {c} 设备{j} 100000"),
        lambda: _telegram(i, "rob", f"/quote new {c} 设备 10 10000 discount 15%"),
        lambda: _slack_click(i, "mia", f"ap.ok:{_approval(engine, j)}"),
        # won from prospect: past the skipped stages' rules (qualification), so the manager, with the reason
        lambda: _slack_command(i, "mia", f"advance {c} won because 直接签约"),
        lambda: _telegram(i, "rob", f"/plan {c} 30% now, rest 2027-03-01"),
        lambda: _slack_command(i, "fin", f"paid {c} 30000"),
        lambda: _telegram(i, "sue", f"/lead add {lead_company(j)} Wang 1390000{j:04d} source fair --force"),
    ]
    return steps[k]()


EXPECTED = {"customer": 1, "contact": 1, "activity": 1, "followup": 1, "deal": 1, "quote": 1, "approval": 1,
            "sales_order": 1, "payment": 1, "lead": 1}  # rows per customer of the script


def tally(engine: Engine) -> dict[str, int]:
    """Rows of each kind the script makes."""
    with Session(engine) as s:
        out = {}
        for model in (Customer, Contact, Activity, FollowUp, Deal, Quote, Approval, SalesOrder, Payment, Lead):
            table = getattr(model, "__tablename__")  # noqa: B009
            out[str(table)] = int(s.execute(select(func.count()).select_from(model)).scalar_one())
        out["approved"] = int(s.execute(select(func.count()).select_from(Approval)
                                        .where(col(Approval.status) == "approved")).scalar_one())
        return out


def reminders_by_followup(engine: Engine, customers: int) -> dict[int, int]:
    """For each scripted customer's follow-up: how many reminders of it (⏰ messages) went to the outbox."""
    with Session(engine) as s:
        payloads = list(s.execute(select(Outbox.payload)).scalars())
    return {j: sum("⏰" in p and f"见了Li{j:02d} " in p for p in payloads) for j in range(customers)}


def open_reminders(engine: Engine, now: datetime) -> int:
    """Reminders due by `now` that are not done (or cancelled)."""
    with Session(engine) as s:
        return int(s.execute(select(func.count()).select_from(Reminder).where(
            col(Reminder.due_at) <= now, col(Reminder.status).in_(("pending", "claimed")))).scalar_one())


def duplicates(engine: Engine) -> int:
    """Rows that are an exact copy of another row but for their id and times (a repeat that got through)."""
    checks = {"customer": "name", "contact": "name, phone", "activity": "summary", "followup": "what, due_at",
              "deal": "title", "quote": "deal_id, version", "approval": "quote_id", "sales_order": "deal_id",
              "payment": "order_id, amount, paid_on", "lead": "company", "stagechange": "deal_id, to_stage",
              "auditlog": "action, entity, entity_id, before, after", "outbox": "chat, payload",
              "reminder": "dedupe_key"}
    total = 0
    with Session(engine) as s:
        for table, cols in checks.items():
            q = f'SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT count(*) AS n FROM "{table}" GROUP BY {cols}) g'
            total += int(s.execute(text(q)).scalar_one())
    return total


@dataclass
class Ack:
    """The file a worker appends each handled event's number to, after its turn committed."""

    path: str

    def write(self, i: int) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(f"{i}\n")
            f.flush()
            os.fsync(f.fileno())

    def done(self) -> list[int]:
        if not os.path.exists(self.path):
            return []
        with open(self.path, encoding="utf-8") as f:
            return [int(x) for x in f.read().split()]


def claimed(engine: Engine) -> int:
    """Reminders some process holds right now (claimed, lease running)."""
    with Session(engine) as s:
        return int(s.execute(select(func.count()).select_from(Reminder)
                             .where(col(Reminder.status) == "claimed")).scalar_one())
