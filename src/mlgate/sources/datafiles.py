"""Which tabular data changed between base and head, and each side's summary.

The files: DVC-tracked tabular files whose recorded hash differs between the two revisions
(stage outputs, stage dependencies, `dvc add`ed files, files inside a changed directory output)
and every file named under `.mlgate.yml` `data:`. Each side is put on local disk once (the
workspace file itself, a git blob streamed out, a DVC cache object checked against its hash) and
streamed by `sources.tables`, so a large file is summarized in bounded memory.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from mlgate.datacheck import TableChange, TableSummary, compare
from mlgate.datarules import DataRule, is_tabular
from mlgate.dvclock import diff_locks
from mlgate.log import LogLine
from mlgate.paths import is_under, join
from mlgate.pipeline import Pipeline
from mlgate.sources.git import SYMLINK
from mlgate.sources.revision import GitRevision, Workspace

MAX_FILES = 20
DVCLIVE = "dvclive"  # dvclive's default directory


def reported(*pipelines: Pipeline) -> list[str]:
    """Metrics files and plot sources (files, or directories of them) the DVC files declare:
    they have their own sections of the report."""
    out: list[str] = []
    for p in pipelines:
        out += p.metric_paths
        out += (src for plot in p.plots for src, _y in plot.sources)
    return list(dict.fromkeys(out))


def dvclive_dirs(files: Iterable[str]) -> list[str]:
    """Directories laid out as dvclive writes them: `metrics.json` beside `plots/`."""
    listed = set(files)
    out = {DVCLIVE}
    for path in listed:
        parts = path.split("/")
        for i in range(len(parts) - 2):
            top = "/".join(parts[:i])
            if parts[i] == "plots" and join(top, "metrics.json") in listed:
                out.add(top)
    return sorted(out)


def _live(path: str, dirs: Iterable[str]) -> bool:
    return any(is_under(path, join(d, "plots")) or path == join(d, "metrics.json") for d in dirs)


def candidates(
    base: GitRevision, head: Workspace, rules: tuple[DataRule, ...]
) -> tuple[list[tuple[str, DataRule | None]], list[str]]:
    """(path, its rule) for every tabular file to compare, and notes on what was left out.

    Metrics and plot data (declared in DVC files, or in dvclive's layout) are left out, also
    inside a changed directory output, unless `.mlgate.yml` `data:` names them."""
    notes: list[str] = []
    found: dict[str, DataRule | None] = {}
    bp, hp = base.pipeline(), head.pipeline()
    own = reported(bp, hp)
    changed: list[str] = []
    for before, after in ((bp.locked, hp.locked), (bp.deps, hp.deps)):
        for path, _status, _o, _n in diff_locks(before, after):
            old, new = before.get(path), after.get(path)
            if any(is_under(path, r) for r in own):
                continue
            if (old and old.is_dir) or (new and new.is_dir):
                changed += _expand(path, base, head)
            else:
                changed.append(path)
    live = dvclive_dirs(changed)
    left_live = []
    for path in dict.fromkeys(changed):
        if not is_tabular(path) or any(is_under(path, r) for r in own):
            continue
        if _live(path, live):
            left_live.append(path)
            continue
        found.setdefault(path, None)
    for rule in rules:
        files = [f for f in _expand(rule.path, base, head) if is_tabular(f)] or [rule.path]
        for file in files:
            found[file] = rule
    left_live = [p for p in left_live if p not in found]
    if left_live:
        notes.append(
            f"data checks: {len(left_live)} file(s) in dvclive's layout not compared as data "
            f"(training curves: {', '.join(left_live[:3])}{', ...' if len(left_live) > 3 else ''}"
            "); name them under `data:` in .mlgate.yml to check them"
        )
    paths = sorted(found, key=lambda p: (found[p] is None, p))
    if len(paths) > MAX_FILES:
        notes.append(
            f"data checks: {len(paths) - MAX_FILES} more changed data files not compared "
            f"(at most {MAX_FILES}; name the ones that matter under `data:` in .mlgate.yml)"
        )
    return [(p, found[p]) for p in paths[:MAX_FILES]], notes


def _expand(path: str, base: GitRevision, head: Workspace) -> list[str]:
    return sorted(set(base.expand(path) or []) | set(head.expand(path) or []))


def _md5_file(path: Path) -> str:
    digest = hashlib.md5()  # noqa: S324 - comparing contents, not security
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _local(rev: GitRevision | Workspace, path: str, tmp: Path) -> tuple[Path | None, str | None]:
    """A file on disk with `path`'s bytes at `rev`; (None, None) when the revision lacks it."""
    if isinstance(rev, Workspace):
        real, why = rev.confine(path)
        if why:
            return None, why
        if real is None:
            return None, None
        return (real, None) if real.is_file() else (None, f"{path} is not a file")
    out = tmp / hashlib.sha1(path.encode()).hexdigest()  # noqa: S324 - a file name
    entry = rev.files().get(path)
    if entry is not None and entry.kind == "blob" and entry.mode != SYMLINK:
        with out.open("wb") as fh:  # streamed: a large blob never sits in memory
            proc = subprocess.run(
                ["git", "cat-file", "blob", entry.oid], cwd=rev.git.root, stdout=fh, check=False
            )
        return (out, None) if proc.returncode == 0 else (None, f"git could not read {path}")
    read = rev.read([path])[path]
    if read.data is None:
        return None, None if read.absent else read.error
    out.write_bytes(read.data)
    return out, None


def table_changes(
    base: GitRevision, head: Workspace, rules: tuple[DataRule, ...], log: LogLine
) -> tuple[list[TableChange], list[str]]:
    files, notes = candidates(base, head, rules)
    if not files:
        return [], notes
    from mlgate.sources.tables import summarize  # numpy and pandas: only for data rules

    changes: list[TableChange] = []
    with tempfile.TemporaryDirectory(prefix="mlgate-data-") as tmp:
        for path, rule in files:
            log(f"data check: {path}")
            old, old_why = _local(base, path, Path(tmp))
            new, new_why = _local(head, path, Path(tmp))
            for side, why in (("base", old_why), ("head", new_why)):
                if why:
                    notes.append(f"data check of {path} at {side}: {why}")
            refused = TableSummary(path, error=new_why) if new is None and new_why else None
            if old is None and new is None and refused is None:
                if rule is not None:
                    notes.append(f"data check: {path} (named under `data:`) is at neither revision")
                    changes.append(compare(path, None, None, rule))
                continue
            same = (
                old is not None
                and new is not None
                and old.stat().st_size == new.stat().st_size  # a giant is not hashed for nothing
                and _md5_file(old) == _md5_file(new)
            )
            if same and rule is None:
                continue
            base_summary = summarize(old, path) if old is not None and not same else None
            # refused at head (a link out, an absolute path): unreadable, never "deleted"
            head_summary = summarize(new, path, rule) if new is not None else refused
            if same:
                base_summary = head_summary
            changes.append(
                compare(path, base_summary, head_summary, rule, same_bytes=same, base_error=old_why)
            )
    return changes, notes
