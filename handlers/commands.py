"""Loads every handlers module so each command registers itself."""

from __future__ import annotations

import importlib
import pkgutil

import handlers


def load_all() -> None:
    """Import every module of handlers/ (idempotent): a module registers its commands on import."""
    for info in pkgutil.iter_modules(handlers.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"handlers.{info.name}")
