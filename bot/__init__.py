"""Kiểm điểm bot: the yearly self-review and quality rating of party members on Telegram."""

__version__ = "0.1.0"
