"""The commands, one module per family; each registers itself with @command when imported."""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    """Import every command module (idempotent): a module registers its commands on import."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    for name in ("privacy", "threads", "trust"):  # top-level modules that still hold a command
        importlib.import_module(f"handlers.{name}")
