"""The permission matrix: every role × record kind × read/change/delete, through every command, exports and
reports, across two teams. A read is judged by what the answer shows (every record carries a marker); a change
or delete by whether the record's rows changed. Forbidden ones allowed must be 0."""

from __future__ import annotations

import csv
import importlib
import io
import os
import re
from collections import Counter
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from handlers.context import Settings
from handlers.core import Core
from handlers.markup import to_plain
from handlers.types import Attachment, ChatRef, Incoming, Reply
from tests.conftest import FakeClock
from tests.trust.chat import figure
from tests.trust.world import ACTORS, ARRANGEMENTS, ROLE, RecordSet, World, colleague, markers, may, sees

FULL = os.environ.get("SALESBOT_TRUST_FULL") == "1"
# Reads that list or summarize everything the asker may see: (command, record kind it is about).
GLOBAL_READS = (
    ("/customers", "customer"), ("/customers team", "customer"), ("/customers mine", "customer"),
    ("/export customers csv", "customer"), ("/export customers", "contact"), ("/deals", "deal"),
    ("/deals team", "deal"), ("/deals won", "deal"), ("/export deals csv", "deal"), ("/pipeline team", "deal"),
    ("/report funnel team", "deal"), ("/report sources", "deal"), ("/report reps", "deal"),
    ("/report stages", "deal"), ("/report forecast", "deal"), ("/report targets", "deal"),
    ("/approvals", "quote"), ("/receivables", "order"), ("/receivables overdue", "order"),
    ("/export activities csv", "activity"), ("/today", "followup"), ("/followups", "followup"),
    ("/digest", "followup"), ("/digest team", "activity"), ("/leads", "lead"), ("/leads all", "lead"),
    ("/export leads csv", "lead"), ("/privacy due", "contact"), ("/help", "customer"), ("/tickets", "ticket"),
    ("/tickets team", "ticket"), ("/tickets mine", "ticket"), ("/tickets overdue", "ticket"),
    ("/report service", "ticket"),
)
# Reads that name one record of a set: (command template, record kind, what its answer shows when allowed: a
# marker kind not in the command itself, a phrase, "admin" for admins only, or None: only checked for leaks).
SET_READS = (
    ("/customer Zc{n:04d}", "customer", "contact"), ("/customer #{customer}", "contact", "customer"),
    ("/audit Zc{n:04d}", "customer", "created customer"), ("Zc{n:04d} 今天见了面", "customer", None),
    ("/deal {deal}", "deal", "deal"), ("/deal Zc{n:04d}", "deal", "deal"), ("/audit deal {deal}", "deal", "deal"),
    ("/deal {won}", "deal", "won"), ("/quote {quote}", "quote", "quote"), ("/lead {lead}", "lead", "lead"),
    ("/privacy export c:{contact}", "contact", "admin"), ("/ticket {ticket}", "ticket", "ticket"),
    ("/survey Zc{n:04d}", "customer", None),
)
# Changes and deletes: action → (record kind, operation, turns).
Turns = Callable[[RecordSet, str], list[str]]
ACTIONS: dict[str, tuple[str, str, Turns]] = {
    "grade": ("customer", "change", lambda rs, a: [f"/grade #{rs.ids['customer']} A"]),
    "tag": ("customer", "change", lambda rs, a: [f"/tag Zc{rs.n:04d} #hot"]),
    "visit": ("customer", "change", lambda rs, a: [f"/visit #{rs.ids['customer']} met them"]),
    "deal_new": ("customer", "change", lambda rs, a: [f"/deal new #{rs.ids['customer']} extra 1000"]),
    "share": ("customer", "change", lambda rs, a: [f"/share #{rs.ids['customer']} {colleague(a, rs)}"]),
    "reassign": ("customer", "change", lambda rs, a: [f"/reassign {rs.owner} {colleague(a, rs)}"]),
    "contact": ("contact", "change", lambda rs, a: [f"/contact add #{rs.ids['customer']} Newbie"]),
    "basis": ("contact", "change", lambda rs, a: [f"/privacy basis c:{rs.ids['contact']} consent fair"]),
    "erase": ("contact", "delete", lambda rs, a: [f"/privacy erase c:{rs.ids['contact']} confirm"]),
    "advance": ("deal", "change", lambda rs, a: [f"/advance {rs.ids['deal']} qualified"]),
    "quote_new": ("deal", "change", lambda rs, a: [f"/quote new {rs.ids['deal']} widget 1 100"]),
    "won": ("deal", "change", lambda rs, a: [f"/won {rs.ids['deal']}"]),
    "lost": ("deal", "delete", lambda rs, a: [f"/lost {rs.ids['deal']} too pricey"]),
    "approve": ("quote", "change", lambda rs, a: [f"!ap.ok:{rs.ids['approval']}"]),
    "reject": ("quote", "change", lambda rs, a: [f"!ap.no:{rs.ids['approval']}"]),
    "plan": ("order", "change", lambda rs, a: [f"/plan {rs.ids['order']} 50% now, rest 2027-03-01"]),
    "paid": ("order", "change", lambda rs, a: [f"/paid {rs.ids['order']} 100"]),
    "edit": ("activity", "change", lambda rs, a: [f"!act.edit:{rs.ids['activity']}", "met them again"]),
    "undo": ("activity", "delete", lambda rs, a: [f"!act.undo:{rs.ids['activity']}"]),
    "done": ("followup", "change", lambda rs, a: [f"!fu.done:{rs.ids['followup']}"]),
    "snooze": ("followup", "change", lambda rs, a: [f"!fu.snz:{rs.ids['followup']}"]),
    "qualify": ("lead", "change", lambda rs, a: [f"/lead {rs.ids['lead']} qualify"]),
    "assign": ("lead", "change", lambda rs, a: [f"/lead {rs.ids['lead']} assign {colleague(a, rs)}"]),
    "disqualify": ("lead", "delete", lambda rs, a: [f"/lead {rs.ids['lead']} disqualify spam"]),
    "ticket_new": ("customer", "change", lambda rs, a: [f"/ticket new #{rs.ids['customer']} P2 broken again"]),
    "ticket_start": ("ticket", "change", lambda rs, a: [f"/ticket {rs.ids['ticket']} start"]),
    "ticket_comment": ("ticket", "change", lambda rs, a: [f"/ticket {rs.ids['ticket']} comment called"]),
    "ticket_assign": ("ticket", "change", lambda rs, a: [f"/ticket {rs.ids['ticket']} assign {colleague(a, rs)}"]),
    "ticket_resolve": ("ticket", "change", lambda rs, a: [f"!tk.st:{rs.ids['ticket']}:resolved"]),
}


class Tally:
    """Attempts per role × kind × operation, and what went against the rules."""

    def __init__(self) -> None:
        self.attempts: Counter[tuple[str, str, str]] = Counter()
        self.forbidden: Counter[tuple[str, str, str]] = Counter()
        self.leaks: list[str] = []  # forbidden ones allowed
        self.refused: list[str] = []  # allowed ones that did not happen

    def add(self, actor: str, kind: str, op: str, allowed: bool, happened: bool, what: str) -> None:
        key = (ROLE[actor], kind, op)
        self.attempts[key] += 1
        if not allowed:
            self.forbidden[key] += 1
            if happened:
                self.leaks.append(what)
        elif not happened:
            self.refused.append(what)


def read_all(replies: list[Reply]) -> str:
    """Everything the asker gets: texts, and the files (csv, xlsx, json) as text."""
    parts = []
    for r in replies:
        parts.append(to_plain(r.text))
        for row in r.buttons:
            parts += [b.label for b in row]
        if r.image is None:
            continue
        if r.image.name.endswith((".csv", ".json")):
            parts.append(r.image.data.decode("utf-8-sig"))
        elif r.image.name.endswith(".xlsx"):
            book = importlib.import_module("openpyxl").load_workbook(io.BytesIO(r.image.data), read_only=True)
            out = io.StringIO()
            writer = csv.writer(out)
            for ws in book.worksheets:
                for values in ws.iter_rows(values_only=True):
                    writer.writerow(values)
            parts.append(out.getvalue())
    return "\n".join(parts)


@pytest.mark.slow
def test_permission_matrix(engine: Engine, clock: FakeClock) -> None:
    world = World.build(engine, clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en", rate_limit=0))  # the limit has its own test
    seq = iter(range(1, 10**9))

    def turn(actor: str, line: str) -> list[Reply]:
        chat = ChatRef("console", "local", actor)
        if line.startswith("!"):
            return core.handle(Incoming(chat=chat, user=actor, action=line[1:], event_id=f"m{next(seq)}"))
        return core.handle(Incoming(chat=chat, user=actor, text=line, event_id=f"m{next(seq)}"))

    tally = Tally()
    # Reads, over a world with every arrangement of ownership in it.
    sets = [world.make(owner, shared, order) for owner, shared, order in ARRANGEMENTS]

    def judge(actor: str, line: str, kind: str, rs: RecordSet | None = None, expect: str | None = None) -> None:
        said = read_all(turn(actor, line))
        shown = markers(said) - markers(line)  # "No customer “Zc0006” found" only echoes what was typed
        bad = sorted(m for m in shown if not sees(actor, world.sets[m[0]], m[1]))
        what = f"{actor}: {line} → {bad or said[:200]}"
        if rs is None or expect is None:  # anyone may ask; the answer must show nothing forbidden
            tally.add(actor, kind, "read", True, True, what)
        elif expect == "admin":
            allowed = ROLE[actor] == "admin"
            tally.add(actor, kind, "read", allowed, any(m[0] == rs.n for m in shown), what)
        else:
            allowed = sees(actor, rs, "customer" if kind == "contact" else kind)
            happened = expect in said if " " in expect else (rs.n, expect) in shown
            tally.add(actor, kind, "read", allowed, happened or any(m[0] == rs.n for m in shown), what)
        if bad:
            tally.leaks.append(what)

    for actor in ACTORS:
        for line, kind in GLOBAL_READS:
            judge(actor, line, kind)
        for rs in sets:
            for template, kind, expect in SET_READS:
                if "{won}" in template and "won" not in rs.ids:
                    continue
                judge(actor, template.format(n=rs.n, **rs.ids), kind, rs, expect)
    # Changes and deletes, each on a fresh set arranged like the one it stands for. On PostgreSQL the default
    # run takes three of the six arrangements (own, another team's shared with me, a manager's), all with FULL.
    arrangements = ARRANGEMENTS if engine.dialect.name == "sqlite" or FULL else \
        (ARRANGEMENTS[0], ARRANGEMENTS[3], ARRANGEMENTS[4])
    for actor in ACTORS:
        for name, (kind, op, turns) in ACTIONS.items():
            for owner, shared, order in arrangements:
                if name in ("plan", "paid") and not order:
                    continue
                rs = world.make(owner, shared, order)
                allowed = may(actor, rs, name)
                before = world.fingerprint(rs)
                said = [read_all(turn(actor, line)) for line in turns(rs, actor)]
                happened = world.fingerprint(rs) != before
                tally.add(actor, kind, op, allowed, happened,
                          f"{actor} {name} on {owner}'s set{' shared with ' + shared if shared else ''}: {said}")

    attempts = sum(tally.attempts.values())
    forbidden = sum(tally.forbidden.values())
    roles = sorted({k[0] for k in tally.attempts})
    kinds = sorted({k[1] for k in tally.attempts})
    figure(f"permission matrix [{engine.dialect.name}]",
           f"{len(roles)} roles × {len(kinds)} record kinds × read/change/delete, {len(GLOBAL_READS) + len(SET_READS)} "
           f"read and {len(ACTIONS)} change/delete commands, 2 teams: {attempts} attempts, {forbidden} forbidden, "
           f"forbidden allowed {len(tally.leaks)}, allowed refused {len(tally.refused)}")
    assert not tally.leaks, "\n".join(tally.leaks[:20])
    assert not tally.refused, "\n".join(tally.refused[:60])


# Imports: a sheet naming one set's records, sent and confirmed by each actor. Who may see the set has it
# changed; who may not sees nothing of it (no id, no owner) and changes nothing of it (its rows are new ones).
IMPORT_SHEETS: dict[str, tuple[tuple[str, ...], Callable[[RecordSet], str]]] = {
    # kind of sheet: (record kinds it reaches, its CSV for a set)
    "customers": (("customer", "contact"), lambda rs: (
        "客户名称,联系人,职位,联系电话,邮箱,客户分级\n"
        f"Zc{rs.n:04d},Zp{rs.n:04d},Buyer,+861380{rs.n:04d}000,zp{rs.n:04d}@ex.com,A\n"
        f"Other{rs.n:04d},Zp{rs.n:04d},Boss,+861380{rs.n:04d}000,,C\n")),
    "activities": (("activity", "followup"), lambda rs: (
        "客户名称,跟进时间,跟进方式,跟进内容,下次跟进时间\n"
        f"Zc{rs.n:04d},2026-11-20,电话,imported call,2026-12-01\n")),
    "deals": (("deal",), lambda rs: (
        "客户名称,商机名称,金额,阶段\n"
        f"Zc{rs.n:04d},Zd{rs.n:04d},12345,qualified\n")),
    "leads": (("lead",), lambda rs: (
        "公司名称,联系人,电话,邮箱,预算\n"
        f"Zl{rs.n:04d},Mr Z,+861370{rs.n:04d}000,zl{rs.n:04d}@ex.com,500000\n")),
}


def _revealed(said: str, rs: RecordSet, world: World, actor: str) -> list[str]:
    """What an answer shows of a set the actor may not see: its ids or its owner's name."""
    ids = [f"#{rs.ids[k]} " for k in ("customer",)] + [f"lead #{rs.ids['lead']}", f"#{rs.ids['deal']} Zd"]
    found = [i for i in ids if i in said]
    if rs.owner != actor and re.search(rf"\b{rs.owner}\b", said):
        found.append(rs.owner)
    return found


@pytest.mark.slow
def test_import_obeys_the_importers_scope(engine: Engine, clock: FakeClock) -> None:
    world = World.build(engine, clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en", rate_limit=0))
    seq = iter(range(1, 10**9))

    def send(actor: str, name: str, data: bytes) -> list[Reply]:
        return core.handle(Incoming(chat=ChatRef("console", "local", actor), user=actor, event_id=f"i{next(seq)}",
                                    file=Attachment(name=name, mime="text/csv", data=data)))

    def say(actor: str, line: str) -> list[Reply]:
        return core.handle(Incoming(chat=ChatRef("console", "local", actor), user=actor, text=line,
                                    event_id=f"i{next(seq)}"))

    tally = Tally()
    arrangements = ARRANGEMENTS if engine.dialect.name == "sqlite" or FULL else \
        (ARRANGEMENTS[0], ARRANGEMENTS[3], ARRANGEMENTS[4])
    for actor in ACTORS:
        for sheet, (kinds, csv_of) in IMPORT_SHEETS.items():
            for owner, shared, order in arrangements:
                rs = world.make(owner, shared, order)
                before = world.fingerprint(rs)
                shown = send(actor, f"{sheet}.csv", csv_of(rs).encode())
                said = read_all(shown)
                confirm = next((b.action[4:] for r in shown for row in r.buttons for b in row
                                if b.action.startswith("say:/import confirm")), None)
                if confirm is not None:
                    said += "\n" + read_all(say(actor, confirm))
                happened = world.fingerprint(rs) != before
                # An importer (manager, admin) changes what they may see; nobody changes what they may not.
                allowed = ROLE[actor] in ("manager", "admin") and all(sees(actor, rs, k) for k in kinds)
                what = f"{actor} imports {sheet} over {owner}'s set{' shared with ' + shared if shared else ''}"
                for kind in kinds:
                    tally.add(actor, kind, "import", allowed, happened, f"{what}: {said[:300]}")
                if not any(sees(actor, rs, k) for k in kinds) and (bad := _revealed(said, rs, world, actor)):
                    tally.leaks.append(f"{what} revealed {bad}: {said[:300]}")
    attempts = sum(tally.attempts.values())
    forbidden = sum(tally.forbidden.values())
    kinds_seen = sorted({k[1] for k in tally.attempts})
    figure(f"import matrix [{engine.dialect.name}]",
           f"{len(ACTORS)} actors × {len(IMPORT_SHEETS)} kinds of sheet ({', '.join(kinds_seen)}): {attempts} "
           f"attempts, {forbidden} forbidden, forbidden allowed or revealed {len(tally.leaks)}, "
           f"allowed refused {len(tally.refused)}")
    assert not tally.leaks, "\n".join(tally.leaks[:20])
    assert not tally.refused, "\n".join(tally.refused[:40])
