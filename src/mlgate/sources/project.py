"""The DVC project a working directory belongs to, found as DVC finds it. Pure but for
looking for `.dvc/` directories.

DVC looks for `.dvc/` in the directory it runs in, then in each parent: the first one found is
the project's root, and `dvc metrics diff` reads the base revision at that same place in the
base commit's tree. A directory below holding a `.dvc/` of its own is another project (a DVC
subrepo), which the outer one never reads. mlgate runs in the working directory (`-C DIR`,
`working-directory`): its paths are relative to it, and only the DVC view (cache, remote,
templating) is opened at the project's root.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mlgate.paths import is_under

DVC_DIR = ".dvc"


@dataclass(frozen=True)
class Project:
    """Where a working directory sits: in its git repository and in its DVC project."""

    workdir: Path  # absolute; every path mlgate shows is relative to it
    git_root: Path  # absolute
    root: Path | None  # the DVC project's root (holds `.dvc/`), or None: no DVC project

    @property
    def prefix(self) -> str:
        """The working directory inside the DVC project ("" at its root)."""
        assert self.root is not None
        return _rel(self.workdir, self.root)

    @property
    def git_path(self) -> str:
        """The DVC project's root inside the git repository ("" at the top)."""
        assert self.root is not None
        return _rel(self.root, self.git_root)


def _rel(path: Path, top: Path) -> str:
    rel = path.relative_to(top).as_posix()
    return "" if rel == "." else rel


def find_project(workdir: Path, git_root: Path) -> Project:
    """The nearest directory from `workdir` up to the top of the git repository that holds
    `.dvc/`, as DVC's own search finds it."""
    workdir, git_root = workdir.resolve(), git_root.resolve()
    if not workdir.is_relative_to(git_root):
        git_root = workdir
    here = workdir
    while True:
        if (here / DVC_DIR).is_dir():
            return Project(workdir, git_root, here)
        if here in (git_root, here.parent):
            return Project(workdir, git_root, None)
        here = here.parent


def subrepos(names: Iterable[str]) -> list[str]:
    """Directories below the top of a listing that hold a `.dvc/` of their own (DVC subrepos)."""
    found = {name.split(f"/{DVC_DIR}/", 1)[0] for name in names if f"/{DVC_DIR}/" in name}
    return sorted(found)


def in_subrepo(path: str, dirs: Iterable[str]) -> bool:
    return any(is_under(path, d) for d in dirs)
