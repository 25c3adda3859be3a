"""Run the Alembic migrations from code: every start and `salesbot migrate` call this.

A database already at head (nearly every start) is recognized by reading `alembic_version` against the heads
written in the migration files, without importing Alembic (half a second of a command's start-up).
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

HERE = Path(__file__).resolve().parent


def alembic_config(engine: Engine) -> Config:
    """An Alembic config bound to this engine."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


# A top-level `revision = ...` or `down_revision: ... = ...` line of a migration file (the value on that line).
_ASSIGNED = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+?)\s*$", re.M)


@functools.cache
def written_heads() -> frozenset[str] | None:
    """The heads of the migration files, read from their `revision` and `down_revision` lines (None if unsure)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (HERE / "migrations" / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found: dict[str, object] | None
        try:  # the lines alone: parsing the whole file's syntax tree costs a start-up a few hundredths of a second
            found = {m.group(1): ast.literal_eval(m.group(2)) for m in _ASSIGNED.finditer(source)}
        except (ValueError, SyntaxError):  # a value written over several lines
            found = _assigned(source)
        if found is None:
            return None
        rev, down = found.get("revision"), found.get("down_revision")
        if not isinstance(rev, str):
            return None
        revisions.add(rev)
        parents.update([down] if isinstance(down, str) else list(down) if isinstance(down, tuple | list) else [])
    return frozenset(revisions - parents) or None


def _assigned(source: str) -> dict[str, object] | None:
    """The module-level `revision` and `down_revision` of a migration file, from its syntax tree."""
    found: dict[str, object] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.AnnAssign | ast.Assign):
            target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision") and node.value:
                try:
                    found[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    return None
    return found


def _current(engine: Engine) -> frozenset[str] | None:
    try:
        with engine.connect() as conn:
            return frozenset(r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version")))
    except DBAPIError as exc:
        if exc.connection_invalidated or "alembic_version" not in str(exc):
            raise  # the database itself cannot be reached: said as such by the caller
        return None  # a new database: no version table yet


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema."""
    heads = written_heads()
    if heads is not None and _current(engine) == heads:
        return
    from alembic import command

    command.upgrade(alembic_config(engine), "heads")


def at_head(engine: Engine) -> bool:
    """Whether the database's schema is the newest one."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return current == heads
