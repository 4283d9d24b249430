"""The report directory: the only place mlgate writes, and never through a symbolic link.

A pull request may commit `mlgate-report/report.md -> ../.git/config` (or a symlinked `plots/`
or `report.html`) to make mlgate write where it points. So:

- mlgate writes only into a directory it created, an empty one, or one holding an earlier
  mlgate report (recognized by the marker file `MARKER` it writes first); it never empties a
  directory it did not create;
- `prepare()` refuses a report directory that is a symlink, a file, or holds a symlink anywhere;
- `write_bytes()` walks the path one component at a time from a file descriptor of the report
  directory (`O_NOFOLLOW | O_DIRECTORY`), refuses a symlink at any step, and creates the file
  with `O_CREAT | O_EXCL | O_NOFOLLOW` under a temporary name before renaming it into place.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
import uuid
from pathlib import Path, PurePosixPath

from mlgate.errors import InputError, WriteError

MARKER = ".mlgate-report"
GITIGNORE = b"# created by mlgate: nothing here belongs in git\n*\n"
_MARKER_TEXT = b"This directory holds an mlgate report; mlgate may overwrite the files it wrote.\n"
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class UnsafePathError(InputError):
    """A write would go through a symlink or outside the report directory."""


def _refuse(shown: str | Path, why: str) -> UnsafePathError:
    return UnsafePathError(
        f"{shown}: {why}; mlgate writes only into its own report directory and never through a "
        "symbolic link (remove it, or choose another --out / `report-dir`)"
    )


def _check_components(root: Path, out_dir: Path) -> None:
    """Each existing component from `root` down to `out_dir` is a real directory (no symlink)."""
    try:
        rel = out_dir.relative_to(root)
    except ValueError:
        rel = None
    if rel is None:  # an absolute report dir given by the user: only its own entry is checked
        steps = [out_dir]
    else:
        steps = [root.joinpath(*rel.parts[: i + 1]) for i in range(len(rel.parts))]
    for step in steps:
        try:
            st = step.lstat()
        except FileNotFoundError:
            return
        if stat.S_ISLNK(st.st_mode):
            raise _refuse(step, "is a symbolic link")
        if not stat.S_ISDIR(st.st_mode):
            what = "the report directory" if step == out_dir else "a part of the report directory"
            raise InputError(
                f"{step}: exists and is not a directory, so it cannot be {what} "
                "(choose another --out / `report-dir`)"
            )


def _symlink_inside(out_dir: Path) -> Path | None:
    for dirpath, dirnames, filenames in os.walk(out_dir, followlinks=False):
        for name in [*dirnames, *filenames]:
            if Path(dirpath, name).is_symlink():
                return Path(dirpath, name)
    return None


# errors of the machine, not of the chosen directory: exit 3
_ENVIRONMENT = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.EMFILE, errno.ENFILE}


def write_error(path: Path | str, exc: OSError) -> WriteError:
    """One line for an OSError while writing `path`: what failed and what to do."""
    why = exc.strerror or str(exc)
    if exc.errno in _ENVIRONMENT:
        return WriteError(
            f"{path}: cannot write the report ({why}); free space on the runner's disk",
            environment=True,
        )
    return WriteError(
        f"{path}: cannot write the report ({why}); choose a writable --out / `report-dir`",
        environment=False,
    )


def fallback(out_dir: Path, exc: WriteError) -> Path:
    """A fresh private directory for the report when `out_dir` cannot be written, so the run
    can still publish its verdict; WriteError if none can be made either."""
    try:
        return prepare(Path(tempfile.mkdtemp(prefix="mlgate-report-")))
    except (OSError, WriteError) as again:
        raise exc from again


def prepare(out_dir: Path, *, root: Path | None = None) -> Path:
    """Make `out_dir` ready for mlgate's files, or raise a one-line InputError (exit 2) or
    WriteError (exit 2 or 3)."""
    try:
        return _prepare(out_dir, root)
    except OSError as exc:
        raise write_error(out_dir, exc) from exc


def _prepare(out_dir: Path, root: Path | None) -> Path:
    _check_components(root or out_dir.parent, out_dir)
    if out_dir.is_dir():
        marked = (out_dir / MARKER).is_file() and not (out_dir / MARKER).is_symlink()
        if not marked and any(out_dir.iterdir()):
            raise InputError(
                f"{out_dir}: directory exists, is not empty and holds no earlier mlgate report "
                f"(no {MARKER} file); mlgate will not write into it: choose another --out / "
                "`report-dir` or remove it"
            )
        link = _symlink_inside(out_dir)
        if link is not None:
            raise _refuse(link, "is a symbolic link inside the report directory")
    else:
        out_dir.mkdir(parents=True, exist_ok=True)
    write_bytes(out_dir, MARKER, _MARKER_TEXT)
    ignore_all(out_dir)
    return out_dir


def ignore_all(directory: Path) -> None:
    """Put a `.gitignore` of `*` in a directory mlgate writes, as pytest and ruff do for their
    caches, so `git add -A` does not commit it. An existing `.gitignore` is left as it is, a
    symbolic link is never followed, and a directory that cannot take one is left without."""
    try:
        fd = os.open(directory, _DIR_FLAGS)
    except OSError:
        return
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        out = os.open(".gitignore", flags, 0o666, dir_fd=fd)
        with os.fdopen(out, "wb") as fh:
            fh.write(GITIGNORE)
    except OSError:  # FileExistsError (theirs or ours), a read-only directory: nothing to add
        pass
    finally:
        os.close(fd)


def _parts(rel: str) -> list[str]:
    path = PurePosixPath(rel)
    if path.is_absolute() or not path.parts or any(p in ("..", ".", "") for p in path.parts):
        raise _refuse(rel, "is not a plain relative path inside the report directory")
    if any("\x00" in p or "\\" in p for p in path.parts):
        raise _refuse(rel, "is not a plain relative path inside the report directory")
    return list(path.parts)


def write_bytes(out_dir: Path, rel: str, data: bytes) -> Path:
    """Write `data` to `out_dir/rel` (a relative POSIX path, e.g. `plots/x.png`), creating its
    directories; refuses (UnsafePathError, exit 2) a symlink at the report directory, at any
    directory on the way, or at the file itself. A write that fails is a WriteError."""
    try:
        return _write_bytes(out_dir, rel, data)
    except OSError as exc:
        raise write_error(out_dir / rel, exc) from exc


def _write_bytes(out_dir: Path, rel: str, data: bytes) -> Path:
    parts = _parts(rel)
    shown = out_dir / rel
    try:
        fd = os.open(out_dir, _DIR_FLAGS)
    except OSError as exc:
        raise _refuse(out_dir, f"cannot be opened as a real directory ({exc.strerror})") from exc
    try:
        for part in parts[:-1]:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o777, dir_fd=fd)
            try:
                sub = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:  # ELOOP/ENOTDIR: a symlink or a file where a directory goes
                raise _refuse(shown, f"{part!r} is a symbolic link or not a directory") from exc
            os.close(fd)
            fd = sub
        name = parts[-1]
        try:
            st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            st = None
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise _refuse(shown, "is a symbolic link or not a regular file")
        tmp = f".{name}.{uuid.uuid4().hex[:12]}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        out = os.open(tmp, flags, 0o666, dir_fd=fd)
        try:
            with os.fdopen(out, "wb") as fh:
                fh.write(data)
            # rename replaces a directory entry; it never follows a symlink at the target
            os.rename(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            os.unlink(tmp, dir_fd=fd)
            raise
    finally:
        os.close(fd)
    return shown


def write_text(out_dir: Path, rel: str, text: str) -> Path:
    return write_bytes(out_dir, rel, text.encode("utf-8"))


def is_report_dir(path: Path) -> bool:
    """A directory holding mlgate's marker (not through a symlink): safe for a crash log."""
    marker = path / MARKER
    return path.is_dir() and not path.is_symlink() and marker.is_file() and not marker.is_symlink()
