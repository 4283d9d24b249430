"""Reading a file mlgate does not control: a regular file only, and never a blocking open.

A training can leave a FIFO where a metrics file should be (`mkfifo metrics.json`): opening it
for reading waits for a writer that never comes. A device file reads forever. So a file is opened
with `O_NONBLOCK` (which returns at once for a FIFO), checked to be a regular file on the open
descriptor (no race with a rename), and only then read, with blocking reads restored.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


class NotRegular(OSError):
    """The file cannot be read as a regular file; `why` says so in words."""

    def __init__(self, path: Path | str, why: str) -> None:
        super().__init__(f"{path}: {why}")
        self.why = why


def read_regular(path: Path | str, limit: int | None = None, *, follow: bool = True) -> bytes:
    """The bytes of `path`, a regular file (with `follow=False`, not a symlink either) of at
    most `limit` bytes; NotRegular otherwise."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:
            raise NotRegular(path, "cannot read (is a symlink)") from exc
        raise NotRegular(path, f"cannot read ({exc.strerror or exc})") from exc
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegular(path, f"not a regular file (a {_kind(info.st_mode)})")
        if limit is not None and info.st_size > limit:
            raise NotRegular(path, f"{info.st_size} bytes, over the {limit} byte limit")
        os.set_blocking(fd, True)
        data = fh.read() if limit is None else fh.read(limit + 1)
    if limit is not None and len(data) > limit:  # it grew while being read
        raise NotRegular(path, f"more than {limit} bytes, over the limit")
    return data


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"
