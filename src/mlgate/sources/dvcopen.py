"""Opening DVC on one revision of a project, as `dvc metrics diff` opens it (`dvc.repo.brancher`).

Two depths. A `View` is what DVC's template resolver (`dvc.parsing.DataResolver`) reads of a
repository: its file system and its config. That is all a templated `dvc.yaml` needs, and it
costs neither `dvc.repo` (0.15 s of imports) nor a `Repo` (in the workspace, a state database
in a site cache). A full `Repo` over the same file system is opened only to read DVC-tracked
files (the cache, then the remote). DVC is imported here only when a revision needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlgate.sources.project import DVC_DIR, Project


class Unavailable(Exception):
    """DVC cannot give a view of this revision; the message says why."""


@dataclass(frozen=True)
class View:
    fs: Any  # a DVC file system: the workspace's, or the commit's tree (GitFileSystem)
    config: Any  # dvc.config.Config, loaded as `Repo` loads it
    root_dir: str  # the project's root in `fs`
    scm: Any = None  # the git repository a commit's tree is read from

    def close(self) -> None:
        if self.scm is not None:
            self.scm.close()


def workspace_view(root: Path) -> View:
    """The workspace's files and DVC config (.dvc/config, config.local, global and system)."""
    from dvc.config import Config  # DVC (~1 s): only when a revision needs it
    from dvc.fs import LocalFileSystem  # DVC (~1 s): only when a revision needs it

    if not (root / DVC_DIR).is_dir():
        raise Unavailable(f"the workspace has no DVC project at {root} (no .dvc/ there)")
    dvc_dir = str(root / DVC_DIR)
    config = Config(dvc_dir, local_dvc_dir=dvc_dir, fs=LocalFileSystem())
    return View(LocalFileSystem(), config, str(root))


def revision_view(project: Project, rev: str, label: str) -> View:
    """The commit's tree as a file system, the project at the same place in it as in the
    workspace, its config from that tree (the local config from the workspace, as DVC)."""
    from dvc.config import Config  # DVC (~1 s): only when a revision needs it
    from dvc.fs import GitFileSystem  # DVC (~1 s): only when a revision needs it
    from dvc.scm import SCM  # DVC (~1 s): only when a revision needs it

    assert project.root is not None
    scm = SCM(str(project.git_root))
    fs = GitFileSystem(scm=scm, rev=rev)
    where = fs.join("/", *filter(None, project.git_path.split("/")))
    if not fs.isdir(fs.join(where, DVC_DIR)):
        scm.close()
        raise Unavailable(
            f"{label} has no DVC project at {project.git_path or 'the top'} of the repository "
            "(no .dvc/ there)"
        )
    local = project.root / DVC_DIR
    config = Config(
        fs.join(where, DVC_DIR), local_dvc_dir=str(local) if local.is_dir() else None, fs=fs
    )
    return View(fs, config, where, scm)


def full_repo(view: View) -> Any:
    """A `dvc.repo.Repo` over a revision's view: its cache, its remote, its file system."""
    from dvc.repo import Repo  # DVC (~1 s): only when a revision needs it

    return Repo(view.root_dir, fs=view.fs, scm=view.scm)
