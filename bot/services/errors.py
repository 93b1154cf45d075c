"""The error a user can cause: a code with its parameters, worded in `templates/errors.yaml`.

Services raise `UserError`; handlers and the CLI render it in Vietnamese and change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.texts import render_string


@dataclass
class UserError(Exception):
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self) -> str:
        return render_string("errors.yaml", self.code, **self.params)

    def __str__(self) -> str:
        return self.message()
