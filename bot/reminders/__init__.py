"""Deadlines and reminders: the period's calendar, the reminder policy and planning (pure),
their rows in the database, and the one paced sender of each process. See docs/reminders.md."""
