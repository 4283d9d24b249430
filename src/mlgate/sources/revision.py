"""Read files at one revision: the workspace, or a git revision with DVC-cached outputs resolved.

Git-tracked files are read with one `git cat-file --batch`. Files that are DVC outputs (not in
git) are resolved through that revision's `dvc.lock`: the local DVC cache first, then a fetch of
just those objects from the DVC remote. Every file read gives bytes or a reason it could not be
read; nothing raises for a single missing file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mlgate.errors import InputError
from mlgate.sources.git import Git
from mlgate.sources.pipeline import LockedOut, parse_lock


@dataclass(frozen=True)
class FileRead:
    data: bytes | None
    error: str | None = None  # why data is None, in words for the report


class Revision(Protocol):
    label: str

    def read(self, paths: Iterable[str]) -> dict[str, FileRead]:
        """Each path's bytes, or the reason it is unavailable."""
        ...


class Workspace:
    def __init__(self, root: Path, label: str = "workspace") -> None:
        self.root = root
        self.label = label

    def read(self, paths: Iterable[str]) -> dict[str, FileRead]:
        out: dict[str, FileRead] = {}
        for path in dict.fromkeys(paths):
            file = self.root / path
            if file.is_file():
                out[path] = FileRead(file.read_bytes())
            else:
                out[path] = FileRead(None, "not found in the workspace")
        return out


# (rev, {path: locked output}) -> {path: bytes or the reason}; supplied by sources.dvc.
RemoteFetch = Callable[[str, Mapping[str, LockedOut]], dict[str, FileRead]]


class GitRevision:
    def __init__(
        self,
        git: Git,
        sha: str,
        label: str,
        *,
        cache_read: Callable[[str], bytes | None] | None = None,
        remote_fetch: RemoteFetch | None = None,
    ) -> None:
        self.git = git
        self.sha = sha
        self.label = label
        self.cache_read = cache_read
        self.remote_fetch = remote_fetch
        self._lock: dict[str, LockedOut] | None = None
        self.lock_error: str | None = None

    def lock(self) -> dict[str, LockedOut]:
        if self._lock is None:
            raw = self.git.read_files(self.sha, ["dvc.lock"]).get("dvc.lock")
            try:
                self._lock = parse_lock(raw, f"dvc.lock at {self.label}") if raw else {}
            except InputError as exc:
                self.lock_error = str(exc)
                self._lock = {}
        return self._lock

    def read(self, paths: Iterable[str]) -> dict[str, FileRead]:
        wanted = list(dict.fromkeys(paths))
        found = self.git.read_files(self.sha, wanted)
        out: dict[str, FileRead] = {}
        remote: dict[str, LockedOut] = {}
        for path in wanted:
            data = found.get(path)
            if data is not None:
                out[path] = FileRead(data)
                continue
            locked = self.lock().get(path)
            if locked is None:
                why = self.lock_error or f"not found at {self.label}"
                out[path] = FileRead(None, why)
                continue
            cached = self.cache_read(locked.md5) if self.cache_read else None
            if cached is not None:
                out[path] = FileRead(cached)
            else:
                remote[path] = locked
        if remote:
            if self.remote_fetch is None:
                for path in remote:
                    out[path] = FileRead(None, "DVC-cached at base and not in the local cache")
            else:
                out.update(self.remote_fetch(self.sha, remote))
        return {p: out[p] for p in wanted}
