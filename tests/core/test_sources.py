"""Sources are one configured list with zh and en labels and synonyms: typed and imported sources map onto it,
and /report sources has one row per source (issue 18)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from sales.sources import canonical, label
from storage.models import Customer
from tests.transcript import Transcript


@pytest.mark.parametrize(
    ("typed", "key"),
    [("官网", "website"), ("Website", "website"), ("web", "website"), ("转介绍", "referral"),
     ("Referral", "referral"), ("客户推荐", "referral"), ("展会", "trade show"), ("Trade Show", "trade show"),
     ("老客户", "existing customer"), ("招标", "tender")],
)
def test_typed_sources_map_onto_the_list(typed: str, key: str) -> None:
    assert canonical(typed) == key


def test_labels_and_unlisted_sources() -> None:
    assert (label("website", "zh"), label("website", "en")) == ("官网", "Website")
    assert canonical("  某某论坛 ") == "某某论坛" and label("某某论坛", "en") == "某某论坛"
    assert canonical("") is None and label(None, "zh") == ""


def test_report_sources_has_one_row_per_source(demo: Transcript, engine: Engine) -> None:
    for name, source in (("甲公司", "官网"), ("乙公司", "Website"), ("丙公司", "转介绍"), ("丁公司", "Referral")):
        assert "Created" in demo.say(f"@alice: /customer add {name} source {source}")
        assert "Opened deal" in demo.say(f"@alice: /deal new {name} 项目 10万")
    with Session(engine) as s:
        stored = dict(s.exec(select(Customer.name, Customer.source).where(
            col(Customer.name).in_(["甲公司", "乙公司", "丙公司", "丁公司"]))).all())
    assert stored == {"甲公司": "website", "乙公司": "website", "丙公司": "referral", "丁公司": "referral"}
    out = demo.say("@bob: /report sources")
    lines = [ln for ln in out.splitlines() if ": won" in ln]
    assert sum("Website:" in ln for ln in lines) == 1 and sum("Referral:" in ln for ln in lines) == 1
    assert "官网" not in out and "转介绍" not in out
    demo.say("@bob: /lang zh")
    out = demo.say("@bob: /report sources")
    assert "官网" in out and "转介绍" in out and "Website" not in out and "Referral" not in out
