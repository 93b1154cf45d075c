"""The rating rules: pure functions of their arguments (no I/O, no clock, no Telegram, no SQL).

Everything here is what a party official would audit: each rule is a small function with its
citation (DOMAIN.md), exact arithmetic, and reasons that carry the numbers used.
"""
