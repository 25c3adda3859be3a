"""Errors a user can cause; handlers turn their codes into words."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Amount:
    """Money among a refusal's values: its words show it with its currency (never a bare 37000.00)."""

    value: Decimal
    currency: str = "CNY"


class RuleError(Exception):
    """A rule refused the change; `code` names the rule, `params` fill its message."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
