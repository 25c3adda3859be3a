"""`salesbot card FILE [--json]`: what a photo of a business card reads as; errors are one line and exit 1."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.conftest import shared_file
from tests.processes import salesbot


def _card(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SALESBOT_DEFAULT_LANG": "en"}
    return subprocess.run([*salesbot(), "card", *args], capture_output=True, text=True, env=env, timeout=120)


def test_a_card_prints_its_fields_as_text_and_json() -> None:
    truth = json.loads(shared_file("eval", "cards", "truth.jsonl").read_text(encoding="utf-8").splitlines()[0])
    photo = str(shared_file("eval", "cards", truth["file"]))
    text = _card(photo)
    assert text.returncode == 0, text.stderr
    assert f"person:   {truth['person']}" in text.stdout and f"mobile:   {truth['mobile']}" in text.stdout
    got = _card(photo, "--json")
    assert got.returncode == 0, got.stderr
    doc = json.loads(got.stdout)
    assert doc["card"] is True and doc["fields"]["email"] == truth["email"] and doc["lines"]
    assert set(doc["fields"]) == {"company", "person", "title", "mobile", "phone", "email", "address"}


def test_errors_are_one_line_and_exit_1(tmp_path: Path) -> None:
    missing = _card(str(tmp_path / "nope.jpg"))
    assert missing.returncode == 1 and missing.stderr.strip().count("\n") == 0, missing.stderr
    assert "Cannot read" in missing.stderr and "Traceback" not in missing.stderr
    junk = tmp_path / "notes.txt"
    junk.write_text("not a picture")
    refused = _card(str(junk), "--json")
    assert refused.returncode == 1 and refused.stderr.strip() == f"{junk} is not a business card (not_an_image)."
    assert json.loads(refused.stdout) == {"card": False, "reason": "not_an_image"}
