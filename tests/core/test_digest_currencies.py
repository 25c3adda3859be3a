"""The digest never adds money of different currencies: its totals are per currency."""

from __future__ import annotations

from tests.transcript import Transcript


def test_the_team_digest_keeps_each_currency_apart(demo: Transcript) -> None:
    demo.say("@alice: /lang en")
    demo.say("@alice: /customer add 远洋贸易")
    opened = demo.say("@alice: /deal new 远洋贸易 export line $10,000")
    assert "$10,000" in opened
    digest = demo.say("@bob: /digest team")
    pipeline = next(line for line in digest.splitlines() if "Pipeline" in line or "管道" in line)
    assert "¥" in pipeline and "+ $10,000" in pipeline, pipeline
