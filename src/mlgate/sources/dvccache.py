"""The fast path for DVC-tracked files: objects already in the local DVC cache, read directly.

DVC's cache is content-addressed (`files/md5/ab/cdef...`, a directory's manifest under
`...cdef.dir`), so a file at a revision is found from the hash its `dvc.lock` or `.dvc` file
records, with no DVC import (measured: `make bench`, layouts). Every object is checked against
its address before use, so which directory is searched cannot change a value, only whether it is
found; whatever is not found here is read through DVC itself (`sources.dvc`), which also knows the
remote and every configuration DVC allows.
"""

from __future__ import annotations

import configparser
import contextlib
import json
from pathlib import Path
from typing import Any

from mlgate.dvclock import LockedOut
from mlgate.fileread import FileRead
from mlgate.regular import NotRegular, read_regular

FORGED = "(a corrupt or forged cache); delete it from the cache and fetch again"
MAX_OBJECT = 1 << 30  # read whole into memory: metrics, params and plot data are far smaller


def _md5(data: bytes) -> str:
    import hashlib  # 3 ms at start-up (OpenSSL) that `mlgate diff` on git-tracked files never needs

    return hashlib.md5(data).hexdigest()  # noqa: S324 - DVC's content address, not security


def matches(data: bytes, md5: str) -> bool:
    """DVC 3 hashes the bytes; DVC 2 (`md5-dos2unix`) hashed text with CRLF read as LF."""
    if _md5(data) == md5:
        return True
    return b"\x00" not in data[:8000] and _md5(data.replace(b"\r\n", b"\n")) == md5


def cache_dirs(root: Path, base_config: bytes | None) -> list[Path]:
    """Where to look: the default cache and the one the base revision's config names."""
    dirs = [root / ".dvc" / "cache"]
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    with contextlib.suppress(configparser.Error, UnicodeDecodeError):
        if base_config:
            parser.read_string(base_config.decode("utf-8"))
    configured = parser.get("cache", "dir", fallback=None)
    if configured:
        path = Path(configured)
        dirs.append(path if path.is_absolute() else root / ".dvc" / path)
    return list(dict.fromkeys(dirs))


class LocalCache:
    def __init__(self, dirs: list[Path]) -> None:
        self.dirs = dirs

    def _object(self, md5: str) -> tuple[bytes | None, str | None]:
        """(bytes, None), (None, None) when absent, or (None, why) when present but wrong."""
        for base in self.dirs:
            for candidate in (
                base / "files" / "md5" / md5[:2] / md5[2:],  # DVC 3
                base / md5[:2] / md5[2:],  # DVC 2
            ):
                if candidate.is_symlink():  # DVC never stores an object as a link
                    return None, f"the cached object {candidate} is a symbolic link {FORGED}"
                if not candidate.is_file():
                    continue
                if candidate.stat().st_size > MAX_OBJECT:
                    return None, f"the cached object {candidate} is over {MAX_OBJECT >> 20} MiB"
                try:
                    data = read_regular(candidate, MAX_OBJECT)
                except NotRegular as exc:
                    return None, f"the cached object {exc}"
                if not matches(data, md5.removesuffix(".dir")):
                    return None, f"the cached object {candidate} does not match its hash {FORGED}"
                return data, None
        return None, None

    def _manifest(self, owner: LockedOut) -> tuple[list[dict[str, Any]] | None, str | None]:
        data, why = self._object(owner.md5)
        if why:
            return None, f"the manifest of {owner.path} in the cache: {why}"
        if data is None:
            return None, None
        try:
            entries = json.loads(data)
        except ValueError:
            return None, f"the manifest of {owner.path} in the cache is not JSON {FORGED}"
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            return None, f"the manifest of {owner.path} in the cache is not a list {FORGED}"
        return entries, None

    def read(self, path: str, owner: LockedOut, label: str) -> FileRead | None:
        """`path` (the output itself, or a file inside a directory output) from the cache;
        None when it is not there (ask DVC)."""
        where = f"{path} is DVC-tracked at {label}, but"
        if not owner.is_dir:
            if path != owner.path:
                return None
            data, why = self._object(owner.md5)
            if why:
                return FileRead(None, f"{where} {why}")
            return FileRead(data) if data is not None else None
        entries, why = self._manifest(owner)
        if why:
            return FileRead(None, f"{where} {why}")
        if entries is None:
            return None
        if path == owner.path:
            return FileRead(None, f"{path} is a directory at {label}")
        rel = path[len(owner.path) + 1 :]
        entry = next((e for e in entries if e.get("relpath") == rel), None)
        if entry is None:  # the manifest passed its hash check: the base has no such file
            return FileRead(None, f"not found at {label} (not in {owner.path})", absent=True)
        data, why = self._object(str(entry.get("md5", "")))
        if why:
            return FileRead(None, f"{where} {why}")
        return FileRead(data) if data is not None else None

    def listing(self, directory: str, owner: LockedOut) -> list[str] | None:
        """Files under `directory` inside a directory output, from its cached manifest; None
        when the manifest is not in the cache."""
        if not owner.is_dir:
            return None
        entries, _why = self._manifest(owner)
        if entries is None:
            return None
        prefix = directory[len(owner.path) :].strip("/")
        found = [
            f"{owner.path}/{e['relpath']}"
            for e in entries
            if isinstance(e.get("relpath"), str)
            and (not prefix or e["relpath"].startswith(prefix + "/"))
        ]
        return sorted(found)  # empty: the manifest is known and `directory` is no directory
