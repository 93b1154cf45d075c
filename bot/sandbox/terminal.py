"""`kiemdiem sandbox`: the whole bot offline, in a terminal.

The emulator, the real bot against it with a throwaway SQLite database, a demo organisation of
two cells, and a chat in the terminal where the user plays any member or a secretary: typed
lines go to the bot as that person's messages, `#N` presses button N of the last keyboard,
`:as N` switches person, `:file PATH` sends a file. Documents the bot sends are saved to a
folder. Nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.sandbox import TelegramEmulator
from bot.sandbox.client import SimUser
from bot.sandbox.demo import make_org, member_line, vietnamese_names
from bot.sandbox.emulator import ChatMessage
from bot.sandbox.scripted import bot
from bot.services.invites import InviteService
from bot.services.org import OrgService
from bot.storage.db import Database, upgrade
from bot.texts import render_text


@dataclass
class Person:
    number: int
    name: str
    cell: str
    role: str
    user: SimUser


async def build_demo(emu: TelegramEmulator, db_url: str, year: int) -> list[Person]:
    """Two cells with sample members, both secretaries, everyone linked to a simulated account."""
    db = Database(db_url)
    names = vietnamese_names(11, seed=year)
    east = [
        member_line(names[0], post="Bí thư chi bộ", kind="lãnh đạo, quản lý", civil_servant=True)
    ]
    east += [member_line(n) for n in names[1:5]]
    east.append(member_line(names[5], kind="ngoài hệ thống chính trị", admitted="03/02/1980"))
    west = [member_line(names[6], post="Bí thư chi bộ")] + [member_line(n) for n in names[7:]]
    org = make_org(db, east, other_lines=west, year=year, plan={})
    people: list[Person] = []
    invites = InviteService(db)
    for cell_id, cell in (
        (org.cell_id, "Chi bộ thôn Đông"),
        (org.other_cell_id, "Chi bộ thôn Tây"),
    ):
        lines = invites.for_cell(cell_id)
        lines.sort(key=lambda x: x.full_name not in (names[0], names[6]))  # secretary first
        for i, line in enumerate(lines):
            role = "secretary" if line.full_name in (names[0], names[6]) else "member"
            if role == "secretary":
                OrgService(db).grant_role(line.member_id, "secretary")
            user = emu.user(800000 + line.member_id, line.full_name.split()[-1])
            people.append(Person(len(people) + 1, line.full_name, cell, role, user))
            # everyone but the last member of each cell arrives through their invite link
            if i < 4:
                invites.redeem(line.code, user.user_id, user.user_id)
            else:
                people[-1].role = f"member:{line.code}"
    db.dispose()
    return people


class Terminal:
    def __init__(self, emu: TelegramEmulator, people: list[Person], files: Path) -> None:
        self.emu = emu
        self.people = people
        self.files = files
        self.current = people[0]
        self.shown: dict[tuple[int, int], int] = {}  # (chat, message) -> edit count shown
        self.keyboard: ChatMessage | None = None
        self.saved: set[str] = set()

    def out(self, text: str) -> None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()

    async def settle(self, quiet: float = 0.35, limit: float = 10.0) -> None:
        """Wait until the bot has been quiet for a moment, then show what is new."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        last = -1
        while loop.time() - start < limit:
            count = sum(m.edit_count + 1 for m in self.current.user.messages())
            if count == last:
                break
            last = count
            await asyncio.sleep(quiet)
        self.show()

    def show(self) -> None:
        user = self.current.user
        for msg in user.messages():
            if not msg.from_bot:
                continue
            key = (msg.chat_id, msg.message_id)
            if key in self.shown and self.shown[key] == msg.edit_count:
                continue
            edited = key in self.shown
            self.shown[key] = msg.edit_count
            if msg.document is not None or msg.photo is not None:
                stored = msg.document or msg.photo
                assert stored is not None
                name = stored.file_name or f"file-{msg.message_id}"
                path = self.files / name
                path.write_bytes(stored.data)
                self.out(
                    render_text("sandbox/document.j2", path=str(path), caption=msg.caption or "")
                )
                continue
            buttons = [label for row in msg.buttons for label in row]
            if buttons:
                self.keyboard = msg
            self.out(
                render_text(
                    "sandbox/message.j2",
                    text=msg.text or "",
                    edited=edited,
                    buttons=list(enumerate(buttons, start=1)),
                )
            )

    def people_list(self) -> str:
        return render_text("sandbox/people.j2", people=self.people, current=self.current)

    async def handle(self, line: str) -> bool:
        line = line.rstrip("\n")
        if not line.strip():
            return True
        if line in (":q", ":quit", ":thoat"):
            return False
        if line in (":help", ":h", ":?"):
            self.out(render_text("sandbox/help.j2"))
            return True
        if line in (":who", ":ai"):
            self.out(self.people_list())
            return True
        if line.startswith(":as "):
            arg = line[4:].strip()
            match = [p for p in self.people if str(p.number) == arg]
            if not match:
                self.out(render_text("sandbox/unknown_person.j2", arg=arg))
                return True
            self.current = match[0]
            self.keyboard = None
            self.out(render_text("sandbox/switched.j2", person=self.current))
            self.show()
            return True
        if line.startswith(":file "):
            path = Path(line[6:].strip()).expanduser()
            if not path.is_file():
                self.out(render_text("sandbox/no_file.j2", path=str(path)))
                return True
            await self.current.user.upload(path.read_bytes(), path.name)
            await self.settle()
            return True
        if line.startswith("#") and line[1:].strip().isdigit():
            n = int(line[1:].strip())
            msg = self.keyboard
            buttons = [b for row in (msg.keyboard if msg else []) for b in row]
            if msg is None or not 1 <= n <= len(buttons):
                self.out(render_text("sandbox/no_button.j2", n=n))
                return True
            try:
                answer = await self.current.user.click_data(buttons[n - 1].callback_data or "", msg)
            except TimeoutError:
                self.out(render_text("sandbox/no_answer.j2"))
            else:
                if answer is not None and answer.text:
                    self.out(render_text("sandbox/toast.j2", text=answer.text))
            await self.settle()
            return True
        self.current.user.send(line)
        await self.settle()
        return True


async def run(files: Path, year: int) -> None:
    from bot.storage import crypto

    try:
        crypto.keyring()
    except crypto.DataKeysError:
        crypto.use_ephemeral_key()  # throwaway data in a temporary database: a throwaway key
    tmp = Path(tempfile.mkdtemp(prefix="kiemdiem-sandbox-"))
    db_url = f"sqlite:///{tmp / 'sandbox.db'}"
    upgrade(db_url)
    files.mkdir(parents=True, exist_ok=True)
    async with TelegramEmulator() as emu:
        people = await build_demo(emu, db_url, year)
        async with bot(emu, db_url):
            term = Terminal(emu, people, files)
            term.out(render_text("sandbox/welcome.j2", files=str(files.resolve()), db=str(tmp)))
            term.out(term.people_list())
            while True:
                sys.stdout.write(render_text("sandbox/prompt.j2", person=term.current) + " ")
                sys.stdout.flush()
                line = await asyncio.to_thread(sys.stdin.readline)
                if not line:
                    break
                if not await term.handle(line):
                    break
    term.out(render_text("sandbox/bye.j2"))


def main(files: Path | None = None, year: int | None = None) -> None:
    asyncio.run(run(files or Path("sandbox-files"), year or date.today().year))
