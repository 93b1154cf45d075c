"""reminders package."""
