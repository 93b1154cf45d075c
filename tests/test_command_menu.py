"""The command menu Telegram shows under "/" lists every command a person would look for."""

from __future__ import annotations

from telegram.ext import CommandHandler

from bot.app import COMMANDS, build_application
from bot.settings import Settings
from bot.texts import render_string

# /start comes from an invite link and /proxy_end from the /proxy screen: not typed from a menu.
NOT_IN_MENU = {"start", "proxy_end"}


def test_every_command_is_in_the_menu_with_a_vietnamese_label() -> None:
    settings = Settings(_env_file=None, telegram_bot_token="1:x",  # type: ignore[call-arg]
                        database_url="sqlite://")
    app = build_application(settings)
    registered = {
        c for group in app.handlers.values() for h in group
        if isinstance(h, CommandHandler) for c in h.commands
    }  # fmt: skip
    assert registered - NOT_IN_MENU == set(COMMANDS)
    for command in COMMANDS:
        label = render_string("labels.yaml", f"cmd_{command}")
        assert 3 <= len(label) <= 256 and label.isascii() is False, (command, label)
