"""PDF copies of the Word and Excel documents, through LibreOffice headless, and PNG pages of a
PDF (poppler's `pdftoppm`) for tests and for looking at a layout.

Owns the conversion only. Lessons from reference/telegram-and-stack.md §6, all verified:
- soffice processes sharing one user profile silently fail (rc=1, nothing printed), so every
  conversion gets its own `-env:UserInstallation` profile;
- converting `a.docx` and `a.xlsx` into one directory overwrites `a.pdf`, so every job gets its
  own temporary directory;
- a non-zero return code and a missing output file are both failures; we check both.
The conversion runs in a subprocess off the event loop with a timeout; on timeout the whole
process group is killed, because soffice leaves a `soffice.bin` child behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


class PdfConversionError(RuntimeError):
    """LibreOffice is installed but did not produce the PDF."""


def soffice_path() -> str | None:
    return shutil.which("soffice")


def _command(soffice: str, profile: Path, outdir: Path, source: Path) -> list[str]:
    return [
        soffice,
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
        "--convert-to", "pdf", "--outdir", str(outdir), str(source),
    ]


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):  # it may have exited meanwhile
        os.killpg(proc.pid, signal.SIGKILL)


async def to_pdf(docx_or_xlsx: bytes, suffix: str, timeout: float = 60) -> bytes | None:
    """The PDF of a .docx / .xlsx (`suffix` such as ".docx"), or None when LibreOffice is not
    installed. Raises `PdfConversionError` when it is installed and fails or times out."""
    if not _SUFFIX.match(suffix):
        raise ValueError(f"bad file suffix {suffix!r}")
    soffice = soffice_path()
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory(prefix="kiemdiem-pdf-") as tmp:
        work = Path(tmp)
        source = work / f"document{suffix}"
        source.write_bytes(docx_or_xlsx)
        outdir = work / "out"
        outdir.mkdir()
        env = dict(os.environ, HOME=str(work))  # LO writes caches under $HOME too
        proc = await asyncio.create_subprocess_exec(
            *_command(soffice, work / "profile", outdir, source),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            start_new_session=True,  # its own process group, so a timeout kills soffice.bin too
        )
        try:
            stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout)
        except TimeoutError:
            _kill_group(proc)
            await proc.wait()
            raise PdfConversionError(f"soffice did not finish within {timeout:g} s") from None
        except asyncio.CancelledError:
            _kill_group(proc)
            raise
        pdf = outdir / "document.pdf"
        if proc.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
            detail = (stderr or stdout).decode("utf-8", "replace").strip()[-500:]
            raise PdfConversionError(
                f"soffice exited with {proc.returncode}, pdf present: {pdf.is_file()}; {detail}")
        return pdf.read_bytes()


def to_pdf_sync(docx_or_xlsx: bytes, suffix: str, timeout: float = 60) -> bytes | None:
    """`to_pdf` for the CLI and scripts (never call it from inside a running event loop)."""
    return asyncio.run(to_pdf(docx_or_xlsx, suffix, timeout))


def pdf_to_pngs(pdf: bytes, out_dir: Path | str, *, resolution: int = 80,
                prefix: str = "page") -> list[Path]:
    """One PNG per page (`<prefix>-1.png`, …) in `out_dir`, in page order."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise FileNotFoundError("pdftoppm is not installed (Debian: poppler-utils)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".pdf") as src:
        src.write(pdf)
        src.flush()
        subprocess.run([pdftoppm, "-r", str(resolution), "-png", src.name, str(out / prefix)],
                       check=True, capture_output=True, timeout=120)
    pages = out.glob(f"{glob.escape(prefix)}-*.png")
    return sorted(pages, key=lambda p: int(p.stem.rsplit("-", 1)[1]))
