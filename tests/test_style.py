"""The code stays ruff-clean, mypy-strict, and within its import contracts (import-linter)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _tool(name: str) -> str:
    path = Path(sys.executable).parent / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]')")
    return found


def test_ruff_is_clean() -> None:
    result = subprocess.run([_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    result = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_dockerfile_passes_hadolint() -> None:
    result = subprocess.run([_tool("hadolint"), "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_import_contracts_hold() -> None:
    """The floors, platform libraries only in bot/, packages' insides: pyproject.toml's [tool.importlinter]."""
    result = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_hooks_every_orm_session() -> None:
    """Importing a module never registers a listener on every ORM session: hooks attach to one session or engine."""
    import re

    hook = re.compile(r"(listens_for|event\.listen)\(\s*(OrmSession|Session|sessionmaker)\b")
    offenders = [str(path.relative_to(ROOT)) for floor in ("bot", "handlers", "sales", "storage")
                 for path in (ROOT / floor).rglob("*.py") if hook.search(path.read_text(encoding="utf-8"))]
    assert offenders == []
