"""`mlgate record`: store this commit's results (result.json, the metrics, params and plot data
files) on the results branch, so that a later pull request based on this commit compares with
them without training the base (issue 14). Run it on the default branch: on a laptop, or in a
workflow on `push`."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from mlgate import results
from mlgate.errors import TrainingError, UsageError
from mlgate.gather import gather
from mlgate.log import Log
from mlgate.metrics import Scalar
from mlgate.settings import Settings
from mlgate.sources.git import Git
from mlgate.training.command import run_training


def _json_safe(value: Scalar) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def main(settings: Settings, log: Log, *, root: Path, push: bool) -> int:
    git = Git(root, log)
    sha = git.rev_parse("HEAD")
    if sha is None:
        raise UsageError("nothing to record: the repository has no commit yet")
    if push and not results.has_origin(git):
        raise UsageError("--push: this repository has no remote `origin` to push the results to")
    command = train(settings, root=root, log=log)
    files, doc = collect(settings, git, root=root, log=log, sha=sha, command=command)
    branch = settings.results_branch
    if push:
        for note in results.fetch(git, branch):
            log(note)
    commit = results.write(git, sha, files, doc, branch=branch)
    log(f"stored {len(files)} file(s) for {sha[:7]} on {branch} ({commit[:7]})")
    if push:
        results.push(git, branch)
        log(f"pushed {branch} to origin")
    print(f"mlgate: recorded the results of {sha[:7]} on {branch}: {', '.join(sorted(files))}")
    return 0


def train(settings: Settings, *, root: Path, log: Log) -> str | None:
    """Run the training command, when one is set; its command line. A failure records nothing."""
    if not (settings.run or settings.repro):
        return None
    training = run_training(settings.replace(push=False), root=root, log=log)
    if training.exit_code != 0:
        raise TrainingError(
            f"training failed (exit {training.exit_code}): {training.command}; nothing was recorded"
        )
    return training.command


def collect(
    settings: Settings, git: Git, *, root: Path, log: Log, sha: str, command: str | None
) -> tuple[dict[str, bytes], dict[str, Any]]:
    """This commit's results as an entry of the results branch: the metrics, params and plot
    data files the workspace holds, and the entry's result.json."""
    with log.group("Reading this commit's results"):
        g = gather(settings.replace(base=sha), git, root=root, log=log, with_plots=True)
    metrics: dict[str, dict[str, Any]] = {}
    params: dict[str, dict[str, Any]] = {}
    for change in g.metrics.changes:
        if change.new is not None:
            metrics.setdefault(change.path, {})[change.key] = _json_safe(change.new)
    for change in g.params.changes:
        if change.new is not None:
            params.setdefault(change.path, {})[change.key] = _json_safe(change.new)
    if not metrics:
        raise UsageError(
            "nothing to record: no metrics found in the workspace; train first (--command or "
            "--repro, or the action's `run`/`repro`), and list the metrics files in .mlgate.yml "
            "`metrics:` or with --metrics"
        )
    reads = g.head.read([*metrics, *params])
    files = {p: r.data for p, r in reads.items() if r.data is not None}
    for pf in g.plots:
        files.update({src: r.data for src, r in pf.head.items() if r.data is not None})
    _warn_dirty(git, files, log)
    doc = results.entry_document(
        sha, files, ref=git.head_branch(), command=command, metrics=metrics, params=params
    )
    return files, doc


def _warn_dirty(git: Git, files: dict[str, bytes], log: Log) -> None:
    """Results are filed under HEAD's sha: say so when tracked files differ from HEAD."""
    out = git.run("status", "--porcelain", "--untracked-files=no", check=False)
    changed = [line[3:] for line in out.splitlines() if line[3:] and line[3:] not in files]
    if changed:
        log.warning(
            f"recording under {git.rev_parse('HEAD') or 'HEAD'} with uncommitted changes to "
            f"{', '.join(changed[:5])}{' …' if len(changed) > 5 else ''}: the stored results may "
            "not be what this commit produces"
        )
