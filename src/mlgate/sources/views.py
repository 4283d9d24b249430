"""Both revisions of one working directory opened for reading: the base commit and the
workspace, each with DVC's view of the project (`sources.project`) when there is one.

A step that reports on several projects of one repository calls `open_revisions` once per
working directory; nothing here is shared between two calls.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import NamedTuple

from mlgate.errors import GitError
from mlgate.log import LogLine
from mlgate.paths import is_under
from mlgate.sources.dvc import DvcAt
from mlgate.sources.dvccache import LocalCache, cache_dirs
from mlgate.sources.dvcfiles import dvc_files
from mlgate.sources.git import Git
from mlgate.sources.project import DVC_DIR, Project, find_project
from mlgate.sources.revision import GitRevision, Workspace


class Opened(NamedTuple):
    base: GitRevision
    head: Workspace
    notes: list[str]


def open_revisions(root: Path, git: Git, base_sha: str, base_ref: str, log: LogLine) -> Opened:
    """The base commit and the workspace of the working directory `root`, each with DVC's view
    of its project when there is one (in the workspace, or at base when the PR removes it)."""
    try:
        repo_root = git.toplevel()
    except GitError:
        repo_root = root
    project = find_project(root, repo_root)
    if project.root is None and f"{DVC_DIR}/config" in git.tree(base_sha):
        project = Project(project.workdir, project.git_root, project.workdir)
    base_dvc = head_dvc = cache = None
    notes: list[str] = []
    if project.root is not None:
        at_root = git if not project.prefix else Git(project.root, git.log)
        config = at_root.read_files(base_sha, [".dvc/config"])[".dvc/config"]
        cache = LocalCache(cache_dirs(project.root, config))
        untrusted = False
        # a `.dvc/config.local` committed by the PR could repoint the cache and the remote
        with contextlib.suppress(GitError):
            untrusted = ".dvc/config.local" in at_root.tree("HEAD")
        base_dvc = DvcAt(project, base_sha, base_ref, log, untrusted_local=untrusted)
        head_dvc = DvcAt(project, None, "workspace", log)
        if project.prefix:
            notes += outside(project, at_root)
    base = GitRevision(git, base_sha, base_ref, dvc=base_dvc, cache=cache)
    head = Workspace(root, repo_root=repo_root, git=git, dvc=head_dvc)
    return Opened(base, head, notes)


def outside(project: Project, at_root: Git) -> list[str]:
    """A note naming the project's DVC files outside the working directory: `dvc metrics diff`
    run in it reads those too (paths with `../`); mlgate reads those below it only."""
    try:
        listing = at_root.run("ls-files", "-z", "--cached", "--others", "--exclude-standard")
    except GitError:
        return []
    yamls, dvcs = dvc_files(p for p in listing.split("\0") if p)
    away = [f for f in [*yamls, *dvcs] if not is_under(f, project.prefix)]
    if not away:
        return []
    shown = ", ".join(away[:3]) + (f" and {len(away) - 3} more" if len(away) > 3 else "")
    top = project.git_path or "."
    return [
        f"the working directory {project.prefix} is inside the DVC project at {top}, whose "
        f"DVC files outside it ({shown}) are not read here (`dvc metrics diff` run there "
        f"reads them too); set working-directory to {top} to report on the whole project"
    ]
