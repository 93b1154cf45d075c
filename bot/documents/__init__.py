"""Documents the bot produces: Word forms (docxtpl), spreadsheets (openpyxl), charts (PNG)."""
