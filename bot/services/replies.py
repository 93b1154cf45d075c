"""What a service wants said: texts (already rendered from templates), buttons, documents.

Handlers turn these into Telegram calls; services never touch Telegram.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Telegram's limits (telegram.constants.MessageLimit); kept here so services can plan for them.
MAX_TEXT = 4096
MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True)
class Button:
    label: str
    data: str

    def __post_init__(self) -> None:
        if len(self.data.encode("utf-8")) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data too long: {self.data!r}")


@dataclass(frozen=True)
class Document:
    filename: str
    data: bytes
    caption: str = ""
    # Personal content: Telegram then blocks forwarding and saving (protect_content).
    protect: bool = True


@dataclass(frozen=True)
class Reply:
    text: str = ""
    buttons: tuple[tuple[Button, ...], ...] = ()
    document: Document | None = None
    # For a button press: replace the pressed message's text and drop its keyboard, so the
    # chat reads as a filled-in form and old keyboards cannot be tapped again.
    edit: bool = False
    # Another person's private chat (a request to the secretary of another cell), instead of
    # the chat the update came from. Best effort: the request also waits in their /cell.
    chat_id: int | None = None


@dataclass
class Outcome:
    """The replies to one update, and a short toast for a button press."""

    replies: list[Reply] = field(default_factory=list)
    toast: str = ""
    alert: bool = False

    def say(self, text: str, *rows: tuple[Button, ...], edit: bool = False) -> Outcome:
        self.replies.append(Reply(text=text, buttons=tuple(rows), edit=edit))
        return self

    def notify(self, chat_id: int, text: str, *rows: tuple[Button, ...]) -> Outcome:
        """A message to another person's chat (see `Reply.chat_id`)."""
        self.replies.append(Reply(text=text, buttons=tuple(rows), chat_id=chat_id))
        return self

    def send_document(self, doc: Document) -> Outcome:
        self.replies.append(Reply(document=doc))
        return self


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split a long message at paragraph or line boundaries, never inside a line if avoidable."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single over-long line: cut at a space near the limit
            cut = line.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts
