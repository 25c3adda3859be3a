"""`salesbot import` and `salesbot export` as a newcomer runs them: preview, apply, again, round trip, limits."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import shared_file
from tests.processes.test_cli import _run, env  # noqa: F401  (the fixture: a fresh SQLite database and English)


def _invited(env: dict[str, str]) -> None:  # noqa: F811
    """An admin, made as a newcomer does: an invite code, joined in the terminal chat."""
    code = _run(["invite", "--role", "admin", "--name", "carol"], env).stdout.strip()
    assert "Welcome, carol" in _run(["chat"], env, f"@carol: /join {code}\n").stdout


def test_the_sample_sheet_previews_applies_then_changes_nothing(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    sheet = tmp_path / "customers_zh.xlsx"
    shutil.copy(shared_file("samples", "customers_zh.xlsx"), sheet)
    _invited(env)
    preview = _run(["import", str(sheet), "--dry-run"], env)
    assert preview.returncode == 0, preview.stderr
    assert "dry run: nothing saved" in preview.stdout and "6" in preview.stdout
    applied = _run(["import", str(sheet)], env)
    assert applied.returncode == 0, applied.stderr
    assert "rejected rows:" in applied.stdout and (tmp_path / "customers_zh.rejected.xlsx").exists()
    again = json.loads(_run(["import", str(sheet), "--json"], env).stdout)
    assert again["counts"].get("customer.created", 0) == 0 and again["counts"]["customer.unchanged"] == 8
    exported = tmp_path / "customers.xlsx"
    assert "6 rows" in _run(["export", "customers", "--out", str(exported)], env).stdout
    back = json.loads(_run(["import", str(exported), "--json"], env).stdout)
    assert back["counts"].get("customer.created", 0) == 0 and back["counts"]["customer.unchanged"] == 6


def test_a_file_over_the_configured_limit_is_refused_before_it_is_read(env: dict[str, str],  # noqa: F811
                                                                         tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_text("客户名称,电话\n" + "".join(f"公司{i},1380000{i:04d}\n" for i in range(3000)), encoding="utf-8")
    _invited(env)
    refused = _run(["import", str(big)], {**env, "SALESBOT_MAX_FILE_BYTES": str(32 * 1024)})
    assert refused.returncode == 2 and "too large" in refused.stderr.lower(), refused.stderr
    assert _run(["import", str(big), "--json"], env).returncode == 0  # under the default limit it is read


def test_an_operator_imports_before_anyone_joins_and_moves_owners_only_when_asked(
        env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    sheet = tmp_path / "c.csv"
    sheet.write_text("客户名称,负责人\n华东科技,\n", encoding="utf-8")
    first = _run(["import", str(sheet), "--json"], env)  # nobody has joined: an admin is made for the import
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["counts"]["customer.created"] == 1
    code = _run(["invite", "--role", "rep", "--name", "lina"], env).stdout.strip()
    assert "Welcome, lina" in _run(["chat"], env, f"@lina: /join {code}\n").stdout
    assert _run(["import", str(sheet), "--owner", "nobody"], env).returncode == 2
    sheet.write_text("客户名称,负责人\n华东科技,lina\n", encoding="utf-8")
    kept = _run(["import", str(sheet), "--owner", "admin"], env)
    assert kept.returncode == 0, kept.stderr
    assert "华东科技: admin → lina" in kept.stdout and "keep their owner" in kept.stdout, kept.stdout
    moved = json.loads(_run(["import", str(sheet), "--move-owners", "--json"], env).stdout)
    assert moved["owner_changes"] == [{"row": 2, "customer": "华东科技", "from": "admin", "to": "lina", "moved": True}]
    again = json.loads(_run(["import", str(sheet), "--json"], env).stdout)
    assert again["owner_changes"] == []
