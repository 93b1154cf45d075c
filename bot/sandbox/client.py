"""The user's side of the emulator: what tests, the sandbox and benches do and look at.

A :class:`SimUser` writes to the bot, presses inline buttons and uploads files, and reads its
private chat the way the Telegram app shows it: every message in its *current* state (edits
apply in place, deleted messages disappear). A :class:`SimGroup` is a group chat users can
write in. Reading replies is cursor based: :meth:`ChatView.expect_reply` returns the next bot
message not yet returned, whether it already arrived or is still to come, so a test never
races the bot.

Objects here are created by :meth:`TelegramEmulator.user` and :meth:`TelegramEmulator.group`;
they work from the emulator's own loop or from another thread's loop.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.sandbox.emulator import CallbackAnswer, ChatMessage, StoredFile

if TYPE_CHECKING:
    from bot.sandbox.emulator import TelegramEmulator, UpdateRecord

__all__ = ["ChatView", "SimGroup", "SimUser"]


class ChatView:
    """Reading one chat: replies, edits, documents, with independent read cursors."""

    def __init__(self, emulator: TelegramEmulator, chat_id: int) -> None:
        self.emulator = emulator
        self.chat_id = chat_id
        self._cursor = {"message": 0, "edit": 0}

    async def expect_reply(self, timeout: float = 5.0) -> ChatMessage:
        """The next bot message in this chat not returned before (waits up to ``timeout``)."""
        return await self._next("message", timeout)

    async def expect_edit(self, timeout: float = 5.0) -> ChatMessage:
        """The message of the next bot edit in this chat not returned before."""
        return await self._next("edit", timeout)

    async def _next(self, kind: str, timeout: float) -> ChatMessage:
        event = await self.emulator.next_event(
            self.chat_id, self._cursor[kind], (kind,), timeout=timeout
        )
        self._cursor[kind] = event.index + 1
        assert event.message is not None
        return event.message

    def skip_pending(self) -> None:
        """Forget unread replies and edits: the next expect_* waits for something new."""
        end = self.emulator.call(lambda: len(self.emulator.events(self.chat_id)))
        self._cursor = dict.fromkeys(self._cursor, end)

    def messages(self, *, include_deleted: bool = False) -> list[ChatMessage]:
        """Every message in the chat, the user's and the bot's, in order."""
        return self.emulator.call(
            lambda: self.emulator.messages(self.chat_id, include_deleted=include_deleted)
        )

    def replies(self, *, include_deleted: bool = False) -> list[ChatMessage]:
        """The bot's messages in the chat, in order, in their current state."""
        return [m for m in self.messages(include_deleted=include_deleted) if m.from_bot]

    def last_message(self) -> ChatMessage | None:
        """The bot's most recent visible message, or None."""
        replies = self.replies()
        return replies[-1] if replies else None

    def documents(self) -> list[StoredFile]:
        """Files the bot sent here (sendDocument/sendPhoto) with their bytes, in order."""
        return [m.file for m in self.replies() if m.file is not None]

    def last_keyboard_message(self) -> ChatMessage:
        """The most recent visible bot message that carries an inline keyboard."""
        for message in reversed(self.replies()):
            if message.keyboard:
                return message
        raise LookupError(f"no bot message with an inline keyboard in chat {self.chat_id}")


class SimGroup(ChatView):
    """A group chat; users write in it with :meth:`SimUser.send_in_group`."""

    def __init__(self, emulator: TelegramEmulator, chat_id: int, title: str) -> None:
        super().__init__(emulator, chat_id)
        self.title = title

    def __repr__(self) -> str:
        return f"<SimGroup {self.chat_id} {self.title!r}>"


class SimUser(ChatView):
    """A Telegram user; their private chat with the bot has ``chat_id == user_id``."""

    def __init__(self, emulator: TelegramEmulator, user: dict[str, Any]) -> None:
        super().__init__(emulator, int(user["id"]))
        self.user = user
        self.last_update: UpdateRecord | None = None

    @property
    def user_id(self) -> int:
        return self.chat_id

    @property
    def first_name(self) -> str:
        return str(self.user["first_name"])

    @property
    def username(self) -> str | None:
        return self.user.get("username")

    @property
    def language_code(self) -> str | None:
        return self.user.get("language_code")

    def __repr__(self) -> str:
        return f"<SimUser {self.user_id} {self.first_name!r}>"

    # ----- writing -------------------------------------------------------------------------

    def send(self, text: str, *, reply_to: ChatMessage | None = None) -> ChatMessage:
        """Type ``text`` in the private chat. ``/cmd args`` carries a bot_command entity."""
        return self._write(self.chat_id, text, reply_to)

    def send_in_group(
        self, group: SimGroup, text: str, *, reply_to: ChatMessage | None = None
    ) -> ChatMessage:
        """Write ``text`` in a group chat as this user."""
        return self._write(group.chat_id, text, reply_to)

    def _write(self, chat_id: int, text: str, reply_to: ChatMessage | None) -> ChatMessage:
        if not text:
            raise ValueError("Telegram does not send empty messages")
        created = time.monotonic()
        message, self.last_update = self.emulator.call(
            lambda: self.emulator._user_message(
                self.user_id, chat_id, text=text, reply_to=reply_to, created_at=created
            )
        )
        return message

    async def upload(
        self,
        content: bytes | str | os.PathLike[str],
        file_name: str | None = None,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> ChatMessage:
        """Send a document (bytes or a path); the bot can fetch it with getFile + download."""
        created = time.monotonic()
        if isinstance(content, bytes):
            data = content
        else:
            path = Path(content)
            data = path.read_bytes()
            file_name = file_name or path.name

        def deliver() -> tuple[ChatMessage, UpdateRecord]:
            stored = self.emulator._user_upload(data, file_name, mime_type)
            return self.emulator._user_message(
                self.user_id, self.chat_id, document=stored, caption=caption, created_at=created
            )

        message, self.last_update = self.emulator.call(deliver)
        return message

    async def click(
        self,
        label: str,
        *,
        message: ChatMessage | None = None,
        timeout: float = 5.0,
        wait: bool = True,
    ) -> CallbackAnswer | None:
        """Press the inline button labelled ``label`` (exact, else unique substring match).

        It is looked up on ``message`` or on the latest bot message with a keyboard, in its
        current state. With ``wait`` the call returns the bot's answerCallbackQuery and fails
        when the bot never answers (the spinner a real user would see forever).
        """
        target = message or self.last_keyboard_message()
        button = self.emulator.call(lambda: target.button(label))
        if button.callback_data is None:
            raise ValueError(f"button {label!r} has no callback_data (url or other kind)")
        return await self.click_data(button.callback_data, target, timeout=timeout, wait=wait)

    async def click_data(
        self,
        data: str,
        message: ChatMessage | None = None,
        *,
        timeout: float = 5.0,
        wait: bool = True,
    ) -> CallbackAnswer | None:
        """Press a button with arbitrary ``data`` on ``message`` (default: the latest bot
        message): a stale keyboard, or a forged payload no keyboard ever offered."""
        target = message or self.last_message()
        if target is None:
            raise LookupError(f"no bot message to press a button on in chat {self.chat_id}")
        created = time.monotonic()
        query_id, self.last_update = self.emulator.call(
            lambda: self.emulator._callback_query(self.user_id, target, data, created)
        )
        if not wait:
            return None
        return await self.emulator.wait_for_answer(query_id, timeout)

    def block_bot(self) -> None:
        """Block the bot: sends answer 403 and the bot gets a my_chat_member update."""
        self.emulator.faults.block(self.user_id)
        self.emulator.call(lambda: self.emulator._member_update(self.user_id, "member", "kicked"))

    def unblock_bot(self) -> None:
        self.emulator.faults.unblock(self.user_id)
        self.emulator.call(lambda: self.emulator._member_update(self.user_id, "kicked", "member"))

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """The reply keyboard shown under the input field, if the bot set one."""
        for message in reversed(self.replies()):
            markup = message.reply_markup or {}
            if markup.get("remove_keyboard"):
                return None
            if message.reply_keyboard is not None:
                return message.reply_keyboard
        return None
