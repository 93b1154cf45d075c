"""Test data builders live in `bot.sandbox.demo` (shared with the sandbox and the benchmarks)."""

from bot.sandbox.demo import CSV_HEADER, Org, make_org, member_line, vietnamese_names

__all__ = ["CSV_HEADER", "Org", "make_org", "member_line", "vietnamese_names"]


# Settings for a bot whose reminders may go out at any hour of the wall clock: tests of delivery
# run at night too, when the default quiet hours (21:00-07:00) would hold every message back.
ANY_HOUR = {"quiet_hours_start": 0, "quiet_hours_end": 0}
