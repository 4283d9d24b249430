"""What `dvc.lock` records: the hash of each stage's outputs and dependencies, and which
outputs changed between two revisions, as `dvc diff` reports them. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlgate.errors import InputError
from mlgate.paths import join


@dataclass(frozen=True)
class LockedOut:
    path: str
    md5: str
    size: int | None
    stage: str
    is_dir: bool = False


def lock_entry(entry: Mapping[str, Any], path: str, stage: str) -> LockedOut | None:
    """An output's recorded hash (`md5`, a cloud `etag` or `checksum`), or None without one."""
    md5 = entry.get("md5") or entry.get("etag") or entry.get("checksum")
    if not md5:
        return None
    size = entry.get("size")
    return LockedOut(
        path=path,
        md5=str(md5),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        stage=stage,
        is_dir=str(md5).endswith(".dir"),
    )


def parse_lock(
    doc: Any,
    directory: str = "",
    source: str = "dvc.lock",
    wdirs: Mapping[str, str] | None = None,
    *,
    section: str = "outs",
) -> dict[str, LockedOut]:
    """Outputs (or, with `section="deps"`, dependencies) recorded in one `dvc.lock`: path ->
    hash. InputError names a corrupt file."""
    if doc is None:
        return {}
    if not isinstance(doc, Mapping) or not isinstance(doc.get("stages", {}), Mapping):
        raise InputError(f"{source}: corrupt lock file: expected `stages:` mapping")
    out: dict[str, LockedOut] = {}
    for name, stage in (doc.get("stages") or {}).items():
        if not isinstance(stage, Mapping):
            raise InputError(f"{source}: corrupt lock file: stage {name!r} is not a mapping")
        wdir = (wdirs or {}).get(str(name), directory)
        entries = stage.get(section) or []
        if not isinstance(entries, list):
            raise InputError(f"{source}: corrupt lock file: `{section}` of {name!r} is no list")
        for entry in entries:
            if not isinstance(entry, Mapping) or "path" not in entry:
                raise InputError(f"{source}: corrupt lock file: bad output in stage {name!r}")
            path = join(wdir, str(entry["path"]))
            locked = lock_entry(entry, path, str(name))
            if locked is not None:
                out[path] = locked
    return out


def diff_locks(
    base: Mapping[str, LockedOut], head: Mapping[str, LockedOut]
) -> list[tuple[str, str, int | None, int | None]]:
    """Outputs added, modified or deleted between two revisions' records, like `dvc diff`."""
    out: list[tuple[str, str, int | None, int | None]] = []
    for path in sorted({*base, *head}):
        old, new = base.get(path), head.get(path)
        if old is None and new is not None:
            out.append((path, "added", None, new.size))
        elif new is None and old is not None:
            out.append((path, "deleted", old.size, None))
        elif old is not None and new is not None and old.md5 != new.md5:
            out.append((path, "modified", old.size, new.size))
    return out
