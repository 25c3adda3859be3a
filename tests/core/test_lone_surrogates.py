"""A lone UTF-16 surrogate (JSON "\\ud800") in what someone says does not fail the turn."""

from __future__ import annotations

from tests.transcript import Transcript


def test_a_lone_surrogate_does_not_fail_a_turn(demo: Transcript) -> None:
    for text in ("/customer add 华东\ud800精密", "/today \udfff", "hello \ud83d there", "\ud800"):
        said = demo.say("alice", text)
        assert "something went wrong" not in said and "出了点问题" not in said, (text, said)
    assert "华东精密" in demo.say("alice", "/customer 华东精密")
