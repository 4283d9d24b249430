"""Which repository paths mlgate will read. Pure.

Every path mlgate reads comes from files a pull request controls (`dvc.yaml`, `.mlgate.yml`,
`dvc.lock`): it must name a file inside the repository, and never git's own files, where
`actions/checkout` keeps the token. A refused path is a reason in words, shown in the report.
"""

from __future__ import annotations

import posixpath
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Files inside the repository that hold credentials or DVC's private state.
_PRIVATE = (".dvc/config.local", ".dvc/tmp")


def refusal(path: str) -> str | None:
    """Why `path` may not be read, or None when it is a plain relative path in the repository."""
    if not path:
        return "empty path"
    if _CONTROL.search(path):
        return "the path contains a control character (newline, tab, escape)"
    if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", path):
        return "absolute paths are not read; use a path relative to the repository"
    norm = posixpath.normpath(path.replace("\\", "/"))
    if norm == ".." or norm.startswith("../"):
        return "the path leads out of the repository (`..`); use a path inside it"
    if ".git" in norm.split("/"):
        return "git's own files are never read"
    if any(norm == p or norm.startswith(p + "/") for p in _PRIVATE):
        return "DVC's local configuration and state are never read"
    return None


def normalize(path: str) -> str:
    """`./a//b/` -> `a/b`: the one spelling used as a key everywhere."""
    norm = posixpath.normpath(path.replace("\\", "/"))
    return "" if norm == "." else norm


def join(prefix: str, path: str) -> str:
    """`path` as written in a file under directory `prefix`, relative to the repository."""
    if not prefix or prefix == ".":
        return normalize(path)
    return normalize(posixpath.join(prefix, path))


def is_under(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip("/") + "/")
