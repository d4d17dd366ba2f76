"""What ``sectool traffic ingest`` is given, as the list of files to read.

A sensor writes folders, not single files: ``/var/log/zeek/2026-12-07/`` holds one log per type,
rotated and compressed under Zeek's archive names (``conn.09:00:00-10:00:00.log.gz``), and
Suricata writes ``eve.json`` with its rotations (``eve.json.1``, ``eve-2026-12-07.json.gz``). So an
input may be:

* a file: read as it is (its format sniffed from the content);
* a folder: every regular file below it, recursively, in name order; hidden files and folders
  (``.state``, ``.git``) are left out, and a file whose content is no format sectool reads (a
  README, Zeek's ``loaded_scripts``-style text, an empty rotation) is skipped with one counted note
  instead of stopping the run, because a sensor's folder holds such files by design;
* a glob pattern (``/var/log/zeek/*/conn.*.log.gz``, ``**`` for any depth), for shells that do not
  expand it (cron, playbooks): the files it matches, in name order.

An input that names nothing (a missing file, a pattern that matches no file, an empty folder) is a
usage error naming it.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sectool.errors import InputError

__all__ = ["InputFile", "expand_inputs"]

_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class InputFile:
    """One file to read; ``from_folder`` when a folder (or pattern) named it, so that a file of
    no known format is skipped with a note rather than failing the run."""

    path: Path
    from_folder: bool = False


@dataclass
class _Seen:
    paths: set[Path] = field(default_factory=set)
    out: list[InputFile] = field(default_factory=list)

    def add(self, path: Path, from_folder: bool) -> None:
        key = path.resolve()
        if key not in self.paths:  # a file named twice (a folder and a pattern) is read once
            self.paths.add(key)
            self.out.append(InputFile(path, from_folder))


def _folder_files(folder: Path) -> Iterable[Path]:
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_file():
            yield path


def _kind(path: Path) -> str | None:
    """``file``, ``dir`` or ``None`` (nothing there); an OS error (a name too long, a folder
    without search permission) is an :class:`InputError` naming the input."""
    try:
        if path.is_file():
            return "file"
        return "dir" if path.is_dir() else None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", file=path) from None


def expand_inputs(inputs: Sequence[Path | str]) -> list[InputFile]:
    """The files that ``inputs`` (files, folders, glob patterns) name, each once, in order.

    Raises:
        InputError: an input that names no file.
    """
    seen = _Seen()
    for raw in inputs:
        path = Path(raw)
        kind = _kind(path)
        if kind == "file":
            seen.add(path, False)
        elif kind == "dir":
            files = list(_folder_files(path))
            if not files:
                raise InputError("folder holds no files", file=path)
            for item in files:
                seen.add(item, True)
        elif _GLOB_CHARS & set(str(raw)):
            matches = sorted(Path(m) for m in glob.glob(str(raw), recursive=True))
            files = [m for m in matches if m.is_file()]
            for folder in (m for m in matches if m.is_dir()):
                files += _folder_files(folder)
            if not files:
                raise InputError("no file matches the pattern", file=path)
            for item in files:
                seen.add(item, True)
        else:
            raise InputError("input file not found", file=path)
    return seen.out
