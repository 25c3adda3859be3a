"""A spreadsheet sent to the bot without a caption is previewed for import, to managers only."""

from __future__ import annotations

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from handlers.context import Settings
from handlers.core import Core
from handlers.types import Attachment, ChatRef, Incoming
from sales.demo import load_demo
from storage.models import Customer
from tests.conftest import FakeClock, shared_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _send(core: Core, who: str, data: bytes, caption: str = "") -> list[str]:
    msg = Incoming(chat=ChatRef("console", "local", who), user=who, text=caption,
                   file=Attachment(name="客户信息.xlsx", mime=XLSX, data=data))
    return [r.text for r in core.handle(msg)]


def test_a_sheet_without_caption_gets_a_preview_and_confirm(engine: Engine, clock: FakeClock) -> None:
    data = shared_file("samples", "customers_zh.xlsx").read_bytes()
    load_demo(engine, customers=5, now=clock())
    core = Core(engine, clock=clock, settings=Settings(default_lang="en"))
    with Session(engine) as s:
        before = s.exec(select(func.count()).select_from(Customer)).one()
    refused = _send(core, "alice", data)
    assert any("只有经理或管理员可以导入表格" in t for t in refused), refused  # alice reads Chinese
    preview = core.handle(Incoming(chat=ChatRef("console", "local", "bob"), user="bob",
                                   file=Attachment(name="客户信息.xlsx", mime=XLSX, data=data)))
    labels = [b.label for r in preview for row in r.buttons for b in row]
    assert any("确认导入" in label or "Confirm import" in label for label in labels), labels
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Customer)).one() == before  # nothing before Confirm
