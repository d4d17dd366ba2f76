"""One run per playbook at a time: a non-blocking ``flock`` on a lock file per playbook name.

The kernel releases the lock when the process ends, however it ends (crash, kill -9),
so a stale lock file never blocks the next run; the file itself is left in place.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sectool.errors import SectoolError

__all__ = ["LockHeld", "playbook_lock"]


class LockHeld(SectoolError):
    """Another run of the same playbook holds the lock (exit code 1)."""


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 64).decode("ascii", "replace").strip()
        if text.isdigit():
            return f"pid {text}"
    return "another process"


@contextlib.contextmanager
def playbook_lock(lock_dir: Path, name: str) -> Iterator[Path]:
    """Hold ``<lock_dir>/<name>.lock`` for the duration of the block.

    Raises:
        LockHeld: the lock is held by another run; nothing has been done.
    """
    lock_dir.mkdir(parents=True, exist_ok=True)
    path = lock_dir / f"{name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(
                f"playbook '{name}' is already running ({_holder(fd)}; lock file {path}); not started"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield path
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
