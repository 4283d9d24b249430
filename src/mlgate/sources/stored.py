"""A base revision whose results come from somewhere other than git: files kept from a training
of the base (in this job or an earlier one) or stored on the results branch, laid over the base
commit itself.

A path the kept files hold is read from them; any other path falls back to the commit (params
and data committed to git). A base whose results could not be produced (`Unproduced`) turns
every "the base does not have this file" into "unreadable, and why", so a gate on it fails
closed (`on_missing_base`) instead of seeing a new metric.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mlgate import paths as repo_paths
from mlgate.fileread import FileRead
from mlgate.pipeline import Pipeline
from mlgate.sources.revision import Revision


class Overlay:
    """`files` (path -> bytes) over `fallback`; reads only from memory and the fallback."""

    def __init__(
        self,
        files: Mapping[str, bytes],
        fallback: Revision,
        label: str,
        errors: Mapping[str, str] | None = None,
    ) -> None:
        self.files = dict(files)
        self.errors = dict(errors or {})  # files the base had but that were not kept, and why
        self.fallback = fallback
        self.label = label

    def read(self, paths: Iterable[str]) -> dict[str, FileRead]:
        wanted = list(dict.fromkeys(paths))
        out = {p: FileRead(self.files[p]) for p in wanted if p in self.files}
        out.update({p: FileRead(None, self.errors[p]) for p in wanted if p in self.errors})
        rest = [p for p in wanted if p not in out]
        if rest:
            out.update(self.fallback.read(rest))
        return {p: out[p] for p in wanted}

    def expand(self, path: str) -> list[str] | None:
        inside = [p for p in self.files if repo_paths.is_under(p, path) and p != path]
        found = self.fallback.expand(path) or []
        merged = sorted(set(inside) | set(found))
        return merged or None

    def pipeline(self) -> Pipeline:
        return self.fallback.pipeline()


class Unproduced:
    """The base commit, where a file it does not have is unreadable for `reason` (its training
    failed, or nothing produced its results), never new; except the files in `new`, which the
    pull request adds."""

    def __init__(self, fallback: Revision, reason: str, new: Iterable[str] = ()) -> None:
        self.fallback = fallback
        self.reason = reason
        self.new = frozenset(new)
        self.label = fallback.label

    def read(self, paths: Iterable[str]) -> dict[str, FileRead]:
        return {
            p: FileRead(None, self.reason) if r.absent and p not in self.new else r
            for p, r in self.fallback.read(paths).items()
        }

    def expand(self, path: str) -> list[str] | None:
        return self.fallback.expand(path)

    def pipeline(self) -> Pipeline:
        return self.fallback.pipeline()
