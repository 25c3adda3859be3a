"""Errors a user can cause; handlers turn their codes into words."""

from __future__ import annotations


class RuleError(Exception):
    """A rule refused the change; `code` names the rule, `params` fill its message."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
