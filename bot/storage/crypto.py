"""Encryption at rest for what people type: column types that store Fernet tokens.

`EncryptedText` and `EncryptedJSON` encrypt on the way into the database and decrypt on the way
out, so services keep reading and writing plain `str` / JSON values. A database file, a dump or
a backup alone shows no answer, note or reason. Fernet (AES-128-CBC + HMAC-SHA256) also
authenticates: a token edited in the database fails to decrypt instead of reading as garbage.

Keys come from `DATA_KEYS` (the environment, or `.env` through `bot.settings`): Fernet keys,
comma separated, newest first. The newest encrypts; every key decrypts (MultiFernet), which is
what makes rotation possible without downtime (docs/security.md):

1. prepend a new key (`kiemdiem keys generate`) and restart the bot;
2. `kiemdiem keys rotate` re-encrypts every stored value with the newest key;
3. drop the old key and restart.

An encrypted column can be filtered on its plain neighbours only: the same text encrypts to a
different token every time (a random IV), so `WHERE value = 'x'` never matches. No service does
that; `tests/test_data_protection.py` checks the columns that are encrypted.

The sandbox and the tests use an ephemeral key (`use_ephemeral_key`); production refuses to start
without keys (`kiemdiem run`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from bot.services.errors import UserError

ENV = "DATA_KEYS"


class DataKeysError(UserError):
    """No key, a malformed key, or a stored value no configured key opens (worded in
    templates/errors.yaml, so the CLI and the bot show a clear Vietnamese message)."""


OPENED_MAX = 20_000  # tokens kept opened in memory (a few MB at most)


class Keyring:
    """The configured keys: the first encrypts, all of them decrypt."""

    def __init__(self, keys: Sequence[str | bytes]) -> None:
        fernets: list[Fernet] = []
        for i, key in enumerate(keys, start=1):
            try:
                fernets.append(Fernet(key))
            except (ValueError, TypeError):
                # Never echo the key itself: it is a secret even when malformed.
                raise DataKeysError("data_key_malformed", number=i) from None
        if not fernets:
            raise DataKeysError("data_keys_missing", env=ENV)
        self.count = len(fernets)
        self._fernet = MultiFernet(fernets)
        # Recently opened tokens: each questionnaire step reads the member's whole review, and
        # opening the same fifty tokens again on every step was a tenth of the bot's CPU. A
        # token is unique per encryption, so a hit is always the right plaintext; the values
        # are what this process has just read anyway (docs/security.md).
        self._opened: dict[str, str] = {}

    @classmethod
    def parse(cls, raw: str) -> Keyring:
        return cls([k.strip() for k in raw.split(",") if k.strip()])

    def encrypt(self, text: str) -> str:
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        text = self._opened.get(token)
        if text is not None:
            return text
        try:
            text = self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError):
            raise DataKeysError("data_key_unknown", env=ENV) from None
        if len(self._opened) >= OPENED_MAX:
            self._opened.clear()  # simple and bounded; refilled by the next few steps
        self._opened[token] = text
        return text

    def rotate(self, token: str) -> str:
        """The same plaintext under the newest key (MultiFernet.rotate: decrypt, re-encrypt)."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise DataKeysError("data_key_unknown", env=ENV) from None


_configured: Keyring | None = None


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")


def configure(keys: Keyring | str | Sequence[str] | None) -> None:
    """Use these keys in this process (None: go back to `DATA_KEYS`)."""
    global _configured
    if keys is None or isinstance(keys, Keyring):
        _configured = keys
    elif isinstance(keys, str):
        _configured = Keyring.parse(keys)
    else:
        _configured = Keyring(list(keys))


def use_ephemeral_key() -> str:
    """A fresh key for this process only (sandbox, tests): data written with it is unreadable
    after the process ends, which is right for throwaway data."""
    key = generate_key()
    configure([key])
    return key


def _raw_keys() -> str:
    raw = os.environ.get(ENV, "")
    if raw.strip():
        return raw
    from bot.settings import get_settings  # `.env` as well as the environment

    secret = get_settings().data_keys
    return secret.get_secret_value() if secret is not None else ""


@cache
def _parsed(raw: str) -> Keyring:
    return Keyring.parse(raw)


def keyring() -> Keyring:
    """The keys in force; `DataKeysError` when there are none."""
    if _configured is not None:
        return _configured
    raw = _raw_keys()
    if not raw.strip():
        raise DataKeysError("data_keys_missing", env=ENV)
    return _parsed(raw)


class EncryptedText(TypeDecorator[str]):
    """Text stored as a Fernet token (ASCII). None stays NULL; everything else is encrypted,
    the empty string too, so the database does not even tell which answers are empty."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring().encrypt(str(value))

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring().decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored encrypted (the audit log's old/new, which copy what people typed).
    Python None is SQL NULL."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return keyring().encrypt(text)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(keyring().decrypt(value))
