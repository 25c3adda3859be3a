"""Loads every command module so each registers itself."""

from __future__ import annotations

import importlib

MODULES = ("basics", "customers", "visits", "followups", "deals", "quotes", "payments")


def load_all() -> None:
    """Import the command modules (idempotent)."""
    for name in MODULES:
        importlib.import_module(f"handlers.{name}")
