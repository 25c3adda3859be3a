"""What a person sees when a `salesbot` command fails: one line in their language and an exit code
(2: the command was used wrongly, 1: it failed), never a traceback (`SALESBOT_DEBUG=1` adds it).

Light on purpose: `salesbot --help` imports this; the database's exception classes are imported only when
an exception is being explained.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from handlers.i18n import lang_of, tr

USAGE = 2
FAILURE = 1


class CliError(Exception):
    """A failure worded for the person: an English message id, its values, and the exit code."""

    def __init__(self, msgid: str, /, *, code: int = FAILURE, **values: object) -> None:
        super().__init__(msgid)
        self.msgid, self.code, self.values = msgid, code, values


def cli_lang(argv: Sequence[str]) -> str:
    """The language of messages: `--lang X` anywhere on the line, else LC_ALL, LC_MESSAGES or LANG when they
    name a language (not C or POSIX), else SALESBOT_DEFAULT_LANG, else English."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return lang_of(argv[i + 1])
        if arg.startswith("--lang="):
            return lang_of(arg.split("=", 1)[1])
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value and value.split(".")[0] not in ("C", "POSIX"):
            return lang_of(value)
    return lang_of(os.environ.get("SALESBOT_DEFAULT_LANG"))


def database_url() -> str:
    """The database address as the commands see it, its password hidden (for messages)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return "sqlite (default)"
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not even an address: show what was given, minus anything after ':…@'
        return url.split("@")[-1] if "@" in url else url


def explain(exc: BaseException, lang: str) -> tuple[int, str]:
    """The exit code and the one line that tell what went wrong."""
    if isinstance(exc, CliError):
        return exc.code, tr(lang, exc.msgid, **exc.values)
    from typer._click import exceptions as click_exc

    if isinstance(exc, click_exc.UsageError):
        return USAGE, _usage(exc, lang)
    module = type(exc).__module__
    if module.startswith("sales"):
        from sales.errors import RuleError

        if isinstance(exc, RuleError):
            from handlers.errors import refusal

            return (USAGE if exc.code == "unknown_role" else FAILURE), refusal(exc, lang)
    if module.startswith("pydantic"):
        return USAGE, _settings(exc, lang)
    if module.startswith("sqlalchemy") or module.startswith("alembic"):
        return _database(exc, lang)
    if isinstance(exc, OSError):
        return FAILURE, _os(exc, lang)
    return FAILURE, tr(lang, "Unexpected error ({kind}: {detail}); SALESBOT_DEBUG=1 shows where.",
                       kind=type(exc).__name__, detail=_first_line(str(exc)))


def _first_line(text: str, limit: int = 200) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _usage(exc: BaseException, lang: str) -> str:
    from typer._click import exceptions as click_exc

    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else "salesbot"
    if isinstance(exc, click_exc.NoSuchOption):
        problem = tr(lang, "there is no option {option}", option=exc.option_name)
    elif isinstance(exc, click_exc.MissingParameter) and exc.param is not None:
        problem = tr(lang, "{name} is missing", name=_param_name(exc.param))
    elif isinstance(exc, click_exc.BadParameter) and exc.param is not None:
        problem = tr(lang, "{name}: {detail}", name=_param_name(exc.param), detail=_first_line(exc.message))
    elif isinstance(exc, click_exc.UsageError) and exc.message.startswith("No such command"):
        problem = tr(lang, "there is no command {name}", name=exc.message.split(" ", 3)[-1].rstrip(".").strip("'\""))
    else:
        problem = _first_line(exc.format_message() if isinstance(exc, click_exc.ClickException) else str(exc))
    return tr(lang, "{where}: {problem} (see {where} --help)", where=where, problem=problem)


def _param_name(param: object) -> str:
    opts = getattr(param, "opts", None) or []
    return str(opts[0]) if getattr(param, "param_type_name", "") == "option" and opts else \
        str(getattr(param, "name", "") or "?").upper()


def _settings(exc: BaseException, lang: str) -> str:
    errors = getattr(exc, "errors", None)
    first = errors()[0] if callable(errors) and errors() else {}
    loc = str((first.get("loc") or ("?",))[0])
    name = f"SALESBOT_{loc.upper()}" if loc.islower() else loc  # a field's own name, or its variable (PORT)
    return tr(lang, "The setting {name} is not valid: {detail}", name=name,
              detail=_first_line(str(first.get("msg", exc))))


def _database(exc: BaseException, lang: str) -> tuple[int, str]:
    from sqlalchemy import exc as sa_exc

    where = database_url()
    if isinstance(exc, (sa_exc.ArgumentError, sa_exc.NoSuchModuleError)):
        return USAGE, tr(lang, "DATABASE_URL is not a database address salesbot can use: {url} "
                               "(e.g. sqlite:///salesbot.db or postgresql://user:password@host/name)", url=where)
    orig = getattr(exc, "orig", None) or exc.__cause__ or exc
    text = str(orig)
    if where.startswith("sqlite") and "unable to open database file" in text:
        folder = _sqlite_folder()
        if folder is not None and not folder.is_dir():
            return FAILURE, tr(lang, "The folder {folder} of DATABASE_URL does not exist: create it or fix the "
                                     "address.", folder=str(folder))
        return FAILURE, tr(lang, "Cannot open the database file of {url}: check the path and its permissions.",
                           url=where)
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)) and (
            "connect" in text or "Connection refused" in text or "could not translate host" in text):
        return FAILURE, tr(lang, "Cannot reach the database server at {url}: is it running, and is the address "
                                 "right?", url=where)
    return FAILURE, tr(lang, "The database refused: {detail}", detail=_first_line(text))


def _sqlite_folder() -> Path | None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").split("?")[0]
    return Path(path).expanduser().parent if path and path != ":memory:" else None


def _os(exc: OSError, lang: str) -> str:
    name = exc.filename if exc.filename is not None else "?"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return tr(lang, "{name}: permission denied", name=str(name))
    if exc.errno == errno.ENOENT:
        return tr(lang, "{name}: no such file", name=str(name))
    if exc.errno == errno.EISDIR:
        return tr(lang, "{name} is a folder, not a file", name=str(name))
    if exc.errno == errno.ENOSPC:
        return tr(lang, "{name}: the disk is full", name=str(name))
    return tr(lang, "{name}: {detail}", name=str(name), detail=exc.strerror or _first_line(str(exc)))


def report(exc: BaseException, lang: str) -> int:
    """Print the one line for `exc` on stderr (and the traceback with SALESBOT_DEBUG=1); the exit code."""
    code, line = explain(exc, lang)
    if os.environ.get("SALESBOT_DEBUG"):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    print(line, file=sys.stderr)
    return code
