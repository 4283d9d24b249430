"""Where the base's results come from when the base commit holds none (issue 14).

Most projects trained in CI never commit their metrics, so the base branch has nothing to
compare with. In order, for a base holding none of the metrics files the report needs:

1. the results branch (`mlgate record`): the base commit's stored results, else its nearest
   stored first-parent ancestor within `results-depth` commits, saying which;
2. the base cache (`.cache/mlgate/base/<key>`): a training of the same base, command and
   dependencies in an earlier job;
3. training the base now, in a separate git worktree, with the same command.

`base-run` decides: `auto` (the above, training only when `run` or `repro` is set), `always`
(train or take the cache even when the base holds results; the results branch is skipped), or
`never` (no training). A training that fails makes the base's files unreadable, not absent, so
a gate on them follows `on_missing_base` (fail closed by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mlgate import paths as repo_paths
from mlgate import results
from mlgate.config import Config
from mlgate.errors import GitError, UsageError
from mlgate.gatekinds.scalar import NO_BASELINE
from mlgate.log import Log
from mlgate.pipeline import Pipeline
from mlgate.report import BaseSource
from mlgate.settings import Settings
from mlgate.sources.git import Git
from mlgate.sources.revision import GitRevision, Revision
from mlgate.sources.stored import Overlay, Unproduced
from mlgate.training import base as basetrain
from mlgate.training import basecache


def mode(settings: Settings, config: Config) -> str:
    return settings.base_run or config.base_run or "auto"


def holds(base: GitRevision, path: str) -> bool:
    """The base commit has `path`: committed to git (a file, or files under a directory), or
    its hash recorded by DVC (dvc.lock, a `.dvc` file), whether or not its object is at hand."""
    tree = base.files()
    if path in tree or any(repo_paths.is_under(p, path) for p in tree):
        return True
    if base.blocked(path):  # through a link or a submodule: held, and unreadable (the reason)
        return True
    return base.pipeline().locked_owner(path) is not None


@dataclass(frozen=True)
class Head:
    """The head revision and its DVC files, to tell files the pull request adds."""

    revision: Revision
    pipeline: Pipeline


@dataclass(frozen=True)
class Chosen:
    """Where the base's values come from, notes, and what the baseline did (None: the base
    commit itself, or nothing was said)."""

    revision: Revision
    notes: list[str]
    source: BaseSource | None = None


class Baseline:
    """Called by `gather` with the base commit and the files the report needs; returns the
    revision to read the base from and what it did, for the log and the report."""

    def __init__(
        self,
        settings: Settings,
        *,
        root: Path,
        git: Git,
        log: Log,
        no_training: str | None = None,
    ) -> None:
        self.settings = settings
        self.no_training = no_training  # why the base must not be trained in this run
        self.root = root
        self.git = git
        self.log = log

    def choose(
        self,
        base: GitRevision,
        head: Head,
        config: Config,
        needed: Sequence[str],
        wanted: Sequence[str],
    ) -> Chosen:
        """The revision to read the base from, with notes and what it did. `needed`: the
        metrics files of either revision; `wanted`: every file the report may read at the
        base (params, plot data): `mlgate.filesets.base_files`."""
        chosen = mode(self.settings, config)
        command = basetrain.training_command(self.settings)
        if chosen == "always" and command is None:
            raise UsageError(
                "base-run: always needs a training command: set input `run` (--command) or "
                "`repro: true` (--repro)"
            )
        if not needed:
            return Chosen(base, [])
        missing = [p for p in needed if not holds(base, p)]
        added = {p for p in missing if self._added_by_pr(base, head, p)}  # new: the PR adds them
        expected = [p for p in missing if p not in added]
        if chosen != "always" and not expected:
            return Chosen(base, [])
        notes: list[str] = []
        name = f"base {base.label} ({base.sha[:7]})"
        if chosen != "always":
            found = self._from_stored(base, name)
            if found.source is not None:
                return found
            notes += found.notes
        if command is None or chosen == "never":
            shown = [p for p, r in head.revision.read(expected).items() if not r.absent]
            if not shown:  # head has none of them either: nothing to compare, nothing to say
                return Chosen(base, notes)
            why = (
                "base-run: never forbids training it"
                if chosen == "never"
                else "no training command is set"
            )
            reason = no_baseline(name, shown, why, self.settings.results_branch)
            self.log(reason)  # each gate on them fails with it, as an error annotation
            return Chosen(Unproduced(base, reason, new=added), notes)
        if self.no_training:
            notes.append(f"{name} has no results and was not trained: {self.no_training}")
            why = f"the base was not trained: {self.no_training}"
            return Chosen(Unproduced(base, why), notes)
        trained = self._train(base, command, needed, wanted, notes)
        if isinstance(trained.revision, Overlay) and chosen != "always":  # the training wins
            trained.revision.files = _not_held(trained.revision.files, base)
        return trained

    def _added_by_pr(self, base: GitRevision, head: Head, path: str) -> bool:
        """The pull request adds `path`: committed at HEAD but not at the base, or declared by
        HEAD's DVC files and not by the base's (a new stage or metrics entry)."""
        try:
            head_tree = self.git.tree("HEAD")
        except GitError:
            head_tree = {}
        if path in head_tree or any(repo_paths.is_under(p, path) for p in head_tree):
            return True
        declared, base_pipeline = head.pipeline, base.pipeline()
        return (
            (path in declared.metric_paths or declared.owner(path) is not None)
            and path not in base_pipeline.metric_paths
            and base_pipeline.owner(path) is None
        )

    def _say(self, source: BaseSource) -> BaseSource:
        self.log(source.summary)
        return source

    def _from_stored(self, base: GitRevision, name: str) -> Chosen:
        """The results branch's values for the base (or its nearest stored ancestor); without
        them, the base itself and the notes of the search."""
        stored, notes = self._stored(base.sha)
        if stored is None:
            return Chosen(base, notes)
        where = (
            f"the stored results of {base.sha[:7]}"
            if stored.distance == 0
            else f"the stored results of its ancestor {stored.sha[:7]}, "
            f"{stored.distance} commit(s) earlier (the nearest with results)"
        )
        summary = f"{name} stores no results in git or DVC: base values are {where} on {stored.ref}"
        return Chosen(
            Overlay(_not_held(stored.files, base), base, base.label),
            notes,
            self._say(BaseSource("stored", summary)),
        )

    def _stored(self, sha: str) -> tuple[results.Stored | None, list[str]]:
        branch = self.settings.results_branch
        try:
            notes = results.fetch(self.git, branch)
            stored, found = results.find(
                self.git, sha, branch=branch, depth=self.settings.results_depth
            )
        except GitError as exc:
            return None, [f"results branch {branch!r} unreadable: {exc}"]
        return stored, notes + found

    def _cache_key(self, repo_root: Path, sha: str, command: str) -> tuple[str, str]:
        """The hash of the base's training inputs, and the base cache's key for it."""
        try:
            project = self.root.resolve().relative_to(repo_root.resolve()).as_posix()
        except ValueError:
            project = "."
        deps = basecache.deps_hash(self.git, sha, command, project)
        return deps, basecache.cache_key(sha, command, deps)

    def _train(
        self,
        base: GitRevision,
        command: str,
        needed: Sequence[str],
        wanted: Sequence[str],
        notes: list[str],
    ) -> Chosen:
        repo_root = self.git.toplevel()
        deps, key = self._cache_key(repo_root, base.sha, command)
        name = f"base {base.label} ({base.sha[:7]})"
        kept, cache_notes = basecache.load(
            repo_root, self.git, key=key, sha=base.sha, command=command, deps=deps, wanted=wanted
        )
        notes += cache_notes
        if kept is not None:
            summary = (
                f"{name} stores no results: base values are from the cache "
                f"{basecache.CACHE_DIR}/{key}, where an earlier job trained it with '{command}' "
                f"in {kept.training.seconds:.1f} s (not trained again)"
            )
            source = self._say(BaseSource("cached", summary))
            return Chosen(Overlay(kept.files, base, base.label, kept.errors), notes, source)
        kept = basetrain.train_in_worktree(
            self.settings,
            git=self.git,
            repo_root=repo_root,
            root=self.root,
            sha=base.sha,
            label=base.label,
            wanted=list(wanted),
            log=self.log,
        )
        notes += kept.notes
        t = kept.training
        if t.exit_code != 0:
            summary = (
                f"{name} stores no results, and training it in this job with '{command}' failed "
                f"(exit {t.exit_code}) after {t.seconds:.1f} s: its values are unreadable, so "
                "gates on them follow on_missing_base"
            )
            source = self._say(BaseSource("failed", summary, t))
            reason = f"the base's training failed (exit {t.exit_code}: '{command}')"
            return Chosen(Unproduced(base, reason), notes, source)
        summary = (
            f"{name} stores no results: it was trained in this job with '{command}' in "
            f"{t.seconds:.1f} s, in a separate git worktree"
        )
        source = self._say(BaseSource("trained", summary, t))
        if not any(repo_paths.is_under(f, p) for f in kept.files for p in needed):
            notes.append(
                f"the base's training with '{command}' wrote none of {', '.join(needed)}: "
                "the base does not produce them, so their values show as new"
            )
        if why := basecache.save(
            repo_root, kept, key=key, sha=base.sha, command=command, deps=deps
        ):
            notes.append(why)
        return Chosen(Overlay(kept.files, base, base.label, kept.errors), notes, source)


def _not_held(files: dict[str, bytes], base: GitRevision) -> dict[str, bytes]:
    """Kept or stored files, except those the base commit holds itself: its own git and DVC
    content is the base's truth (a stored ancestor's copy must not replace it)."""
    return {p: d for p, d in files.items() if not holds(base, p)}


def no_baseline(name: str, files: Sequence[str], why: str, branch: str) -> str:
    """Why there is nothing to compare with, and the three ways to get a baseline."""
    shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
    return (
        f"{NO_BASELINE}: {name} stores no results ({shown}: not in git or DVC, not on the "
        f"results branch {branch!r}, not in the base cache) and {why}. To get one: set `run:` "
        "or `repro: true` so mlgate trains the base in this job; or record the base branch's "
        "results (add `push: branches: [<base>]` to the workflow's `on:`, or run `mlgate "
        "record --push` there); or, when training needs your own runner (a GPU), use the "
        "in-job action `mlgate/mlgate/in-job` with `run:`/`repro:` there, which trains the "
        "base on the same runner"
    )
