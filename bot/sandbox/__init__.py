"""Offline Telegram: a local Bot API emulator and simulated users (see docs/emulator.md)."""

from bot.sandbox.client import ChatView, SimGroup, SimUser
from bot.sandbox.emulator import (
    ApiCall,
    CallbackAnswer,
    ChatEvent,
    ChatMessage,
    EmulatorThread,
    Faults,
    RateLimits,
    SentRecord,
    Stats,
    StoredFile,
    TelegramEmulator,
    UpdateRecord,
)

__all__ = [
    "ApiCall",
    "CallbackAnswer",
    "ChatEvent",
    "ChatMessage",
    "ChatView",
    "EmulatorThread",
    "Faults",
    "RateLimits",
    "SentRecord",
    "SimGroup",
    "SimUser",
    "Stats",
    "StoredFile",
    "TelegramEmulator",
    "UpdateRecord",
]
