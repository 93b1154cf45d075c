"""A local Telegram Bot API emulator on 127.0.0.1, shared by the bot, tests, sandbox and benches.

This module owns the server side: an HTTP server (tornado, already a python-telegram-bot
dependency) that answers ``/bot<token>/<method>`` and ``/file/bot<token>/<path>`` the way
api.telegram.org does for the methods the bot uses, plus everything an observer needs:

* the state of every chat as a user would see it (:class:`ChatMessage`, edited in place);
* a log of what the bot sent (:class:`SentRecord`), of every call (:class:`ApiCall`) and of
  every update handed to the bot (:class:`UpdateRecord`, with latency timestamps);
* counters per method, chat and status (:class:`Stats`), switchable flood limits
  (:class:`RateLimits`) and fault injection (:class:`Faults`).

The user-perspective API (``SimUser``, ``SimGroup``) lives in :mod:`bot.sandbox.client`.

Threading model: all state belongs to the event loop the emulator was started in. Client code
running in another thread (see :class:`EmulatorThread`) goes through :meth:`TelegramEmulator.call`
and :meth:`TelegramEmulator.acall`, which hop onto that loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import html
import inspect
import ipaddress
import itertools
import json
import logging
import math
import mimetypes
import random
import re
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Collection, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import tornado.httpserver
import tornado.httputil
import tornado.iostream
import tornado.netutil
import tornado.web

if TYPE_CHECKING:
    from bot.sandbox.client import SimGroup, SimUser

__all__ = [
    "ApiCall",
    "ApiError",
    "CallbackAnswer",
    "ChatEvent",
    "ChatMessage",
    "EmulatorThread",
    "FaultRule",
    "Faults",
    "InlineButton",
    "RateLimits",
    "SentRecord",
    "Stats",
    "StoredFile",
    "TelegramEmulator",
    "UpdateRecord",
    "parse_html",
]

_LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_TOKEN = "123456:TEST"

# Methods that put a new message into a chat: these are the ones flood control applies to.
SEND_METHODS: frozenset[str] = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
# Methods that act on a chat the user may have blocked.
_CHAT_WRITE_METHODS: frozenset[str] = SEND_METHODS | {
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageCaption",
    "deleteMessage",
    "sendChatAction",
}
# Telegram leaves these out unless allowed_updates names them explicitly.
_OPT_IN_UPDATES: frozenset[str] = frozenset(
    {"chat_member", "message_reaction", "message_reaction_count"}
)
_MAX_TEXT = 4096
_MAX_CAPTION = 1024
_MAX_CALLBACK_DATA = 64
_MAX_CALLBACK_ANSWER = 200
_MAX_BOT_DOWNLOAD = 20 * 1024 * 1024
_MAX_UPLOAD = 50 * 1024 * 1024

EventKind = Literal["message", "edit", "delete", "callback_answer", "action"]


class ApiError(Exception):
    """An error answer: ``{"ok": false, "error_code": code, "description": ...}``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


# --------------------------------------------------------------------------------------------
# Text formatting: HTML parse mode as Telegram applies it (tags -> entities, strict on tags).
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets and text limits."""
    return len(text.encode("utf-16-le")) // 2


_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+[^<>]*?)?)\s*(/?)>")
_ATTR_RE = re.compile(r"""([A-Za-z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_CHAR_REF_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
}


class HtmlParseError(ValueError):
    """The text is not valid Telegram HTML (Telegram answers 400 "can't parse entities")."""


@dataclass
class _OpenTag:
    name: str
    start: int
    entity: dict[str, Any] | None


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _tag_entity(name: str, attrs: str, stack: list[_OpenTag]) -> dict[str, Any] | None:
    """The entity a start tag opens, or None for a tag that only annotates its parent."""
    values = {
        m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
        for m in _ATTR_RE.finditer(attrs)
    }
    if name == "code" and stack and stack[-1].name == "pre" and stack[-1].entity is not None:
        # <pre><code class="language-x"> is one pre entity with a language, as in Telegram.
        language = values.get("class", "").removeprefix("language-")
        if language:
            stack[-1].entity["language"] = language
        return None
    if name in _SIMPLE_TAGS:
        return {"type": _SIMPLE_TAGS[name]}
    if name == "span" and values.get("class") == "tg-spoiler":
        return {"type": "spoiler"}
    if name == "a" and "href" in values:
        return {"type": "text_link", "url": values["href"]}
    if name == "blockquote":
        return {"type": "expandable_blockquote" if "expandable" in values else "blockquote"}
    if name == "tg-emoji" and "emoji-id" in values:
        return {"type": "custom_emoji", "custom_emoji_id": values["emoji-id"]}
    raise HtmlParseError(f'Unsupported start tag "{name}"')


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Turn Telegram HTML into ``(plain_text, entities)`` or raise :class:`HtmlParseError`.

    Strict where Telegram is strict (unknown tags such as ``<br>``, a bare ``<``, unclosed or
    mismatched tags), so a bot that forgets to escape user input fails here as it would live.
    """
    out: list[str] = []
    pos = 0  # UTF-16 offset in the plain text
    stack: list[_OpenTag] = []
    entities: list[dict[str, Any]] = []
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char == "<":
            match = _TAG_RE.match(source, i)
            if match is None:
                raise HtmlParseError(
                    f'Unsupported start tag "" at byte offset {_byte_offset(source, i)}'
                )
            closing, name = match.group(1) == "/", match.group(2).lower()
            if closing:
                if not stack or stack[-1].name != name:
                    expected = f'expected "</{stack[-1].name}>", ' if stack else ""
                    raise HtmlParseError(
                        f"Unmatched end tag at byte offset {_byte_offset(source, i)}, "
                        f'{expected}found "</{name}>"'
                    )
                tag = stack.pop()
                if tag.entity is not None and pos > tag.start:
                    entities.append({**tag.entity, "offset": tag.start, "length": pos - tag.start})
            else:
                try:
                    entity = _tag_entity(name, match.group(3), stack)
                except HtmlParseError as exc:
                    raise HtmlParseError(
                        f"{exc} at byte offset {_byte_offset(source, i)}"
                    ) from None
                stack.append(_OpenTag(name, pos, entity))
            i = match.end()
            continue
        if char == "&":
            match = _CHAR_REF_RE.match(source, i)
            decoded = html.unescape(match.group(0)) if match else "&"
            if match and decoded != match.group(0):
                out.append(decoded)
                pos += utf16_len(decoded)
                i = match.end()
                continue
            out.append("&")
            pos += 1
            i += 1
            continue
        j = i + 1
        while j < n and source[j] not in "<&":
            j += 1
        chunk = source[i:j]
        out.append(chunk)
        pos += utf16_len(chunk)
        i = j
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


_MD_LINK_RE = re.compile(r"\[((?:\\.|[^\]\\])*)\]\((?:\\.|[^)\\])*\)")


def _markdown_plain(source: str) -> str:
    """Approximate plain text of Markdown/MarkdownV2: links -> their text, markers dropped.

    No entities and no validation: the bot is expected to use HTML (see docs/emulator.md).
    """
    text = _MD_LINK_RE.sub(lambda m: m.group(1), source)
    return re.sub(r"\\(.)|[*_~`|]", lambda m: m.group(1) or "", text)


def render_text(
    raw: str, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str, list[dict[str, Any]]]:
    """``(plain, entities)`` for a text or caption as Telegram would store it."""
    if entities is not None:
        return raw, entities
    mode = (parse_mode or "").lower()
    if mode == "":
        return raw, []
    if mode == "html":
        try:
            return parse_html(raw)
        except HtmlParseError as exc:
            raise _bad(f"can't parse entities: {exc}") from None
    if mode in ("markdown", "markdownv2"):
        return _markdown_plain(raw), []
    raise _bad(f"unsupported parse_mode {parse_mode!r}")


# --------------------------------------------------------------------------------------------
# What users see and what the observer records.
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class StoredFile:
    """A file the emulator holds: sent by the bot (multipart part) or uploaded by a user."""

    file_id: str
    file_unique_id: str
    data: bytes
    file_name: str | None
    mime_type: str | None
    file_path: str
    width: int = 0
    height: int = 0

    @property
    def size(self) -> int:
        return len(self.data)

    def document_api(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_name is not None:
            doc["file_name"] = self.file_name
        if self.mime_type is not None:
            doc["mime_type"] = self.mime_type
        return doc

    def photo_api(self) -> list[dict[str, Any]]:
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "file_size": self.size,
                "width": self.width,
                "height": self.height,
            }
        ]


@dataclass(frozen=True)
class InlineButton:
    """One inline keyboard button; ``raw`` is the button object as the bot sent it."""

    text: str
    callback_data: str | None
    url: str | None
    raw: dict[str, Any]


@dataclass(eq=False)
class ChatMessage:
    """A message in a chat, in its *current* state (edits update it in place, as in the app).

    ``text`` is the plain text (HTML tags stripped, entities unescaped); for a document or
    photo it is the plain caption. ``raw_text`` keeps exactly what the bot sent.
    """

    chat_id: int
    message_id: int
    from_bot: bool
    sender: dict[str, Any]
    chat: dict[str, Any]
    date: int
    sent_at: float
    raw_text: str | None = None
    plain: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    parse_mode: str | None = None
    is_caption: bool = False
    reply_markup: dict[str, Any] | None = None
    document: StoredFile | None = None
    photo: StoredFile | None = None
    reply_to: ChatMessage | None = None
    edited_at: float | None = None
    edit_date: int | None = None
    edit_count: int = 0
    deleted: bool = False

    @property
    def text(self) -> str | None:
        return self.plain

    @property
    def caption(self) -> str | None:
        return self.plain if self.is_caption else None

    @property
    def html(self) -> str | None:
        """The HTML as sent when parse_mode was HTML, otherwise the escaped plain text."""
        if self.raw_text is not None and (self.parse_mode or "").lower() == "html":
            return self.raw_text
        return None if self.plain is None else html.escape(self.plain, quote=False)

    @property
    def file(self) -> StoredFile | None:
        return self.document or self.photo

    @property
    def keyboard(self) -> list[list[InlineButton]]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [
            [
                InlineButton(
                    text=str(b.get("text", "")),
                    callback_data=b.get("callback_data"),
                    url=b.get("url"),
                    raw=b,
                )
                for b in row
            ]
            for row in rows
        ]

    @property
    def buttons(self) -> list[list[str]]:
        """Inline keyboard labels, row by row (empty when there is no inline keyboard)."""
        return [[b.text for b in row] for row in self.keyboard]

    @property
    def callback_data(self) -> list[list[str | None]]:
        """Inline keyboard callback data, mirroring :attr:`buttons`."""
        return [[b.callback_data for b in row] for row in self.keyboard]

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Labels of a ReplyKeyboardMarkup attached to this message, if any."""
        rows = (self.reply_markup or {}).get("keyboard")
        if rows is None:
            return None
        return [[b if isinstance(b, str) else str(b.get("text", "")) for b in row] for row in rows]

    def button(self, label: str) -> InlineButton:
        """The button whose label equals ``label``, else the one whose label contains it."""
        flat = [b for row in self.keyboard for b in row]
        exact = [b for b in flat if b.text == label]
        if len(exact) == 1:
            return exact[0]
        if not exact:
            needle = label.casefold()
            exact = [b for b in flat if needle in b.text.casefold()]
            if len(exact) == 1:
                return exact[0]
        labels = [b.text for b in flat]
        problem = "ambiguous" if exact else "no such"
        raise LookupError(f"{problem} button {label!r} on message {self.message_id}: {labels}")

    def to_api(self, *, with_reply: bool = True) -> dict[str, Any]:
        """The Message object as the Bot API serialises it."""
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": self.chat,
            "from": self.sender,
        }
        if self.plain is not None:
            key = "caption" if self.is_caption else "text"
            data[key] = self.plain
            if self.entities:
                data[f"{key}_entities" if self.is_caption else "entities"] = self.entities
        if self.document is not None:
            data["document"] = self.document.document_api()
        if self.photo is not None:
            data["photo"] = self.photo.photo_api()
        # Telegram only echoes inline keyboards back in Message.reply_markup.
        if self.reply_markup and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        if with_reply and self.reply_to is not None:
            data["reply_to_message"] = self.reply_to.to_api(with_reply=False)
        return data

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else "user"
        return f"<ChatMessage {self.chat_id}/{self.message_id} {who} {self.plain!r}>"


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot answered to a button press (answerCallbackQuery)."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    at: float


@dataclass(frozen=True)
class ChatEvent:
    """One thing the bot did in a chat, in order; ``index`` is its position in the chat log."""

    index: int
    kind: EventKind
    at: float
    message: ChatMessage | None = None
    answer: CallbackAnswer | None = None
    action: str | None = None


@dataclass(eq=False)
class UpdateRecord:
    """An update queued for the bot, with the timestamps latency is measured from.

    ``created_at``: the simulated user acted; ``delivered_at``: first handed out by getUpdates;
    ``replied_at``: first bot output attributed to it (see :meth:`TelegramEmulator.latencies`).
    All are ``time.monotonic()`` values.
    """

    update_id: int
    kind: str
    chat_id: int | None
    user_id: int | None
    payload: dict[str, Any]
    created_at: float
    delivered_at: float | None = None
    replied_at: float | None = None
    callback_query_id: str | None = None
    deliveries: int = 0
    discarded: bool = False  # not in the bot's allowed_updates when it was created

    @property
    def latency(self) -> float | None:
        return None if self.replied_at is None else self.replied_at - self.created_at


@dataclass(frozen=True)
class SentRecord:
    """A successful bot action visible to users (send, edit, delete, answer, chat action)."""

    seq: int
    at: float
    method: str
    chat_id: int | None
    message: ChatMessage | None
    params: dict[str, Any]


@dataclass(frozen=True)
class ApiCall:
    """One HTTP call to the API, whatever its outcome."""

    seq: int
    at: float
    method: str
    chat_id: int | None
    status: int
    params: dict[str, Any]


# --------------------------------------------------------------------------------------------
# Flood limits, faults and counters.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateLimits:
    """Flood limits as the Bot FAQ states them; 429 with ``retry_after`` when exceeded.

    Only new messages count (sendMessage, sendDocument, sendPhoto); a refused request does not
    use up quota. Defaults follow core.telegram.org/bots/faq#broadcasting-to-users.
    """

    overall_per_second: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: int = 20


class _FloodControl:
    """Sliding windows for the overall and group limits, a token bucket per private chat."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._overall: deque[float] = deque()
        self._groups: dict[int, deque[float]] = {}
        self._private: dict[int, tuple[float, float]] = {}  # chat -> (tokens, at)

    def admit(self, chat_id: int, is_private: bool, now: float) -> float:
        """Consume quota and return 0, or return the seconds to wait (nothing consumed)."""
        lim = self.limits
        waits: list[float] = []
        while self._overall and self._overall[0] <= now - 1.0:
            self._overall.popleft()
        if len(self._overall) >= lim.overall_per_second:
            waits.append(self._overall[0] + 1.0 - now)
        tokens = 0.0
        if is_private:
            tokens, last = self._private.get(chat_id, (float(lim.private_burst), now))
            tokens = min(float(lim.private_burst), tokens + (now - last) * lim.private_per_second)
            if tokens < 1.0:
                waits.append((1.0 - tokens) / lim.private_per_second)
        else:
            window = self._groups.setdefault(chat_id, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= lim.group_per_minute:
                waits.append(window[0] + 60.0 - now)
        if waits:
            if is_private:
                self._private[chat_id] = (tokens, now)
            return max(waits)
        self._overall.append(now)
        if is_private:
            self._private[chat_id] = (tokens - 1.0, now)
        else:
            self._groups[chat_id].append(now)
        return 0.0


@dataclass(eq=False)
class FaultRule:
    """An injected failure. ``count`` requests (or a seeded ``fraction``) that match fail.

    ``methods=None`` matches every method except getUpdates, so the background long poll does
    not eat the budget at unpredictable moments; name getUpdates explicitly to break polling.
    """

    kind: Literal["error", "hang"]
    status: int = 500
    description: str = "Internal Server Error"
    count: int | None = 1
    fraction: float | None = None
    seconds: float | None = None
    deliver: bool = False
    methods: frozenset[str] | None = None
    chat_ids: frozenset[int] | None = None
    seed: int = 0
    hits: int = 0
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @property
    def exhausted(self) -> bool:
        return self.count is not None and self.count <= 0

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.methods is None:
            if method == "getUpdates":
                return False
        elif method not in self.methods:
            return False
        return self.chat_ids is None or chat_id in self.chat_ids

    def fire(self) -> bool:
        if self.count is not None:
            if self.count <= 0:
                return False
            self.count -= 1
        elif self.fraction is None or self._rng.random() >= self.fraction:
            return False
        self.hits += 1
        return True


_STATUS_TEXT = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


class Faults:
    """Fault injection switches of one emulator (all off by default)."""

    def __init__(self) -> None:
        self.blocked: set[int] = set()
        self.rules: list[FaultRule] = []

    def block(self, *chat_ids: int) -> None:
        """These chats answer 403 "Forbidden: bot was blocked by the user"."""
        self.blocked.update(chat_ids)

    def unblock(self, *chat_ids: int) -> None:
        self.blocked.difference_update(chat_ids)

    def fail_next(
        self,
        count: int = 1,
        *,
        status: int = 500,
        methods: Iterable[str] | None = None,
        chat_ids: Iterable[int] | None = None,
    ) -> FaultRule:
        """The next ``count`` matching requests answer ``status`` (a 5xx)."""
        return self._add("error", status=status, count=count, methods=methods, chat_ids=chat_ids)

    def fail_fraction(
        self,
        fraction: float,
        *,
        seed: int = 0,
        status: int = 500,
        methods: Iterable[str] | None = None,
        chat_ids: Iterable[int] | None = None,
    ) -> FaultRule:
        """A seeded random ``fraction`` of matching requests answer ``status``."""
        return self._add(
            "error",
            status=status,
            count=None,
            fraction=fraction,
            seed=seed,
            methods=methods,
            chat_ids=chat_ids,
        )

    def hang_next(
        self,
        count: int = 1,
        *,
        seconds: float | None = None,
        deliver: bool = False,
        methods: Iterable[str] | None = None,
        chat_ids: Iterable[int] | None = None,
    ) -> FaultRule:
        """The next ``count`` matching requests get no answer for ``seconds`` (None: until the
        client gives up or the emulator stops). ``deliver=True`` performs the request first,
        so a client that retries after its timeout produces a duplicate (counted in stats)."""
        return self._add(
            "hang",
            status=504,
            count=count,
            seconds=seconds,
            deliver=deliver,
            methods=methods,
            chat_ids=chat_ids,
        )

    def hang_fraction(
        self,
        fraction: float,
        *,
        seed: int = 0,
        seconds: float | None = None,
        deliver: bool = False,
        methods: Iterable[str] | None = None,
        chat_ids: Iterable[int] | None = None,
    ) -> FaultRule:
        return self._add(
            "hang",
            status=504,
            count=None,
            fraction=fraction,
            seed=seed,
            seconds=seconds,
            deliver=deliver,
            methods=methods,
            chat_ids=chat_ids,
        )

    def clear(self) -> None:
        self.blocked.clear()
        self.rules.clear()

    def _add(
        self,
        kind: Literal["error", "hang"],
        *,
        status: int,
        methods: Iterable[str] | None,
        chat_ids: Iterable[int] | None,
        **kwargs: Any,
    ) -> FaultRule:
        canonical = None
        if methods is not None:
            canonical = frozenset(_METHOD_BY_LOWER.get(m.lower(), m) for m in methods)
        rule = FaultRule(
            kind=kind,
            status=status,
            description=_STATUS_TEXT.get(status, "Gateway Timeout"),
            methods=canonical,
            chat_ids=None if chat_ids is None else frozenset(chat_ids),
            **kwargs,
        )
        self.rules.append(rule)
        return rule

    def check(self, method: str, chat_id: int | None) -> FaultRule | None:
        for rule in self.rules:
            if rule.matches(method, chat_id) and rule.fire():
                if rule.exhausted:
                    self.rules.remove(rule)
                return rule
        return None


class Stats:
    """Counters of one emulator. ``status`` 0 never appears; 200 means answered ok."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests: Counter[str] = Counter()
        self.by_status: Counter[int] = Counter()
        self._by_key: Counter[tuple[str, int | None, int]] = Counter()
        self.retried_429 = 0
        self.duplicates = 0
        self._pending_429: Counter[Any] = Counter()
        self._delivered: Counter[Any] = Counter()

    def _record(self, method: str, chat_id: int | None, status: int) -> None:
        self.requests[method] += 1
        self.by_status[status] += 1
        self._by_key[(method, chat_id, status)] += 1

    def count(
        self, status: int | None = None, *, method: str | None = None, chat_id: int | None = None
    ) -> int:
        """Requests answered with ``status`` (any when None), optionally for one method/chat."""
        if method is None and chat_id is None:
            return self.by_status[status] if status is not None else self.by_status.total()
        return sum(
            n
            for (m, c, s), n in self._by_key.items()
            if (status is None or s == status)
            and (method is None or m == method)
            and (chat_id is None or c == chat_id)
        )

    def errors(self, *, method: str | None = None, chat_id: int | None = None) -> Counter[int]:
        """Non-200 answers by status code."""
        out: Counter[int] = Counter()
        for (m, c, s), n in self._by_key.items():
            if s != 200 and (method is None or m == method) and (chat_id is None or c == chat_id):
                out[s] += n
        return out

    def chats(self) -> Counter[int]:
        """Requests per chat (chat-less calls such as getUpdates are left out)."""
        out: Counter[int] = Counter()
        for (_m, c, _s), n in self._by_key.items():
            if c is not None:
                out[c] += n
        return out

    @property
    def unretried_429(self) -> int:
        """429s whose identical request (same method, chat and content) never succeeded."""
        return self._pending_429.total()

    def _note_429(self, fingerprint: Any) -> None:
        self._pending_429[fingerprint] += 1

    def _note_delivered(self, fingerprint: Any) -> None:
        self.retried_429 += self._pending_429.pop(fingerprint, 0)
        if self._delivered[fingerprint]:
            self.duplicates += 1
        self._delivered[fingerprint] += 1

    def summary(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "retried_429": self.retried_429,
            "unretried_429": self.unretried_429,
            "duplicates": self.duplicates,
        }


# --------------------------------------------------------------------------------------------
# The emulator.
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Chat:
    id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    started: bool = True
    next_message_id: int = 1
    messages: dict[int, ChatMessage] = field(default_factory=dict)
    events: list[ChatEvent] = field(default_factory=list)
    sent: list[SentRecord] = field(default_factory=list)
    waiters: set[asyncio.Future[None]] = field(default_factory=set)
    awaiting_reply: deque[UpdateRecord] = field(default_factory=deque)
    api: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        api: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "first_name", "last_name", "username"):
            if getattr(self, key) is not None:
                api[key] = getattr(self, key)
        self.api = api

    @property
    def is_private(self) -> bool:
        return self.type == "private"


@dataclass(eq=False)
class _Query:
    update: UpdateRecord
    chat_id: int
    answer: CallbackAnswer | None = None


@dataclass
class _Upload:
    data: bytes
    file_name: str | None
    mime_type: str | None


class _Conn:
    """The connection a request came on, to tell whether its client is still waiting."""

    def __init__(self, closed: asyncio.Future[None], sock: socket.socket | None) -> None:
        self.closed = closed
        self._sock = sock

    def gone(self) -> bool:
        if self.closed.done():
            return True
        if self._sock is None:
            return False
        # tornado notices a closed socket only on its next loop iteration; a peek is exact.
        try:
            return self._sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True


@dataclass
class _Ctx:
    method: str
    params: _Params
    chat_id: int | None
    at: float
    conn: _Conn | None = None


class _Params:
    """Request parameters from a query string, a form, a multipart body or JSON.

    PTB sends form fields where strings are raw and everything else is JSON-encoded
    (``reply_markup``, ``allowed_updates``, ints, booleans), so values may be str or native.
    """

    def __init__(self, values: dict[str, Any], files: dict[str, _Upload]) -> None:
        self.values = values
        self.files = files

    def get_str(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None or isinstance(value, str):
            return value
        return json.dumps(value) if isinstance(value, dict | list) else str(value)

    def get_int(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            raise _bad(f"invalid {name} specified") from None

    def get_float(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _bad(f"invalid {name} specified") from None

    def get_bool(self, name: str) -> bool:
        return self.values.get(name) in (True, 1, "true", "True", "1")

    def get_json(self, name: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise _bad(f"can't parse {name} JSON object") from None
        return value

    def get_file(self, name: str) -> _Upload | str | None:
        """An uploaded part (directly or via ``attach://``), or a file_id/URL string."""
        if name in self.files:
            return self.files[name]
        value = self.get_str(name)
        if value and value.startswith("attach://"):
            part = self.files.get(value.removeprefix("attach://"))
            if part is None:
                raise _bad(f"can't find attached file {value!r}")
            return part
        return value

    def loggable(self) -> dict[str, Any]:
        out = dict(self.values)
        for name, upload in self.files.items():
            out[name] = f"<{upload.file_name or 'file'}: {len(upload.data)} bytes>"
        return out


def _markup_key(markup: dict[str, Any] | None) -> str:
    return json.dumps(markup, sort_keys=True, ensure_ascii=False) if markup else ""


def _png_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 0, 0


class TelegramEmulator:
    """A fake api.telegram.org on loopback. Use ``async with`` or ``start()``/``stop()``.

    ``limits``: False/None (off), True (Telegram-like defaults) or a :class:`RateLimits`.
    ``token=None`` accepts any token. The bot's user id is the token's numeric prefix.
    """

    def __init__(
        self,
        token: str | None = DEFAULT_TOKEN,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_first_name: str = "Kiem diem bot",
        bot_username: str = "kiemdiem_test_bot",
        limits: RateLimits | bool | None = False,
        call_log_size: int | None = 100_000,
    ) -> None:
        if host != "localhost" and not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the emulator only listens on loopback, not {host!r}")
        self.token = token
        self.host = host
        self._requested_port = port
        self._port: int | None = None
        bot_id = int(token.split(":", 1)[0]) if token and token.split(":", 1)[0].isdigit() else 1
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.faults = Faults()
        self.stats = Stats()
        self._flood: _FloodControl | None = None
        self.set_limits(limits)
        self.sent: list[SentRecord] = []
        self.calls: deque[ApiCall] = deque(maxlen=call_log_size)
        self.updates: list[UpdateRecord] = []
        self.webhook_url = ""
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._chats: dict[int, _Chat] = {}
        self._usernames: dict[str, int] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._sim_users: dict[int, SimUser] = {}
        self._sim_groups: dict[int, SimGroup] = {}
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._queries: dict[str, _Query] = {}
        self._pending: deque[UpdateRecord] = deque()
        self._allowed_updates: frozenset[str] | None = None
        self._seq = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._query_ids = itertools.count(4_000_000_000_000_000_001)
        self._update_waiters: set[asyncio.Future[None]] = set()
        self._activity_waiters: set[asyncio.Future[None]] = set()
        self._active_poll: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread_id: int | None = None
        self._stopped: asyncio.Future[None] | None = None
        self._server: tornado.httpserver.HTTPServer | None = None

    # ----- lifecycle -----------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on ``host:port`` in the running event loop."""
        if self._server is not None:
            raise RuntimeError("emulator already started")
        self._loop = asyncio.get_running_loop()
        self._thread_id = threading.get_ident()
        self._stopped = self._loop.create_future()
        app = tornado.web.Application(
            [
                (r"/bot([^/]+)/([A-Za-z0-9_]+)/?", _ApiHandler, {"emulator": self}),
                (r"/file/bot([^/]+)/(.+)", _FileHandler, {"emulator": self}),
                (r".*", _NotFoundHandler),
            ],
            # An access log line per request is noise at hundreds of requests per second.
            log_function=lambda _handler: None,
        )
        sockets = tornado.netutil.bind_sockets(self._requested_port, address=self.host)
        self._server = tornado.httpserver.HTTPServer(app, max_body_size=_MAX_UPLOAD + 1_000_000)
        self._server.add_sockets(sockets)
        self._port = sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Release long polls and hangs, close the listening socket and all connections."""
        if self._server is None:
            return
        server, self._server = self._server, None
        if self._stopped is not None and not self._stopped.done():
            self._stopped.set_result(None)
        self._wake(self._update_waiters)
        self._wake(self._activity_waiters)
        for chat in self._chats.values():
            self._wake(chat.waiters)
        server.stop()
        # Let handlers released above write their answers before connections are closed.
        for _ in range(3):
            await asyncio.sleep(0)
        await server.close_all_connections()

    async def __aenter__(self) -> TelegramEmulator:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def start_in_thread(self, timeout: float = 10.0) -> EmulatorThread:
        """Run this emulator in a background thread with its own event loop (CLI, benches)."""
        runner = EmulatorThread(self)
        runner.start(timeout)
        return runner

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("emulator not started")
        return self._port

    @property
    def root_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For ``ApplicationBuilder().base_url()`` / TELEGRAM_BASE_URL (token is appended)."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``ApplicationBuilder().base_file_url()`` / TELEGRAM_BASE_FILE_URL."""
        return f"{self.root_url}/file/bot"

    @property
    def api_url(self) -> str:
        """``base_url`` with the token, for raw HTTP calls: ``f"{api_url}/getMe"``."""
        return f"{self.base_url}{self.token or DEFAULT_TOKEN}"

    # ----- cross-thread helpers ------------------------------------------------------------

    def _on_loop(self) -> bool:
        return (
            self._loop is None
            or self._loop.is_closed()
            or (self._thread_id == threading.get_ident())
        )

    def call(self, fn: Callable[[], T], timeout: float = 30.0) -> T:
        """Run ``fn`` on the emulator's loop (directly when already there) and return its value."""
        if self._on_loop():
            return fn()
        assert self._loop is not None
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:  # handed back to the calling thread
                future.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return future.result(timeout)

    async def acall(self, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Await ``make()`` on the emulator's loop, from whatever loop the caller runs in."""
        if self._on_loop():
            return await make()
        assert self._loop is not None
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(make(), self._loop))

    # ----- simulated world -----------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "User",
        *,
        username: str | None = None,
        last_name: str | None = None,
        language_code: str | None = "vi",
        started: bool = True,
    ) -> SimUser:
        """The simulated user ``user_id`` (created once); their private chat id is ``user_id``.

        ``started=False``: the user never opened the bot, so sends answer 403 until they write.
        """
        from bot.sandbox.client import SimUser  # client builds on this module

        if user_id in self._sim_users:
            return self._sim_users[user_id]
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name is not None:
            user["last_name"] = last_name
        if username is not None:
            user["username"] = username
        if language_code is not None:
            user["language_code"] = language_code
        chat = _Chat(
            id=user_id,
            type="private",
            first_name=first_name,
            last_name=last_name,
            username=username,
            started=started,
        )
        self.call(lambda: self._add_chat(chat, user))
        sim = SimUser(self, user)
        self._sim_users[user_id] = sim
        return sim

    def group(
        self,
        chat_id: int,
        title: str,
        *,
        supergroup: bool | None = None,
        username: str | None = None,
    ) -> SimGroup:
        """The simulated group ``chat_id`` (negative); ``-100…`` ids are supergroups."""
        from bot.sandbox.client import SimGroup

        if chat_id in self._sim_groups:
            return self._sim_groups[chat_id]
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        if supergroup is None:
            supergroup = str(chat_id).startswith("-100")
        chat = _Chat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            username=username,
        )
        self.call(lambda: self._add_chat(chat, None))
        sim = SimGroup(self, chat_id, title)
        self._sim_groups[chat_id] = sim
        return sim

    def _add_chat(self, chat: _Chat, user: dict[str, Any] | None) -> None:
        self._chats[chat.id] = chat
        if chat.username:
            self._usernames[chat.username.lower()] = chat.id
        if user is not None:
            self._users[user["id"]] = user

    def _chat(self, chat_id: int) -> _Chat:
        try:
            return self._chats[chat_id]
        except KeyError:
            raise KeyError(f"unknown chat {chat_id}; create it with user() or group()") from None

    def set_limits(self, limits: RateLimits | bool | None) -> None:
        """Switch flood limits on (True or a :class:`RateLimits`) or off (False/None)."""
        if limits is True:
            limits = RateLimits()
        self._flood = _FloodControl(limits) if isinstance(limits, RateLimits) else None

    @property
    def limits(self) -> RateLimits | None:
        return self._flood.limits if self._flood else None

    def messages(self, chat_id: int, *, include_deleted: bool = False) -> list[ChatMessage]:
        """Every message of a chat (user's and bot's) in order, in current state."""
        chat = self._chat(chat_id)
        return [m for m in chat.messages.values() if include_deleted or not m.deleted]

    def get_message(self, chat_id: int, message_id: int) -> ChatMessage | None:
        return self._chat(chat_id).messages.get(message_id)

    def events(self, chat_id: int) -> list[ChatEvent]:
        return self._chat(chat_id).events

    def sent_to(self, chat_id: int) -> list[SentRecord]:
        """Bot actions in one chat, in order."""
        return self._chat(chat_id).sent

    def pending_updates(self) -> int:
        """Updates not yet acknowledged by a getUpdates offset."""
        return len(self._pending)

    def file(self, file_id: str) -> StoredFile | None:
        return self._files.get(file_id)

    # ----- queueing updates (called by the client on the emulator loop) --------------------

    def _new_message_id(self, chat: _Chat) -> int:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        return message_id

    def _queue(
        self,
        kind: str,
        body: dict[str, Any],
        chat_id: int | None,
        user_id: int | None,
        *,
        created_at: float | None = None,
        query_id: str | None = None,
    ) -> UpdateRecord:
        update_id = next(self._update_ids)
        record = UpdateRecord(
            update_id=update_id,
            kind=kind,
            chat_id=chat_id,
            user_id=user_id,
            payload={"update_id": update_id, kind: body},
            created_at=time.monotonic() if created_at is None else created_at,
            callback_query_id=query_id,
        )
        self.updates.append(record)
        # As on Telegram, allowed_updates filters updates when they are created.
        allowed = self._allowed_updates
        if kind in _OPT_IN_UPDATES if allowed is None else kind not in allowed:
            record.discarded = True
            return record
        self._pending.append(record)
        # Long polls wake now, not at their next timeout.
        self._wake(self._update_waiters)
        return record

    def queue_update(self, kind: str, body: dict[str, Any]) -> UpdateRecord:
        """Queue a raw update of type ``kind`` (for update types the client does not model)."""
        return self.call(lambda: self._queue(kind, body, None, None))

    def _user_message(
        self,
        user_id: int,
        chat_id: int,
        *,
        text: str | None = None,
        document: StoredFile | None = None,
        caption: str | None = None,
        reply_to: ChatMessage | None = None,
        created_at: float,
    ) -> tuple[ChatMessage, UpdateRecord]:
        chat = self._chat(chat_id)
        sender = self._users[user_id]
        if chat.is_private:
            chat.started = True
        body = text if text is not None else caption
        msg = ChatMessage(
            chat_id=chat.id,
            message_id=self._new_message_id(chat),
            from_bot=False,
            sender=sender,
            chat=chat.api,
            date=int(time.time()),
            sent_at=created_at,
            raw_text=body,
            plain=body,
            entities=_command_entities(body) if text is not None else [],
            is_caption=text is None and caption is not None,
            document=document,
            reply_to=reply_to,
        )
        chat.messages[msg.message_id] = msg
        record = self._queue("message", msg.to_api(), chat.id, user_id, created_at=created_at)
        return msg, record

    def _callback_query(
        self, user_id: int, message: ChatMessage, data: str, created_at: float
    ) -> tuple[str, UpdateRecord]:
        chat = self._chat(message.chat_id)
        current = chat.messages.get(message.message_id)
        if current is None or current.deleted:
            raise LookupError(f"message {message.message_id} is not in chat {chat.id} any more")
        query_id = str(next(self._query_ids))
        body = {
            "id": query_id,
            "from": self._users[user_id],
            "message": current.to_api(),
            "chat_instance": str(abs(hash((chat.id, self.bot_user["id"])))),
            "data": data,
        }
        record = self._queue(
            "callback_query", body, chat.id, user_id, created_at=created_at, query_id=query_id
        )
        self._queries[query_id] = _Query(update=record, chat_id=chat.id)
        return query_id, record

    def _user_upload(self, data: bytes, file_name: str | None, mime_type: str | None) -> StoredFile:
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
        return self._store_file(data, file_name, mime_type, "documents")

    def _member_update(self, user_id: int, old: str, new: str) -> UpdateRecord:
        chat = self._chat(user_id)
        body = {
            "chat": chat.api,
            "from": self._users[user_id],
            "date": int(time.time()),
            "old_chat_member": self._member(old),
            "new_chat_member": self._member(new),
        }
        return self._queue("my_chat_member", body, chat.id, user_id)

    def _member(self, status: str) -> dict[str, Any]:
        member: dict[str, Any] = {"status": status, "user": self.bot_user}
        if status == "kicked":
            member["until_date"] = 0  # 0: banned forever
        return member

    # ----- waiting -------------------------------------------------------------------------

    @staticmethod
    def _wake(waiters: set[asyncio.Future[None]]) -> None:
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)
        waiters.clear()

    async def _park(
        self, waiters: set[asyncio.Future[None]], timeout: float, *extra: asyncio.Future[Any]
    ) -> None:
        """Sleep until ``waiters`` is woken, an ``extra`` future completes, or ``timeout``."""
        assert self._loop is not None and self._stopped is not None
        waiter: asyncio.Future[None] = self._loop.create_future()
        waiters.add(waiter)
        try:
            await asyncio.wait(
                [waiter, self._stopped, *extra],
                timeout=max(timeout, 0.0),
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            waiters.discard(waiter)
            if not waiter.done():
                waiter.cancel()

    def _check_running(self) -> None:
        if self._stopped is None or self._stopped.done():
            raise RuntimeError("emulator is not running")

    async def next_event(
        self, chat_id: int, start: int, kinds: Collection[str], timeout: float = 5.0
    ) -> ChatEvent:
        """The first event of ``kinds`` in a chat at index >= ``start``, waiting if needed."""

        async def wait() -> ChatEvent:
            assert self._loop is not None
            chat = self._chat(chat_id)
            deadline = self._loop.time() + timeout
            index = start
            while True:
                while index < len(chat.events):
                    if chat.events[index].kind in kinds:
                        return chat.events[index]
                    index += 1
                self._check_running()
                remaining = deadline - self._loop.time()
                if remaining <= 0:
                    raise TimeoutError(
                        f"no {'/'.join(sorted(kinds))} from the bot in chat {chat_id} "
                        f"within {timeout}s"
                    )
                await self._park(chat.waiters, remaining)

        return await self.acall(wait)

    def mark(self, chat_id: int) -> int:
        """A cursor for :meth:`wait_for_message`: the index of the chat's next event."""
        return self.call(lambda: len(self._chat(chat_id).events))

    async def wait_for_message(
        self, chat_id: int, *, since: int | None = None, timeout: float = 5.0
    ) -> ChatMessage:
        """The next new bot message to ``chat_id`` after cursor ``since`` (default: from now)."""
        start = self.mark(chat_id) if since is None else since
        event = await self.next_event(chat_id, start, ("message",), timeout)
        assert event.message is not None
        return event.message

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` holds; re-checked after every bot action."""

        async def wait() -> None:
            assert self._loop is not None
            deadline = self._loop.time() + timeout
            while not predicate():
                self._check_running()
                remaining = deadline - self._loop.time()
                if remaining <= 0:
                    raise TimeoutError(f"condition not met within {timeout}s")
                await self._park(self._activity_waiters, remaining)

        await self.acall(wait)

    async def wait_for_sent(
        self, count: int, *, methods: Collection[str] = SEND_METHODS, timeout: float = 5.0
    ) -> None:
        """Wait until at least ``count`` successful bot calls of ``methods`` were recorded."""
        seen = consumed = 0

        def done() -> bool:
            nonlocal seen, consumed
            # Only look at records appended since the last check: O(1) per bot action.
            seen += sum(1 for record in self.sent[consumed:] if record.method in methods)
            consumed = len(self.sent)
            return seen >= count

        await self.wait_until(done, timeout)

    async def wait_for_answer(self, query_id: str, timeout: float = 5.0) -> CallbackAnswer:
        """The bot's answerCallbackQuery for ``query_id``."""

        async def wait() -> CallbackAnswer:
            assert self._loop is not None
            query = self._queries[query_id]
            waiters = self._chat(query.chat_id).waiters  # an answer is an event in that chat
            deadline = self._loop.time() + timeout
            while query.answer is None:
                self._check_running()
                remaining = deadline - self._loop.time()
                if remaining <= 0:
                    raise TimeoutError(
                        f"the bot did not answer callback query {query_id} within {timeout}s"
                    )
                await self._park(waiters, remaining)
            return query.answer

        return await self.acall(wait)

    # ----- latency -------------------------------------------------------------------------

    def latencies(
        self, *, start: Literal["created", "delivered"] = "created", kinds: Collection[str] = ()
    ) -> list[float]:
        """Seconds from each update's creation (or delivery) to the bot's first response.

        A response is a new message, edit, delete or callback answer in the update's chat.
        answerCallbackQuery is matched to its query exactly; other outputs answer the oldest
        delivered, unanswered update of that chat (exact while each user waits for the reply
        before acting again, as real users and our benches do).
        """
        out: list[float] = []
        for record in self.updates:
            if record.replied_at is None or (kinds and record.kind not in kinds):
                continue
            origin = record.created_at if start == "created" else record.delivered_at
            if origin is not None:
                out.append(record.replied_at - origin)
        return out

    def unanswered_updates(self) -> list[UpdateRecord]:
        """Updates handed to the bot that got no response yet."""
        return [r for r in self.updates if r.delivered_at is not None and r.replied_at is None]

    def _attribute_reply(self, chat: _Chat | None, at: float, query_id: str | None = None) -> None:
        if query_id is not None:
            query = self._queries.get(query_id)
            if query is not None and query.update.replied_at is None:
                query.update.replied_at = at
                with contextlib.suppress(ValueError):
                    self._chat(query.chat_id).awaiting_reply.remove(query.update)
            return
        if chat is None:
            return
        while chat.awaiting_reply:
            record = chat.awaiting_reply.popleft()
            if record.replied_at is None:
                record.replied_at = at
                return

    # ----- recording -----------------------------------------------------------------------

    def _record_sent(
        self,
        ctx: _Ctx,
        chat: _Chat | None,
        kind: EventKind,
        *,
        message: ChatMessage | None = None,
        answer: CallbackAnswer | None = None,
        action: str | None = None,
    ) -> None:
        record = SentRecord(
            seq=next(self._seq),
            at=ctx.at,
            method=ctx.method,
            chat_id=None if chat is None else chat.id,
            message=message,
            params=ctx.params.loggable(),
        )
        self.sent.append(record)
        if chat is not None:
            chat.sent.append(record)
            chat.events.append(ChatEvent(len(chat.events), kind, ctx.at, message, answer, action))
            self._wake(chat.waiters)
            if kind != "action":
                self._attribute_reply(chat, ctx.at, answer.query_id if answer else None)
        self._wake(self._activity_waiters)

    def _store_file(
        self, data: bytes, file_name: str | None, mime_type: str | None, folder: str
    ) -> StoredFile:
        number = next(self._file_ids)
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1][:10]
        width, height = _png_size(data) if folder == "photos" else (0, 0)
        stored = StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:08d}",
            file_unique_id=f"AgAD{number:08d}",
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{folder}/file_{number}{suffix}",
            width=width,
            height=height,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    # ----- request dispatch ----------------------------------------------------------------

    def _peek_chat_id(self, params: _Params) -> int | None:
        raw = params.get_str("chat_id")
        if raw is None:
            query = self._queries.get(params.get_str("callback_query_id") or "")
            return None if query is None else query.chat_id
        if raw.startswith("@"):
            return self._usernames.get(raw[1:].lower())
        try:
            return int(raw)
        except ValueError:
            return None

    async def _handle(
        self,
        token: str,
        method_name: str,
        params: _Params,
        conn: _Conn | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """Answer one API call: ``(http_status, json_body)``.

        The call is logged with the status answered, or 499 when the client left first
        (a cancelled long poll, a hang it timed out on).
        """
        now = time.monotonic()
        method = _METHOD_BY_LOWER.get(method_name.lower())
        chat_id = self._peek_chat_id(params)
        if method is None or (self.token is not None and token != self.token):
            error = (
                ApiError(404, "Not Found: method not found")
                if method is None
                else ApiError(401, "Unauthorized")
            )
            self._log_call(method or method_name, chat_id, error.code, params, now)
            return error.code, error.body()

        rule = self.faults.check(method, chat_id)
        if rule is not None and rule.kind == "error":
            self._log_call(method, chat_id, rule.status, params, now)
            return rule.status, ApiError(rule.status, rule.description).body()
        if rule is not None and not rule.deliver:
            await self._hang(rule.seconds, conn)
            status = 499 if conn is not None and conn.gone() else 504
            self._log_call(method, chat_id, status, params, now)
            return 504, ApiError(504, "Gateway Timeout").body()

        ctx = _Ctx(method=method, params=params, chat_id=chat_id, at=now, conn=conn)
        try:
            result = getattr(self, _HANDLERS[method])(ctx)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as exc:
            status, body = exc.code, exc.body()
        else:
            status, body = 200, {"ok": True, "result": result}
        if rule is not None:  # a delivering hang: the effect happened, the answer is late
            await self._hang(rule.seconds, conn)
        gone = conn is not None and conn.gone()
        self._log_call(method, ctx.chat_id, 499 if gone else status, params, now)
        return status, body

    def _log_call(
        self, method: str, chat_id: int | None, status: int, params: _Params, at: float
    ) -> None:
        self.stats._record(method, chat_id, status)
        if self.calls.maxlen != 0:
            self.calls.append(
                ApiCall(next(self._seq), at, method, chat_id, status, params.loggable())
            )

    async def _hang(self, seconds: float | None, conn: _Conn | None) -> None:
        assert self._stopped is not None
        waits: list[asyncio.Future[Any]] = [self._stopped]
        if conn is not None:
            waits.append(conn.closed)
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)

    def _download(self, token: str, path: str) -> StoredFile | None:
        if self.token is not None and token != self.token:
            return None
        return self._files_by_path.get(path)

    # ----- shared checks -------------------------------------------------------------------

    def _resolve_chat(self, ctx: _Ctx, *, write: bool) -> _Chat:
        raw = ctx.params.get_str("chat_id")
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        if ctx.chat_id is None or ctx.chat_id not in self._chats:
            raise _bad("chat not found")
        chat = self._chats[ctx.chat_id]
        if write:
            if chat.id in self.faults.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if chat.is_private and not chat.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return chat

    def _admit(self, ctx: _Ctx, chat: _Chat, fingerprint: Any) -> None:
        if self._flood is None:
            return
        wait = self._flood.admit(chat.id, chat.is_private, ctx.at)
        if wait > 0:
            self.stats._note_429(fingerprint)
            retry_after = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def _markup(self, params: _Params) -> dict[str, Any] | None:
        markup = params.get_json("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        for row in markup.get("inline_keyboard") or []:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                    raise _bad("BUTTON_DATA_INVALID")
                if set(button) <= {"text"}:
                    raise _bad("text buttons are unallowed in the inline keyboard")
        return markup

    def _text(
        self, params: _Params, name: str, limit: int, *, entities_param: str
    ) -> tuple[str | None, str | None, list[dict[str, Any]]]:
        raw = params.get_str(name)
        if raw is None:
            return None, None, []
        entities = params.get_json(entities_param)
        plain, parsed = render_text(raw, params.get_str("parse_mode"), entities)
        if utf16_len(plain) > limit:
            raise _bad("message is too long" if name == "text" else "message caption is too long")
        return raw, plain, parsed

    def _bot_message(self, ctx: _Ctx, chat: _Chat, **fields: Any) -> ChatMessage:
        reply = ctx.params.get_json("reply_parameters") or {}
        reply_id = reply.get("message_id") or ctx.params.get_int("reply_to_message_id")
        msg = ChatMessage(
            chat_id=chat.id,
            message_id=self._new_message_id(chat),
            from_bot=True,
            sender=self.bot_user,
            chat=chat.api,
            date=int(time.time()),
            sent_at=ctx.at,
            parse_mode=ctx.params.get_str("parse_mode"),
            reply_to=chat.messages.get(int(reply_id)) if reply_id else None,
            **fields,
        )
        chat.messages[msg.message_id] = msg
        return msg

    def _editable(self, ctx: _Ctx, chat: _Chat) -> ChatMessage:
        if ctx.params.get_str("inline_message_id"):
            raise _bad("inline messages are not supported by the emulator")
        message_id = ctx.params.get_int("message_id")
        msg = chat.messages.get(message_id or 0)
        if msg is None or msg.deleted:
            raise _bad("message to edit not found")
        if not msg.from_bot:
            raise _bad("message can't be edited")
        return msg

    def _apply_edit(self, ctx: _Ctx, chat: _Chat, msg: ChatMessage, **changes: Any) -> Any:
        before = (msg.plain, msg.entities, _markup_key(msg.reply_markup))
        after = (
            changes.get("plain", msg.plain),
            changes.get("entities", msg.entities),
            _markup_key(changes.get("reply_markup", msg.reply_markup)),
        )
        if before == after:
            raise _bad(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        for key, value in changes.items():
            setattr(msg, key, value)
        msg.edited_at = ctx.at
        msg.edit_date = int(time.time())
        msg.edit_count += 1
        self._record_sent(ctx, chat, "edit", message=msg)
        return msg.to_api()

    # ----- API methods ---------------------------------------------------------------------

    def _get_me(self, ctx: _Ctx) -> Any:
        return self.bot_user | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _true(self, ctx: _Ctx) -> Any:
        return True

    def _set_webhook(self, ctx: _Ctx) -> Any:
        self.webhook_url = ctx.params.get_str("url") or ""
        if ctx.params.get_bool("drop_pending_updates"):
            self._pending.clear()
        return True

    def _delete_webhook(self, ctx: _Ctx) -> Any:
        self.webhook_url = ""
        if ctx.params.get_bool("drop_pending_updates"):
            self._pending.clear()
        return True

    def _get_webhook_info(self, ctx: _Ctx) -> Any:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    async def _get_updates(self, ctx: _Ctx) -> Any:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        params = ctx.params
        offset = params.get_int("offset")
        limit = min(max(params.get_int("limit") or 100, 1), 100)
        timeout = max(params.get_float("timeout") or 0.0, 0.0)
        allowed = params.get_json("allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) if allowed else None
        if offset is not None:
            if offset < 0:
                while len(self._pending) > -offset:
                    self._pending.popleft()
            else:
                while self._pending and self._pending[0].update_id < offset:
                    self._pending.popleft()

        assert self._loop is not None
        # Telegram lets one getUpdates wait at a time: a newer one ends the older with 409.
        if self._active_poll is not None and not self._active_poll.done():
            self._active_poll.set_result(None)
        mine: asyncio.Future[None] = self._loop.create_future()
        self._active_poll = mine
        deadline = self._loop.time() + timeout
        try:
            while True:
                batch = self._collect(limit)
                remaining = deadline - self._loop.time()
                if batch or remaining <= 0 or (self._stopped is not None and self._stopped.done()):
                    break
                await self._park(self._update_waiters, remaining, mine)
                if ctx.conn is not None and ctx.conn.gone():
                    return []  # cancelled by the client: deliver nothing, so nothing is lost
                if mine.done():
                    raise ApiError(
                        409,
                        "Conflict: terminated by other getUpdates request; make sure that "
                        "only one bot instance is running",
                    )
        finally:
            if self._active_poll is mine:
                self._active_poll = None
        if ctx.conn is not None and ctx.conn.gone():
            return []
        now = time.monotonic()
        for record in batch:
            record.deliveries += 1
            if record.delivered_at is None:
                record.delivered_at = now
                if record.chat_id is not None and record.chat_id in self._chats:
                    self._chats[record.chat_id].awaiting_reply.append(record)
        return [record.payload for record in batch]

    def _collect(self, limit: int) -> list[UpdateRecord]:
        return list(itertools.islice(self._pending, limit))

    def _send_message(self, ctx: _Ctx) -> Any:
        chat = self._resolve_chat(ctx, write=True)
        raw, plain, entities = self._text(ctx.params, "text", _MAX_TEXT, entities_param="entities")
        if raw is None or not (plain or "").strip():
            raise _bad("message text is empty")
        markup = self._markup(ctx.params)
        fingerprint = ("sendMessage", chat.id, raw, _markup_key(markup))
        self._admit(ctx, chat, fingerprint)
        msg = self._bot_message(
            ctx, chat, raw_text=raw, plain=plain, entities=entities, reply_markup=markup
        )
        self.stats._note_delivered(fingerprint)
        self._record_sent(ctx, chat, "message", message=msg)
        return msg.to_api()

    def _send_file(self, ctx: _Ctx, param: str, folder: str) -> Any:
        chat = self._resolve_chat(ctx, write=True)
        source = ctx.params.get_file(param)
        if source is None or source == "":
            raise _bad(f"there is no {param} in the request")
        if isinstance(source, str):
            stored = self._files.get(source)
            if stored is None:
                # Fetching URLs would leave loopback; unknown ids fail as on Telegram.
                raise _bad("wrong file identifier/HTTP URL specified")
            upload = None
        else:
            if len(source.data) > _MAX_UPLOAD:
                raise ApiError(413, "Request Entity Too Large")
            upload, stored = source, None
        raw, plain, entities = self._text(
            ctx.params, "caption", _MAX_CAPTION, entities_param="caption_entities"
        )
        markup = self._markup(ctx.params)
        content = hashlib.sha1(upload.data if upload else (stored.data if stored else b""))
        fingerprint = (ctx.method, chat.id, raw, _markup_key(markup), content.hexdigest())
        self._admit(ctx, chat, fingerprint)
        if upload is not None:
            stored = self._store_file(upload.data, upload.file_name, upload.mime_type, folder)
        assert stored is not None
        msg = self._bot_message(
            ctx,
            chat,
            raw_text=raw,
            plain=plain,
            entities=entities,
            is_caption=raw is not None,
            reply_markup=markup,
            **{"document" if param == "document" else "photo": stored},
        )
        self.stats._note_delivered(fingerprint)
        self._record_sent(ctx, chat, "message", message=msg)
        return msg.to_api()

    def _send_document(self, ctx: _Ctx) -> Any:
        return self._send_file(ctx, "document", "documents")

    def _send_photo(self, ctx: _Ctx) -> Any:
        return self._send_file(ctx, "photo", "photos")

    def _edit_message_text(self, ctx: _Ctx) -> Any:
        chat = self._resolve_chat(ctx, write=True)
        msg = self._editable(ctx, chat)
        raw, plain, entities = self._text(ctx.params, "text", _MAX_TEXT, entities_param="entities")
        if raw is None or not (plain or "").strip():
            raise _bad("message text is empty")
        if msg.is_caption or msg.plain is None:
            raise _bad("there is no text in the message to edit")
        return self._apply_edit(
            ctx,
            chat,
            msg,
            raw_text=raw,
            plain=plain,
            entities=entities,
            parse_mode=ctx.params.get_str("parse_mode"),
            # Telegram drops the inline keyboard when an edit does not resend it.
            reply_markup=self._markup(ctx.params),
        )

    def _edit_message_caption(self, ctx: _Ctx) -> Any:
        chat = self._resolve_chat(ctx, write=True)
        msg = self._editable(ctx, chat)
        if msg.file is None:
            raise _bad("there is no caption in the message to edit")
        raw, plain, entities = self._text(
            ctx.params, "caption", _MAX_CAPTION, entities_param="caption_entities"
        )
        return self._apply_edit(
            ctx,
            chat,
            msg,
            raw_text=raw,
            plain=plain,
            entities=entities,
            is_caption=raw is not None,
            parse_mode=ctx.params.get_str("parse_mode"),
            reply_markup=self._markup(ctx.params),
        )

    def _edit_message_reply_markup(self, ctx: _Ctx) -> Any:
        chat = self._resolve_chat(ctx, write=True)
        msg = self._editable(ctx, chat)
        return self._apply_edit(ctx, chat, msg, reply_markup=self._markup(ctx.params))

    def _delete_message(self, ctx: _Ctx) -> Any:
        chat = self._resolve_chat(ctx, write=True)
        msg = chat.messages.get(ctx.params.get_int("message_id") or 0)
        if msg is None or msg.deleted:
            raise _bad("message to delete not found")
        msg.deleted = True
        self._record_sent(ctx, chat, "delete", message=msg)
        return True

    def _answer_callback_query(self, ctx: _Ctx) -> Any:
        query_id = ctx.params.get_str("callback_query_id") or ""
        query = self._queries.get(query_id)
        if query is None or query.answer is not None:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        text = ctx.params.get_str("text")
        if text is not None and len(text) > _MAX_CALLBACK_ANSWER:
            raise _bad("MESSAGE_TOO_LONG")
        answer = CallbackAnswer(
            query_id=query_id,
            text=text,
            show_alert=ctx.params.get_bool("show_alert"),
            url=ctx.params.get_str("url"),
            at=ctx.at,
        )
        query.answer = answer
        ctx.chat_id = query.chat_id
        self._record_sent(ctx, self._chats.get(query.chat_id), "callback_answer", answer=answer)
        return True

    def _send_chat_action(self, ctx: _Ctx) -> Any:
        chat = self._resolve_chat(ctx, write=True)
        action = ctx.params.get_str("action")
        if not action:
            raise _bad("action is empty")
        self._record_sent(ctx, chat, "action", action=action)
        return True

    @staticmethod
    def _commands_key(params: _Params) -> tuple[str, str]:
        scope = params.get_json("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get_str("language_code") or ""

    def _set_my_commands(self, ctx: _Ctx) -> Any:
        commands = ctx.params.get_json("commands")
        if not isinstance(commands, list):
            raise _bad("commands is empty")
        for command in commands:
            name = str(command.get("command", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name) or not command.get("description"):
                raise _bad("BOT_COMMAND_INVALID")
        self.commands[self._commands_key(ctx.params)] = commands
        return True

    def _get_my_commands(self, ctx: _Ctx) -> Any:
        return self.commands.get(self._commands_key(ctx.params), [])

    def _delete_my_commands(self, ctx: _Ctx) -> Any:
        self.commands.pop(self._commands_key(ctx.params), None)
        return True

    def _set_chat_menu_button(self, ctx: _Ctx) -> Any:
        key = ctx.params.get_int("chat_id")
        if key is not None and key not in self._chats:
            raise _bad("chat not found")
        self.menu_buttons[key] = ctx.params.get_json("menu_button") or {"type": "default"}
        return True

    def _get_chat_menu_button(self, ctx: _Ctx) -> Any:
        key = ctx.params.get_int("chat_id")
        return self.menu_buttons.get(key, self.menu_buttons.get(None, {"type": "default"}))

    def _get_chat(self, ctx: _Ctx) -> Any:
        chat = self._resolve_chat(ctx, write=False)
        return chat.api | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _get_file(self, ctx: _Ctx) -> Any:
        stored = self._files.get(ctx.params.get_str("file_id") or "")
        if stored is None:
            raise _bad("invalid file_id")
        if stored.size > _MAX_BOT_DOWNLOAD:
            raise _bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.file_path,
        }


_HANDLERS: dict[str, str] = {
    "getMe": "_get_me",
    "logOut": "_true",
    "close": "_true",
    "setWebhook": "_set_webhook",
    "deleteWebhook": "_delete_webhook",
    "getWebhookInfo": "_get_webhook_info",
    "getUpdates": "_get_updates",
    "sendMessage": "_send_message",
    "sendDocument": "_send_document",
    "sendPhoto": "_send_photo",
    "editMessageText": "_edit_message_text",
    "editMessageCaption": "_edit_message_caption",
    "editMessageReplyMarkup": "_edit_message_reply_markup",
    "deleteMessage": "_delete_message",
    "answerCallbackQuery": "_answer_callback_query",
    "sendChatAction": "_send_chat_action",
    "setMyCommands": "_set_my_commands",
    "getMyCommands": "_get_my_commands",
    "deleteMyCommands": "_delete_my_commands",
    "setChatMenuButton": "_set_chat_menu_button",
    "getChatMenuButton": "_get_chat_menu_button",
    "getChat": "_get_chat",
    "getFile": "_get_file",
}
# Bot API method names are case-insensitive.
_METHOD_BY_LOWER: dict[str, str] = {name.lower(): name for name in _HANDLERS}
SUPPORTED_METHODS: frozenset[str] = frozenset(_HANDLERS)

_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")


def _command_entities(text: str | None) -> list[dict[str, Any]]:
    """bot_command entities as Telegram adds them to a user's text (``/start CODE`` -> 0..6)."""
    if not text:
        return []
    out: list[dict[str, Any]] = []
    for match in _COMMAND_RE.finditer(text):
        offset = utf16_len(text[: match.start()])
        out.append({"type": "bot_command", "offset": offset, "length": utf16_len(match.group())})
    return out


# --------------------------------------------------------------------------------------------
# HTTP layer.
# --------------------------------------------------------------------------------------------


def _read_params(request: tornado.httputil.HTTPServerRequest) -> _Params:
    values: dict[str, Any] = {
        k: v[-1].decode("utf-8", "replace") for k, v in request.query_arguments.items()
    }
    content_type = request.headers.get("Content-Type", "")
    if content_type.startswith("application/json"):
        if request.body.strip():
            body = json.loads(request.body)
            if not isinstance(body, dict):
                raise ValueError("JSON body must be an object")
            values.update(body)
    else:
        # tornado has already parsed form-urlencoded and multipart bodies for us.
        values.update({k: v[-1].decode("utf-8") for k, v in request.body_arguments.items()})
    files = {
        name: _Upload(parts[-1].body, parts[-1].filename or None, parts[-1].content_type or None)
        for name, parts in request.files.items()
    }
    return _Params(values, files)


class _JsonHandler(tornado.web.RequestHandler):
    def prepare(self) -> None:
        self._closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        stream = getattr(self.request.connection, "stream", None)
        self._conn = _Conn(self._closed, getattr(stream, "socket", None))

    def on_connection_close(self) -> None:
        if not self._closed.done():
            self._closed.set_result(None)

    def reply(self, status: int, body: dict[str, Any]) -> None:
        if self._conn.gone():
            return  # the client gave up (timeout, cancelled long poll): nobody to answer
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        with contextlib.suppress(tornado.iostream.StreamClosedError):
            self.finish(json.dumps(body, ensure_ascii=False))


class _ApiHandler(_JsonHandler):
    def initialize(self, emulator: TelegramEmulator) -> None:
        self.emulator = emulator

    async def post(self, token: str, method: str) -> None:
        try:
            params = _read_params(self.request)
        except (ValueError, UnicodeDecodeError):
            self.reply(400, _bad("can't parse request body").body())
            return
        try:
            status, body = await self.emulator._handle(token, method, params, self._conn)
        except Exception:
            _LOGGER.exception("emulator failed on %s", method)
            status, body = 500, ApiError(500, "Internal Server Error: emulator bug").body()
        self.reply(status, body)

    get = post


class _FileHandler(_JsonHandler):
    def initialize(self, emulator: TelegramEmulator) -> None:
        self.emulator = emulator

    def get(self, token: str, path: str) -> None:
        stored = self.emulator._download(token, path)
        if stored is None:
            self.reply(404, ApiError(404, "Not Found").body())
            return
        self.set_header("Content-Type", stored.mime_type or "application/octet-stream")
        self.finish(stored.data)


class _NotFoundHandler(_JsonHandler):
    def get(self) -> None:
        self.reply(404, ApiError(404, "Not Found").body())

    post = get


# --------------------------------------------------------------------------------------------
# Background-thread runner.
# --------------------------------------------------------------------------------------------


class EmulatorThread:
    """Runs a :class:`TelegramEmulator` in a daemon thread with its own event loop.

    ``with TelegramEmulator().start_in_thread() as runner: ...`` or ``start()``/``stop()``.
    Client calls from other threads hop onto the emulator loop by themselves.
    """

    def __init__(self, emulator: TelegramEmulator) -> None:
        self.emulator = emulator
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self, timeout: float = 10.0) -> TelegramEmulator:
        self._thread = threading.Thread(target=self._main, name="telegram-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("emulator thread did not start")
        if self._error is not None:
            raise self._error
        return self.emulator

    def _main(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        try:
            await self.emulator.start()
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop_event.wait()
        finally:
            await self.emulator.stop()

    def run(self, coro: Awaitable[T], timeout: float | None = None) -> T:
        """Run a coroutine on the emulator loop and block until it finishes."""
        assert self._loop is not None

        async def wrapper() -> T:
            return await coro

        return asyncio.run_coroutine_threadsafe(wrapper(), self._loop).result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        if self._thread is None:
            return
        if self._loop is not None and self._stop_event is not None:
            self._loop.call_soon_threadsafe(self._stop_event.set)
        self._thread.join(timeout)
        self._thread = None

    def __enter__(self) -> EmulatorThread:
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
