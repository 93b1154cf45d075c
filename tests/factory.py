"""Test data builders live in `bot.sandbox.demo` (shared with the sandbox and the benchmarks)."""

from bot.sandbox.demo import CSV_HEADER, Org, make_org, member_line, vietnamese_names

__all__ = ["CSV_HEADER", "Org", "make_org", "member_line", "vietnamese_names"]
