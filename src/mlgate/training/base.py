"""Train the base revision in a separate git worktree, and keep what it produced in a cache.

The base commit is checked out into a temporary `git worktree` (the workspace is never
touched), the same command runs there, and the files the report needs (metrics, params, plot
data) are read from it through a `Workspace` rooted at the worktree, so reads stay confined
(no links out, no absolute or `..` paths). They are kept in the cache of base trainings
(`training.basecache`).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from mlgate.errors import GitError, UsageError
from mlgate.log import Log
from mlgate.report import Training
from mlgate.settings import Settings
from mlgate.sources.git import Git
from mlgate.sources.revision import Workspace
from mlgate.training.basecache import MAX_ENTRY_BYTES, MAX_FILE_BYTES, MAX_FILES, Kept
from mlgate.training.command import run_training

NOT_FOUND_EXIT = 127  # as a shell reports a command that does not exist


def training_command(settings: Settings) -> str | None:
    if settings.run:
        return settings.run
    return "dvc repro" if settings.repro else None


def collect(
    tree: Workspace, wanted: Iterable[str]
) -> tuple[dict[str, bytes], dict[str, str], list[str]]:
    """The wanted files (directories expanded) that the worktree has, read confined; and the
    ones it has that cannot be kept, with the reason (a link out, beyond the size limits)."""
    paths: list[str] = []
    for path in wanted:
        paths += tree.expand(path) or [path]
    files: dict[str, bytes] = {}
    errors: dict[str, str] = {}
    notes: list[str] = []
    total = 0
    if len(paths) > MAX_FILES:
        notes.append(f"base training: only the first {MAX_FILES:,} of {len(paths):,} files kept")
        paths = paths[:MAX_FILES]
    for path, read in tree.read(dict.fromkeys(paths)).items():
        if read.data is None:
            if not read.absent and "is a directory" not in (read.error or ""):
                errors[path] = f"at the trained base: {read.error}"
            continue
        if len(read.data) > MAX_FILE_BYTES or total + len(read.data) > MAX_ENTRY_BYTES:
            errors[path] = (
                f"{path} at the trained base is {len(read.data):,} bytes, above mlgate's limit "
                f"of {MAX_FILE_BYTES:,} per file and {MAX_ENTRY_BYTES:,} in all"
            )
            continue
        total += len(read.data)
        files[path] = read.data
    notes += [f"base training: {why}" for why in errors.values()]
    return files, errors, notes


def train_in_worktree(
    settings: Settings,
    *,
    git: Git,
    repo_root: Path,
    root: Path,
    sha: str,
    label: str,
    wanted: list[str],
    log: Log,
) -> Kept:
    """Check `sha` out into a temporary worktree, run the training command there, and keep
    the wanted files. A command that fails (or a project that does not exist at the base) is
    a result with its output tail, never an exception. One phase of the log of its own."""
    with log.group(f"Base training: {label} ({sha[:7]})") as phase:
        kept = _train(
            settings,
            git=git,
            repo_root=repo_root,
            root=root,
            sha=sha,
            label=label,
            wanted=wanted,
            log=log,
        )
        phase.done(f"exit code {kept.training.exit_code}; {len(kept.files)} file(s) kept")
    return kept


def _train(
    settings: Settings,
    *,
    git: Git,
    repo_root: Path,
    root: Path,
    sha: str,
    label: str,
    wanted: list[str],
    log: Log,
) -> Kept:
    command = training_command(settings) or "dvc repro"
    try:
        project = root.resolve().relative_to(repo_root.resolve())
    except ValueError:  # the project is not below the repository's top level as git sees it
        project = Path()
    tmp = Path(tempfile.mkdtemp(prefix="mlgate-base-"))
    tree = tmp / "tree"
    started = time.monotonic()
    log(f"training the base {label} ({sha[:7]}) in a separate worktree {tree}: {command}")
    try:
        try:
            git.run("worktree", "add", "--detach", "--quiet", str(tree), sha)
        except GitError as exc:
            return Kept({}, Training(command, NOT_FOUND_EXIT, output_tail=str(exc)))
        wroot = tree / project
        if not wroot.is_dir():
            why = f"{project.as_posix()} does not exist at {label}"
            return Kept({}, Training(command, NOT_FOUND_EXIT, output_tail=why))
        if settings.repro:
            _share_dvc_cache(root, wroot)
        try:
            training = run_training(settings.replace(push=False), root=wroot, log=log)
        except UsageError as exc:  # e.g. no dvc.yaml at the base yet
            training = Training(
                command, NOT_FOUND_EXIT, seconds=time.monotonic() - started, output_tail=str(exc)
            )
        if training.exit_code != 0:
            return Kept({}, training)
        view = Workspace(wroot, label, repo_root=tree)
        files, errors, notes = collect(view, wanted)
        done = Training(command, 0, seconds=training.seconds, output_tail=training.output_tail)
        return Kept(files, done, tuple(notes), errors=errors, wanted=tuple(wanted))
    finally:
        git.run("worktree", "remove", "--force", str(tree), check=False)
        shutil.rmtree(tmp, ignore_errors=True)
        git.run("worktree", "prune", check=False)


def _share_dvc_cache(root: Path, wroot: Path) -> None:
    """Point the worktree's DVC at the workspace's cache (and so its run-cache), written in the
    worktree's own `.dvc/config.local`, so unchanged stages are restored, not retrained."""
    cache = root / ".dvc" / "cache"
    if cache.is_dir() and (wroot / ".dvc").is_dir():
        (wroot / ".dvc" / "config.local").write_text(f"[cache]\n    dir = {cache.resolve()}\n")
