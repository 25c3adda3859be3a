"""Every dialogue step asked for and every button verb sent is registered (@flow, @click), so none can be
dispatched by a forgotten table, and each says whether its answers are personal."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from handlers.context import Ctx
from handlers.registry import BUILTIN_VERBS, CLICKS, COMMANDS, FLOWS, load_all
from tests.conftest import ROOT

ASKED = re.compile(r"\.ask\(\s*\"([\w.]+)\"")


def payload_verbs(path: Path) -> set[str]:
    """The verbs of the button payloads written in a module: `Button(label, "verb:…")`, `ctx.button(…)`."""
    verbs: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name not in ("Button", "button"):
            continue
        payload = next((k.value for k in node.keywords if k.arg == "action"), node.args[1] if len(node.args) > 1
                       else None)
        first = payload.values[0] if isinstance(payload, ast.JoinedStr) and payload.values else payload
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and ":" in first.value:
            verbs.add(first.value.split(":", 1)[0])
    return verbs


def sources() -> list[Path]:
    return [p for floor in ("handlers", "bot") for p in (ROOT / floor).rglob("*.py")]


def test_every_asked_flow_is_registered() -> None:
    load_all()
    asked = {m.group(1) for p in sources() for m in ASKED.finditer(p.read_text(encoding="utf-8"))}
    assert asked, "the scan found no ctx.ask calls: the pattern is stale"
    assert asked <= set(FLOWS), f"asked but not registered with @flow: {sorted(asked - set(FLOWS))}"


def test_every_button_verb_is_registered() -> None:
    load_all()
    sent = {v for p in sources() for v in payload_verbs(p)}
    assert {"ap.ok", "fu.done", "say"} <= sent, f"the scan misses known verbs: {sorted(sent)}"
    unknown = sent - set(CLICKS) - BUILTIN_VERBS
    assert not unknown, f"buttons send verbs no @click handles: {sorted(unknown)}"


def test_every_registration_says_whether_it_is_personal() -> None:
    load_all()
    assert all(isinstance(f.personal, bool) for f in FLOWS.values())
    assert all(isinstance(c.personal, bool) for c in CLICKS.values())
    personal = {n for n, c in COMMANDS.items() if c.personal}
    assert {"customer", "deal", "receivables", "export", "privacy"} <= personal
    assert not COMMANDS["customer"].personal_for("add 华东精密")  # it echoes what its author just typed
    assert not COMMANDS["digest"].personal_for("here") and COMMANDS["digest"].personal_for("")


def test_an_unregistered_flow_or_verb_is_refused_where_it_is_made() -> None:
    load_all()
    ctx = Ctx.__new__(Ctx)  # only the registry checks run before anything touches the turn's state
    with pytest.raises(LookupError, match="no @flow"):
        Ctx.ask(ctx, "no_such_flow", {})
    with pytest.raises(LookupError, match="no @click"):
        Ctx.button(ctx, "Go", "no.such:1")
