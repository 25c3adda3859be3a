"""Export then import round-trips every customer field; exports show only what the asker may see."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import select

from sales import exporting, imports
from sales.imports import Options
from storage.db import session_factory, transaction
from storage.models import Contact, Customer, Team, User
from tests.conftest import FakeClock
from tests.sales.test_import import SH_TZ

FIELDS = ("name", "industry", "size", "source", "grade", "tags", "owner_id", "team_id", "needs", "status",
          "last_contact_at", "past_revenue", "name_key", "pinyin", "initials")


def customers(engine: Engine) -> list[tuple[Any, ...]]:
    with session_factory(engine)() as s:
        contacts: dict[int, list[tuple[Any, ...]]] = {}
        for p in s.exec(select(Contact).order_by(Contact.id)).all():
            contacts.setdefault(p.customer_id, []).append((p.name, p.title, p.phone, p.email, p.flags))
        return sorted((*tuple(getattr(c, f) for f in FIELDS), tuple(contacts.get(c.id or 0, [])))
                      for c in s.exec(select(Customer)).all())


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_export_then_import_round_trips_every_customer_field(engine: Engine, clock: FakeClock, fmt: str,
                                                             lang: str) -> None:
    now = clock()
    with transaction(session_factory(engine)) as s:
        t = Team(name="T", created_at=now)
        s.add(t)
        s.flush()
        admin = User(team_id=t.id, name="carol", role="admin", created_at=now)
        rep = User(team_id=t.id, name="赵磊", role="rep", created_at=now)
        s.add_all([admin, rep])
        s.flush()
        rows = [
            dict(name="华东科技有限公司", industry="IT", size="L", source="trade show", grade="A", tags="重点 华东",
                 owner_id=rep.id, needs="降低采购成本\n第二行", status="active",
                 last_contact_at=datetime(2023, 10, 14, 16, 0, tzinfo=UTC), past_revenue=Decimal("1200000.50")),
            dict(name="Acme Trading Co., Ltd.", industry="=cmd|' /C calc'!A0", size=None, source=None, grade="C",
                 tags="", owner_id=admin.id, needs="+1 call first", status="dormant",
                 last_contact_at=datetime(2024, 3, 5, 6, 30, 15, tzinfo=UTC), past_revenue=None),
            dict(name="北辰物流", industry=None, size=None, source="website", grade="B", tags="", owner_id=rep.id,
                 needs=None, status="active", last_contact_at=None, past_revenue=Decimal("0.01")),
        ]
        contacts = [
            [("张伟", "采购总监", "+8613856781234", "zw@hd.example", ""), ("李雷", None, "021-6234", None, "phone")],
            [("Tom Lee", "Buyer", None, "tom@acme.example", "")],
            [],
        ]
        for r, people in zip(rows, contacts, strict=True):
            from sales.names import initials_key, name_key, pinyin_key

            c = Customer(team_id=t.id, name_key=name_key(r["name"]), pinyin=pinyin_key(r["name"]),
                         initials=initials_key(r["name"]), created_at=now, updated_at=now, **r)
            s.add(c)
            s.flush()
            for name, title, phone, email, flags in people:
                s.add(Contact(customer_id=c.id or 0, name=name, title=title, phone=phone, email=email, flags=flags,
                              created_at=now))
    before = customers(engine)
    with session_factory(engine)() as s:
        me = s.exec(select(User).where(User.name == "carol")).one()
        data, n = exporting.export(s, what="customers", user=me, tz=SH_TZ, lang=lang, fmt=fmt)
    assert n == 4
    with transaction(session_factory(engine)) as s:
        s.execute(delete(Contact))
        s.execute(delete(Customer))
    with transaction(session_factory(engine)) as s:
        me = s.exec(select(User).where(User.name == "carol")).one()
        plan = imports.import_file(s, data=data, file_name=f"customers.{fmt}", by=me, now=now,
                                     options=Options(tz="Asia/Shanghai"))
    assert plan.counts["customer.created"] == 3 and not plan.rejected, plan.summary()
    assert customers(engine) == before
    with transaction(session_factory(engine)) as s:  # and imports the export into the same data changes nothing
        me = s.exec(select(User).where(User.name == "carol")).one()
        again = imports.import_file(s, data=data, file_name=f"customers.{fmt}", by=me, now=now,
                                      options=Options(tz="Asia/Shanghai"))
    assert again.changes == 0


def test_a_rep_exports_only_own_customers(engine: Engine, clock: FakeClock) -> None:
    from sales.demo import load_demo

    load_demo(engine, customers=30, now=clock())
    with session_factory(engine)() as s:
        alice = s.exec(select(User).where(User.name == "alice")).one()
        own = len(s.exec(select(Customer).where(Customer.owner_id == alice.id)).all())
        data, n = exporting.export(s, what="customers", user=alice, tz=SH_TZ, lang="zh", fmt="xlsx")
        assert n == own and data.startswith(b"PK")
        for what in ("deals", "activities", "leads"):
            data, _ = exporting.export(s, what=what, user=alice, tz=SH_TZ, lang="en", fmt="csv")
            assert data.startswith("\ufeff".encode())
