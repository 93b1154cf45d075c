"""Package data: the catalogue YAML files read by `bot.rules.catalog` (no code here)."""
