"""Write a built report to a directory as one set: JSON, and HTML, Markdown and PDF per language.

Every file is rendered in memory first; nothing is written when a rendering fails. The set
is then written into a temporary sibling directory and swapped into place with renames, so a
failure (disk full, permissions) leaves the previous report untouched: ``previous: auto`` of
the next period never reads a ``report.json`` that belongs to a half-written set.

The PDF needs an engine (WeasyPrint with Pango, or Chromium). When none is installed the PDF
is skipped with a warning naming what to install, unless the caller requires it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from sectool.errors import InputError
from sectool.fileio import atomic_write_bytes
from sectool.report.i18n import Lang
from sectool.report.numbers import Report
from sectool.report.previous import REPORT_JSON
from sectool.report.render_html import render_html
from sectool.report.render_md import render_markdown

__all__ = ["FORMATS", "Format", "render_files", "report_json", "write_files", "write_report"]

Format = Literal["html", "md", "pdf"]
FORMATS: tuple[Format, ...] = ("html", "md", "pdf")

#: Names that belong to a report set (anything else in the output directory is the user's).
_REPORT_FILE = re.compile(r"^report\.(json|[a-z]{2}\.(html|md|pdf))$")


def report_json(report: Report) -> str:
    """The JSON text of a report (stable key order, UTF-8, trailing newline)."""
    return json.dumps(report.to_json_dict(), ensure_ascii=False, indent=2) + "\n"


def render_files(
    report: Report,
    *,
    langs: Sequence[Lang] = ("da", "en"),
    formats: Sequence[Format] = FORMATS,
    pdf_required: bool = False,
    warn: Callable[[str], None] | None = None,
) -> dict[str, bytes]:
    """Every file of the report set as ``{file name: bytes}`` (nothing is written).

    Raises:
        InputError: ``pdf_required`` and no PDF engine is installed (the message names what to install).
    """
    files: dict[str, bytes] = {}
    pdf_missing: str | None = None
    for lang in langs:
        if "html" in formats:
            files[f"report.{lang}.html"] = render_html(report, lang).encode("utf-8")
        if "md" in formats:
            files[f"report.{lang}.md"] = render_markdown(report, lang).encode("utf-8")
        if "pdf" in formats and pdf_missing is None:
            from sectool.report.render_pdf import PdfEngineMissing, render_pdf

            try:
                files[f"report.{lang}.pdf"] = render_pdf(report, lang)
            except PdfEngineMissing as exc:
                if pdf_required:
                    raise InputError(str(exc), field="--format", value="pdf") from None
                pdf_missing = str(exc)
    if pdf_missing is not None and warn is not None:
        warn(f"PDF skipped: {pdf_missing}")
    files[REPORT_JSON] = report_json(report).encode("utf-8")
    return files


def _cannot_write(path: Path, exc: OSError, field: str) -> InputError:
    reason = exc.strerror or type(exc).__name__
    return InputError(f"cannot write the report: {reason}", file=path, field=field)


def _holds_cwd(directory: Path) -> bool:
    """Renaming the working directory (or a parent of it) away would strand the caller's shell."""
    cwd = Path.cwd()
    return cwd == directory or directory in cwd.parents


def write_files(files: dict[str, bytes], out_dir: str | Path, *, field: str = "--out") -> list[Path]:
    """Write a rendered report set into ``out_dir``, replacing the previous set as a whole.

    When ``out_dir`` holds nothing but report files (or does not exist), the new set is written
    into a temporary sibling directory which then takes the place of ``out_dir`` (two renames;
    the old set is removed afterwards). When the directory also holds other files, these are
    left alone: the new files are renamed in one by one from the temporary directory,
    ``report.json`` last, and report files of the old set that the new one lacks are removed.

    Raises:
        InputError: the directory cannot be created or written (names the path; exit code 2).
    """
    out = Path(os.path.abspath(out_dir))  # "." and ".." have no name to rename
    if out.exists() and not out.is_dir():
        raise InputError("not a directory", file=out, field=field)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot_write(out.parent, exc, field) from None
    tag = f"{os.getpid()}-{secrets.token_hex(4)}"
    tmp = out.parent / f".{out.name}.new-{tag}"
    try:
        tmp.mkdir()
        for name, data in files.items():
            atomic_write_bytes(tmp / name, data)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _cannot_write(tmp if tmp.exists() else out.parent, exc, field) from None
    try:
        if not out.exists():
            tmp.rename(out)
        elif all(_REPORT_FILE.match(p.name) for p in out.iterdir()) and not _holds_cwd(out):
            old = out.parent / f".{out.name}.old-{tag}"
            shutil.copymode(out, tmp)
            out.rename(old)
            try:
                tmp.rename(out)
            except OSError:
                old.rename(out)  # put the previous set back
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            # Shared directory: rename file by file, the JSON (what the next period reads) last.
            names = sorted(files, key=lambda n: n == REPORT_JSON)
            for name in names:
                (tmp / name).replace(out / name)
            for stale in out.iterdir():
                if _REPORT_FILE.match(stale.name) and stale.name not in files:
                    stale.unlink()
            tmp.rmdir()
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _cannot_write(out, exc, field) from None
    return [out / name for name in files]


def write_report(
    report: Report,
    out_dir: str | Path,
    *,
    langs: Sequence[Lang] = ("da", "en"),
    formats: Sequence[Format] = FORMATS,
    pdf_required: bool = False,
    warn: Callable[[str], None] | None = None,
    field: str = "--out",
) -> list[Path]:
    """Render and write ``report.json`` and ``report.<lang>.<html|md|pdf>``; return the paths written.

    Args:
        pdf_required: fail (``InputError``) instead of skipping the PDF when no PDF engine exists.
        warn: receives the warning when the PDF is skipped.
        field: the option or key named in write errors (``--out``, ``out``).
    """
    files = render_files(report, langs=langs, formats=formats, pdf_required=pdf_required, warn=warn)
    return write_files(files, out_dir, field=field)
