"""The survey page of the web role (GET/POST /s/TOKEN): what it shows and hides, its headers, its form token, its
door (rate limit, origin, content type, size) and the one neutral page for wrong, used and expired links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from bot.surveys import Door
from bot.surveys.endpoint import MAX_FORM
from bot.web import Parts, build
from handlers.context import Settings
from handlers.core import Core
from sales import surveys
from sales.demo import load_demo
from storage.models import Contact, Customer, Outbox, Survey, User
from tests.conftest import FakeClock

BASE = "http://testserver"


@dataclass
class Site:
    engine: Engine
    clock: FakeClock
    client: TestClient

    def offer(self, who: str = "alice", kind: surveys.Kind = "order", subject: int | None = 12,
              lang: str | None = None, nth: int = 0) -> str:
        with Session(self.engine) as s:
            owner = s.exec(select(User).where(col(User.name) == who)).one()
            mine = s.exec(select(Customer).where(col(Customer.owner_id) == owner.id).order_by(col(Customer.id))).all()
            c = mine[nth % len(mine)]
            made = surveys.offer(s, customer_id=c.id or 0, subject_kind=kind, subject_id=subject, owner=owner,
                                 now=self.clock(), lang=lang)
            s.commit()
            return made.token

    def form(self, token: str, **headers: str) -> str:
        page = self.client.get(f"/s/{token}", headers=headers)
        assert page.status_code == 200, page.text
        found = re.search(r'name="form" value="([^"]+)"', page.text)
        assert found is not None
        return found.group(1)

    def answered(self) -> list[Survey]:
        with Session(self.engine) as s:
            return list(s.exec(select(Survey).where(col(Survey.answered_at).is_not(None))).all())


def make_site(engine: Engine, clock: FakeClock, door: Door | None = None, **settings: str) -> Iterator[Site]:
    load_demo(engine, customers=6, now=clock(), activities_per_customer=0)
    core = Core(engine, clock=clock, settings=Settings(**{"default_lang": "zh", "public_url": BASE, **settings}))
    with TestClient(build(Parts(engine=engine, core=core, survey_door=door or Door(limit=0))),
                    base_url=BASE) as client:
        yield Site(engine, clock, client)


@pytest.fixture
def site(engine: Engine, clock: FakeClock) -> Iterator[Site]:
    yield from make_site(engine, clock, company_name="华东智造")


def test_the_page_shows_the_company_and_what_is_rated_and_nothing_internal(site: Site) -> None:
    token = site.offer(lang="en")
    page = site.client.get(f"/s/{token}")
    assert page.status_code == 200
    assert "华东智造" in page.text and "How satisfied are you with order #12?" in page.text
    assert 'name="score"' in page.text and 'name="comment"' in page.text and "<script" not in page.text
    with Session(site.engine) as s:
        internal = [c.name for c in s.exec(select(Customer)).all()] + [u.name for u in s.exec(select(User)).all()]
        internal += [p.phone or "" for p in s.exec(select(Contact)).all() if p.phone]
    assert not [w for w in internal if w and w in page.text]  # no customer, owner or contact on the page
    assert token not in page.text  # the form posts back to its own address: the token is not repeated


def test_every_answer_carries_the_security_headers(site: Site) -> None:
    token = site.offer()
    for response in (site.client.get(f"/s/{token}"), site.client.get("/s/nonsense"),
                     site.client.post(f"/s/{token}", content=b"{}", headers={"content-type": "application/json"})):
        h = response.headers
        assert "default-src 'none'" in h["content-security-policy"] and "script-src" not in h["content-security-policy"]
        assert "frame-ancestors 'none'" in h["content-security-policy"]
        assert "form-action 'self'" in h["content-security-policy"]
        assert h["x-content-type-options"] == "nosniff" and h["referrer-policy"] == "no-referrer"
        assert h["x-frame-options"] == "DENY" and h["cache-control"] == "no-store"
        assert h["content-type"].startswith("text/html")
    cookie = site.client.get(f"/s/{token}").headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and f"Path=/s/{token}" in cookie


def test_the_https_site_sends_strict_transport_security(engine: Engine, clock: FakeClock) -> None:
    for s in make_site(engine, clock, public_url="https://crm.example.com"):
        token = s.offer()
        page = s.client.get(f"/s/{token}")
        assert page.headers["strict-transport-security"].startswith("max-age=")
        assert "Secure" in page.headers["set-cookie"]


def test_an_answer_lands_and_a_low_score_reaches_the_owner_and_manager(site: Site) -> None:
    token = site.offer()
    with Session(site.engine) as s:
        (meant,) = s.exec(select(Survey)).all()
        dave = s.exec(select(User).where(col(User.name) == "dave")).one()
        other = s.exec(select(Customer).where(col(Customer.owner_id) == dave.id)).first()
        assert other is not None
    form = site.form(token)
    done = site.client.post(f"/s/{token}", data={"form": form, "score": "2", "comment": "送货太慢了\r\n包装破损",
                                                 "customer_id": str(other.id), "owner_id": str(dave.id)})
    assert done.status_code == 200 and 'id="thanks"' in done.text
    (row,) = site.answered()
    assert (row.id, row.customer_id, row.owner_id) == (meant.id, meant.customer_id, meant.owner_id)  # ids sent: ignored
    assert row.score == 2 and row.comment == "送货太慢了\n包装破损"
    with Session(site.engine) as s:
        outbox = s.exec(select(Outbox)).all()
        people = {u.id: u.name for u in s.exec(select(User)).all()}
    assert sorted(people[o.user_id or 0] for o in outbox) == ["alice", "bob"]  # the owner and her manager
    assert all("满意度低分" in o.payload and "送货太慢了" in o.payload for o in outbox)  # both read Chinese


def test_a_good_score_tells_nobody(site: Site) -> None:
    token = site.offer()
    assert site.client.post(f"/s/{token}", data={"form": site.form(token), "score": "5"}).status_code == 200
    with Session(site.engine) as s:
        assert s.exec(select(Outbox)).all() == []
    assert site.answered()[0].comment is None


def test_wrong_used_and_expired_links_get_one_neutral_page(site: Site) -> None:
    used, expired, fresh = site.offer(), site.offer(nth=1), site.offer(nth=2)
    assert site.client.post(f"/s/{used}", data={"form": site.form(used), "score": "4"}).status_code == 200
    site.clock.advance(days=14)
    fresh_after = site.offer(nth=3)
    pages = {}
    for name, token in (("used", used), ("expired", expired), ("wrong", fresh[:-2] + "xy"), ("garbage", "%00"),
                        ("long", "A" * 500), ("short", "abc")):
        got = site.client.get(f"/s/{token}")
        pages[name] = (got.status_code, got.text, "set-cookie" in got.headers,
                       sorted((k, v) for k, v in got.headers.items() if k != "content-length"))
        posted = site.client.post(f"/s/{token}", data={"form": "x", "score": "5"})
        assert (posted.status_code, posted.text) == (got.status_code, got.text)
    assert len({repr(v) for v in pages.values()}) == 1, pages  # the same status, body and headers for each
    status, body, cookie, _ = pages["used"]
    assert status == 404 and not cookie and 'id="unavailable"' in body
    assert site.client.get(f"/s/{fresh_after}").status_code == 200
    assert len(site.answered()) == 1


def test_the_form_token_is_bound_to_the_link_and_the_cookie(site: Site) -> None:
    one, two = site.offer(), site.offer(nth=1)
    form_one = site.form(one)
    # No form token, a made-up one, another survey's: shown the form again, nothing stored.
    for data in ({"score": "5"}, {"form": "A" * 43, "score": "5"}, {"form": site.form(two), "score": "5"}):
        again = site.client.post(f"/s/{one}", data=data)
        assert again.status_code == 400 and 'name="form"' in again.text and "没有提交成功" in again.text
    # A cross-site post carries no cookie (SameSite=Strict): the same as a missing cookie.
    fresh = TestClient(site.client.app, base_url=BASE)
    assert fresh.post(f"/s/{one}", data={"form": form_one, "score": "5"}).status_code == 400
    assert site.answered() == []
    form_one = site.form(one)
    assert site.client.post(f"/s/{one}", data={"form": form_one, "score": "5"}).status_code == 200


def test_a_missing_score_asks_again_keeping_the_comment(site: Site) -> None:
    token = site.offer()
    again = site.client.post(f"/s/{token}", data={"form": site.form(token), "score": "9", "comment": "<b>好</b>"})
    assert again.status_code == 400 and "请选择 1 到 5 颗星" in again.text
    assert "&lt;b&gt;好&lt;/b&gt;" in again.text and "<b>好</b>" not in again.text
    assert site.answered() == []


def test_the_door_refuses_other_sites_other_types_and_large_bodies(site: Site) -> None:
    token = site.offer()
    form = site.form(token)
    posts = [
        ({"origin": "https://evil.example"}, f"form={form}&score=5".encode(), 403),
        ({"sec-fetch-site": "cross-site"}, f"form={form}&score=5".encode(), 403),
        ({"sec-fetch-site": "same-site", "origin": "null"}, f"form={form}&score=5".encode(), 403),
        ({"content-type": "application/json"}, b'{"score": 5}', 415),
        ({"content-type": "text/plain"}, f"form={form}&score=5".encode(), 415),
        ({"content-type": "multipart/form-data; boundary=x"}, b"--x--", 415),
        ({}, b"comment=" + b"a" * (MAX_FORM + 1), 413),
        ({}, b"\xff\xfe" + f"form={form}&score=5".encode(), 400),
        ({}, "&".join(f"f{i}=1" for i in range(50)).encode(), 400),
    ]
    for extra, body, status in posts:
        headers = {"content-type": "application/x-www-form-urlencoded", **extra}
        got = site.client.post(f"/s/{token}", content=body, headers=headers)
        assert got.status_code == status, (extra, got.status_code)
        assert 'id="unavailable"' in got.text  # says nothing of the link
    chunks = (b"comment=" + b"b" * 4096 for _ in range(10))  # streamed, no length announced
    assert site.client.post(f"/s/{token}", content=chunks,
                            headers={"content-type": "application/x-www-form-urlencoded"}).status_code == 413
    assert site.answered() == []
    # A browser's own post (no referrer: `Origin: null`) from the page itself.
    same_origin = site.client.post(f"/s/{token}", data={"form": form, "score": "3"},
                                   headers={"origin": "null", "sec-fetch-site": "same-origin"})
    assert same_origin.status_code == 200


def test_lone_surrogates_and_control_characters_are_stored_clean(site: Site) -> None:
    token = site.offer()
    form = site.form(token)
    body = f"form={form}&score=3&comment=".encode() + b"ok%ED%A0%80%00%01 end"  # a surrogate in (invalid) UTF-8
    got = site.client.post(f"/s/{token}", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert got.status_code == 200
    assert site.answered()[0].comment == "ok\ufffd\ufffd\ufffd end"


def test_the_page_speaks_the_customers_language_or_the_teams(site: Site) -> None:
    zh, en = site.offer(), site.offer(lang="en", nth=1)
    assert "您对订单 #12满意吗？" in site.client.get(f"/s/{zh}").text  # the team's language by default
    assert 'lang="en"' in site.client.get(f"/s/{en}").text
    assert "How satisfied" in site.client.get(f"/s/{zh}?lang=en").text  # the customer may switch
    assert "这个调查链接已无法使用" in site.client.get("/s/nothing-here-at-all").text
    neutral_en = site.client.get("/s/nothing-here-at-all", headers={"accept-language": "en-US,en;q=0.9"})
    assert "This survey link is not available" in neutral_en.text


def test_the_rate_limit_holds_per_address(engine: Engine, clock: FakeClock) -> None:
    for s in make_site(engine, clock, Door(limit=5, window=timedelta(minutes=1))):
        token = s.offer()
        codes = [s.client.get(f"/s/{token}").status_code for _ in range(7)]
        assert codes == [200] * 5 + [429] * 2
        assert s.client.post(f"/s/{token}", data={"score": "5"}).status_code == 429
        clock.advance(minutes=2)
        assert s.client.get(f"/s/{token}").status_code == 200
