"""Lists in pages: a page of a query or of a list, the line "21–40 of 105" and the Previous/Next buttons, whose
payload (`pg:N:/command args`, run by `handlers/dispatch.page_click`) reruns the list's command at page N."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import func
from sqlmodel import select

from handlers.context import Ctx
from handlers.types import Button, Reply

T = TypeVar("T")
SIZE = 20  # items a page
_TYPED = re.compile(r"(?:^|\s)(?:page|p|页|第)\s*(\d{1,5})\s*页?\s*$", re.I)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, its number (from 1), the page size and the whole list's length."""

    items: list[T]
    number: int
    size: int
    total: int

    @property
    def first(self) -> int:
        """The position of the page's first item in the whole list (from 1; 0 when the list is empty)."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last(self) -> int:
        """The position of the page's last item."""
        return self.first + len(self.items) - 1 if self.items else 0

    @property
    def pages(self) -> int:
        """How many pages the list has (at least 1)."""
        return max(1, -(-self.total // self.size))

    @property
    def has_next(self) -> bool:
        """Whether a page follows this one."""
        return self.number < self.pages


def take_page(ctx: Ctx, args: str) -> str:
    """`args` without a typed page ("page 3", "p3", "第3页"), which becomes the turn's page."""
    found = _TYPED.search(args)
    if found is None:
        return args
    ctx.page = max(1, int(found.group(1)))
    return args[:found.start()].strip()


def _number(ctx: Ctx, total: int, size: int) -> int:
    pages = max(1, -(-total // size))
    return min(max(ctx.page, 1), pages)


def of_query(ctx: Ctx, query: Any, *, size: int = SIZE) -> Page[Any]:
    """The turn's page of a SELECT (ordered by the caller), counted in the database."""
    total = int(ctx.session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one())
    number = _number(ctx, total, size)
    items = list(ctx.session.exec(query.offset((number - 1) * size).limit(size)).all()) if total else []
    return Page(items=items, number=number, size=size, total=total)


def of_items(ctx: Ctx, items: Sequence[T], *, size: int = SIZE) -> Page[T]:
    """The turn's page of a list already in memory."""
    number = _number(ctx, len(items), size)
    return Page(items=list(items[(number - 1) * size: number * size]), number=number, size=size, total=len(items))


def span(ctx: Ctx, page: Page[Any]) -> str:
    """ "21–40 of 105" ("第 21–40 条，共 105 条")."""
    return ctx.t("{a}–{b} of {n}", a=page.first, b=page.last, n=page.total)


def buttons(ctx: Ctx, page: Page[Any], line: str) -> tuple[tuple[Button, ...], ...]:
    """The row of Previous / Next buttons that rerun the command `line` at the page before or after."""
    row = []
    if page.number > 1:
        row.append(ctx.button(ctx.t("‹ Previous"), f"pg:{page.number - 1}:{line}"))
    if page.has_next:
        row.append(ctx.button(ctx.t("Next ›"), f"pg:{page.number + 1}:{line}", style="primary"))
    return (tuple(row),) if row else ()


def show(ctx: Ctx, page: Page[Any], heading: str, lines: list[str], line: str, *,
         extra: tuple[tuple[Button, ...], ...] = ()) -> None:
    """Say one page: its heading, its lines, the span line, and the page buttons after `extra`."""
    text = "\n".join([heading, *lines, span(ctx, page)]) if heading else "\n".join([*lines, span(ctx, page)])
    ctx.replies.append(Reply(text=text, buttons=extra + buttons(ctx, page, line)))
