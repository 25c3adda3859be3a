"""The per-process name index of sales/names/directory.py: no committed customer is missed by fuzzy and pinyin search,
whatever order the transactions that created them committed in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from sales.customers import create_customer
from sales.imports.write import bulk_insert, reserve_ids
from sales.names import directory, initials_key, name_key, pinyin_key
from storage.models import Customer, Team, User
from tests.conftest import FakeClock

HUADONG = "华东精密仪器有限公司"


def admin(engine: Engine, now: datetime) -> User:
    """An admin, who sees every customer, in a fresh team."""
    with Session(engine, expire_on_commit=False) as s:
        team = Team(name="east", created_at=now)
        s.add(team)
        s.flush()
        user = User(team_id=team.id, name="ada", role="admin", created_at=now)
        s.add(user)
        s.commit()
        return user


def row(cid: int, name: str, owner: User, now: datetime) -> dict[str, Any]:
    """A customer row as an import writes it, with the id it reserved."""
    return dict(id=cid, team_id=owner.team_id, name=name, name_key=name_key(name), pinyin=pinyin_key(name),
                initials=initials_key(name), grade="B", tags="", owner_id=owner.id, status="active",
                created_at=now, updated_at=now)


def found(engine: Engine, user: User, query: str) -> list[str]:
    """The names a search finds, in a transaction of its own."""
    with Session(engine) as s:
        return [c.name for c in directory.find_customers(s, user=user, query=query)]


def test_a_customer_committed_below_the_indexed_max_id_is_found(engine: Engine, clock: FakeClock) -> None:
    ada = admin(engine, clock())
    with Session(engine) as s:
        bulk_insert(s, Customer, [row(100, "Beta Logistics", ada, clock())])
        s.commit()
    assert found(engine, ada, "zzqq") == []  # the index is built: its highest id is 100
    with Session(engine) as s:  # an import that reserved id 7 before #100 was created commits only now
        bulk_insert(s, Customer, [row(7, HUADONG, ada, clock())])
        s.commit()
    assert found(engine, ada, "huadong jingmi") == [HUADONG]  # pinyin
    assert found(engine, ada, "华东精蜜仪器") == [HUADONG]  # a typo: fuzzy


def test_customers_created_in_order_extend_the_index_without_rebuilding_it(engine: Engine, clock: FakeClock) -> None:
    ada = admin(engine, clock())
    with Session(engine) as s:
        create_customer(s, by=ada, name="Beta Logistics", now=clock())
        s.commit()
    assert found(engine, ada, "beta logstics") == ["Beta Logistics"]
    index = directory._cache[str(engine.url)].index
    with Session(engine) as s:
        create_customer(s, by=ada, name=HUADONG, now=clock())
        s.commit()
    assert found(engine, ada, "huadong jingmi") == [HUADONG]
    assert directory._cache[str(engine.url)].index is index


def _chat(s: Session, user: User, now: datetime) -> None:
    create_customer(s, by=user, name=HUADONG, now=now)


def _import(s: Session, user: User, now: datetime) -> None:
    _import_named(s, user, now, HUADONG)


def _import_named(s: Session, user: User, now: datetime, name: str) -> None:
    (cid,) = reserve_ids(s, "customer", 1)
    bulk_insert(s, Customer, [row(cid, name, user, now)])


@pytest.mark.parametrize("write", [_chat, _import], ids=["chat", "import"])
def test_transactions_committing_out_of_order_miss_no_customer(
    engine: Engine, clock: FakeClock, write: Callable[[Session, User, datetime], None],
) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite runs one transaction at a time: its ids commit in order")
    ada = admin(engine, clock())
    with Session(engine) as slow:
        write(slow, ada, clock())  # takes the lower id, and commits last
        with Session(engine) as fast:  # an import's: chat creations take turns (storage/locks.DEDUPE), not these
            _import_named(fast, ada, clock(), "Beta Logistics")
            fast.commit()
        assert found(engine, ada, "huadong jingmi") == []  # not committed yet; the index now reaches past its id
        slow.commit()
    with Session(engine) as s:
        ids = {n: i for i, n in s.exec(select(Customer.id, Customer.name)).all()}
    assert ids[HUADONG] < ids["Beta Logistics"]
    assert found(engine, ada, "huadong jingmi") == [HUADONG]
    assert found(engine, ada, "华东精蜜仪器") == [HUADONG]


def _exact_ids(s: Session, user: User, name: str) -> list[int]:
    return [c.id or 0 for c in directory.exact_customer_rows(s, user=user, names=[name]).get(name, [])]


def test_rekey_brings_keys_of_traditional_names_up_to_date(engine: Engine, clock: FakeClock) -> None:
    user = admin(engine, clock())
    with Session(engine) as s:
        old = row(1, "華東精密機械有限公司", user, clock())
        old["name_key"] = "華東精密機械"  # as an earlier version stored it
        s.add(Customer(**old))
        s.add(Customer(**row(2, "Acme Trading", user, clock())))
        s.commit()
    with Session(engine) as s:
        assert _exact_ids(s, user, "华东精密机械") == []  # the stored key is stale
        assert directory.rekey(s) == 1
        s.commit()
    with Session(engine) as s:
        assert _exact_ids(s, user, "华东精密机械") == [1]
    assert found(engine, user, "华东精密机械") == ["華東精密機械有限公司"]
    with Session(engine) as s:
        assert directory.rekey(s) == 0
