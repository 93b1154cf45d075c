"""The secretary's `/cell` hub, its buttons (`cm:<cell>:<action>`), and spreadsheets sent to the
bot (a roster to import)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.app import Context
from bot.handlers.common import allowed, run_service
from bot.services.errors import UserError
from bot.services.spreadsheet import MAX_UPLOAD_BYTES


async def on_cell(update: Update, context: Context) -> None:
    assert update.effective_user is not None
    await run_service(update, context, context.services.cell.menu, update.effective_user.id)


async def on_button(update: Update, context: Context) -> None:
    assert update.effective_user is not None and update.callback_query is not None
    data = update.callback_query.data or ""
    if data.endswith(":invites"):
        cell_id = int(data.split(":")[1])
        await run_service(
            update,
            context,
            context.services.cell.invite_links,
            update.effective_user.id,
            cell_id,
            context.bot.username or "",
        )
        return
    await run_service(
        update, context, context.services.cell.on_button, update.effective_user.id, data
    )


async def on_document(update: Update, context: Context) -> None:
    assert update.effective_user is not None and update.effective_message is not None
    message = update.effective_message
    document = message.document
    assert document is not None
    if document.file_size and document.file_size > MAX_UPLOAD_BYTES:
        await run_service(update, context, _raise, "upload_too_large")
        return
    # Who may send a roster is checked before anything is downloaded.
    if not await allowed(
        update, context, context.services.cell.check_upload, update.effective_user.id,
        message.caption or "",
    ):
        return
    file = await document.get_file()
    data = bytes(await file.download_as_bytearray())
    await run_service(
        update,
        context,
        context.services.cell.import_upload,
        update.effective_user.id,
        data,
        document.file_name or "",
        message.caption or "",
    )


def _raise(code: str) -> Any:
    raise UserError(code)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("cell", on_cell, filters=private))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^cm:\d{1,12}:[a-z]{1,12}$"))
    app.add_handler(MessageHandler(private & filters.Document.ALL, on_document))
