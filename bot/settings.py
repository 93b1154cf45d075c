"""Process settings from the environment and `.env` (pydantic-settings). The token is a secret:
it never appears in `repr`, logs or error messages."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_BASE_URL = "https://api.telegram.org/bot"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = Field(default=None)
    telegram_base_url: str = DEFAULT_BASE_URL
    telegram_base_file_url: str | None = None
    # For invite links printed by the CLI (the bot itself learns its name from getMe).
    telegram_bot_username: str = ""
    database_url: str = "sqlite:///kiemdiem.db"
    timezone: str = "Asia/Ho_Chi_Minh"
    admin_chat_id: int | None = None
    # Reminders are never sent outside these local hours (issue: "never at 2 a.m.").
    quiet_hours_start: int = 21
    quiet_hours_end: int = 7
    invite_ttl_days: int = 14
    log_level: str = "INFO"
    # Fernet keys for what people type, comma separated, newest first (bot/storage/crypto.py,
    # docs/security.md). A secret like the token: never in repr or logs.
    data_keys: SecretStr | None = Field(default=None)
    # More than this many updates from one user within the window: one polite warning, the rest
    # dropped until the window clears (bot/handlers/flood.py). 0 turns the guard off.
    flood_max_updates: int = 30
    flood_window_seconds: float = 10.0
    # Webhook mode (`kiemdiem run --webhook`, docs/deploy.md). WEBHOOK_URL is the public https
    # address Telegram calls (its path is the path this process serves); WEBHOOK_SECRET comes
    # back in every request's X-Telegram-Bot-Api-Secret-Token header and is required.
    # WEBHOOK_REGISTER=false: do not call setWebhook (only one process of several should).
    # WEBHOOK_CHAT_LOCK: on PostgreSQL, updates of one chat wait for each other across processes.
    webhook_url: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8080
    webhook_secret: SecretStr | None = None
    webhook_register: bool = True
    webhook_chat_lock: bool = True

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone, at start-up rather than at first use
        return value

    @field_validator("telegram_bot_token", "webhook_secret", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value in ("", None) else value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def token(self) -> str | None:
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None


@cache
def get_settings() -> Settings:
    return Settings()
