"""What the noise-aware gate kinds need, gathered before evaluation (the adapter step):
per-example rows at base and head, aligned, and the base branch's recent values of a metric.
Every problem becomes a reason in the evidence (the gate then fails closed or falls back, as
its rule says) or a note; nothing here raises on bad data.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mlgate import gatekinds, slices
from mlgate.errors import GitError, InputError
from mlgate.gatekinds import history
from mlgate.gatekinds.base import Evidence, MetricHistory, PairedRows, Request, Trend
from mlgate.gather import Gathered
from mlgate.metrics import is_number, load_metrics
from mlgate.pipeline import PlotDef
from mlgate.plotdata import PlotDataError, parse_table
from mlgate.rules import matches
from mlgate.sources.git import Git
from mlgate.sources.history import first_parents, read_at
from mlgate.sources.revision import GitRevision
from mlgate.stats import Paired

SCORE_COLUMNS = ("score", "probability", "proba", "prob")


@dataclass(frozen=True)
class Source:
    path: str
    actual: str = "actual"
    predicted: str = "predicted"


def _label(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def labels(column: Any) -> np.ndarray:
    """A column as labels: integers where all are whole numbers (1.0 and 1 are one label),
    else text; vectorized where numpy can."""
    try:
        arr = np.asarray(column)
    except (ValueError, TypeError):  # ragged lists in a JSON/YAML column: text, one by one
        return np.array([_label(v) for v in column], dtype=str)
    if arr.ndim != 1:
        return np.array([_label(v) for v in column], dtype=str)
    if arr.dtype.kind in "iub":
        return arr.astype(np.int64)  # integers compare as they are: no text needed
    if arr.dtype.kind == "f":
        whole = np.isfinite(arr) & (arr == np.round(arr)) & (np.abs(arr) < 2.0**53)
        if bool(np.all(whole)):
            return arr.astype(np.int64)
        return arr.astype(np.float64)  # regression values (or NaN): numbers, as written
    if arr.dtype.kind == "U":
        return arr
    import pandas as pd  # type: ignore[import-untyped]  # ~0.3 s: only when needed

    if arr.dtype.kind == "O" and pd.api.types.infer_dtype(arr, skipna=False) == "string":
        return arr.astype(str)  # all text: no per-value conversion
    values = column.tolist() if isinstance(column, np.ndarray) else list(column)
    return np.array([_label(v) for v in values], dtype=str)


def numbers(column: Any) -> np.ndarray:
    try:
        arr = np.asarray(column)
    except (ValueError, TypeError):
        arr = np.array([None])
    if arr.dtype.kind in "iubf" and arr.ndim == 1:
        return arr.astype(np.float64)
    return np.array([float(v) if is_number(v) else math.nan for v in column], dtype=np.float64)


def confusion_plots(g: Gathered) -> list[PlotDef]:
    defs = {p.id: p for p in g.base_pipeline.plots}
    defs.update({p.id: p for p in g.pipeline.plots})
    return [p for p in defs.values() if p.template.startswith("confusion")]


def source_for(g: Gathered, opts: PairedRows) -> Source | str:
    if opts.predictions:
        return Source(opts.predictions)
    found = confusion_plots(g)
    if len(found) != 1:
        what = "no confusion plot" if not found else f"{len(found)} confusion plots"
        return f"{what} in dvc.yaml to take per-example rows from"
    plot = found[0]
    files = {src for src, _y in plot.sources}
    if len(files) != 1:
        return f"the confusion plot {plot.id} has {len(files)} files; name one with `predictions:`"
    y = plot.y[0] if plot.y else next((y for _s, y in plot.sources if y), None)
    return Source(next(iter(files)), plot.x or "actual", y or "predicted")


def _table(data: bytes | None, why: str | None, path: str, side: str) -> dict[str, Any] | str:
    if data is None:
        return f"{path} {why or 'is absent'} at {side}"
    try:
        return parse_table(data, path)
    except PlotDataError as exc:
        return f"{exc} at {side}"


def align(base: Mapping[str, Any], head: Mapping[str, Any], src: Source) -> Paired | str:
    """Rows of both revisions in the same order: by `id`, else by order when the actual
    columns agree. A reason when they cannot be aligned."""
    import pandas as pd  # ~0.3 s: only for the files that need it

    for side, table in (("base", base), ("head", head)):
        for col in (src.actual, src.predicted):
            if col not in table:
                return f"{src.path} has no `{col}` column at {side} (columns: {', '.join(table)})"
    b_act, h_act = labels(base[src.actual]), labels(head[src.actual])
    order: np.ndarray | None = None
    how = "order"
    if "id" in base and "id" in head:
        b_ids, h_ids = pd.Index(labels(base["id"])), pd.Index(labels(head["id"]))
        for side, ids in (("base", b_ids), ("head", h_ids)):
            if not ids.is_unique:
                return f"{src.path}: the id column has repeated values at {side}"
        order = np.asarray(h_ids.get_indexer(b_ids))
        only_b = int(np.count_nonzero(order < 0))
        only_h = len(h_ids) - (len(b_ids) - only_b)
        if only_b or only_h:
            return (
                f"{src.path}: rows do not align: {only_b} id(s) only at base, {only_h} only at head"
            )
        h_act = h_act[order]
        how = "id"
    elif len(b_act) != len(h_act):
        return (
            f"{src.path}: lengths differ ({len(b_act):,} rows at base, {len(h_act):,} at head) "
            "and there is no `id` column to align them"
        )
    differ = int(np.count_nonzero(b_act != h_act))
    if differ:
        detail = "labels differ between base and head" if how == "id" else "actual columns differ"
        fix = "" if how == "id" else " and there is no `id` column"
        return f"{src.path}: {detail} at {differ:,} of {len(b_act):,} rows{fix}"

    def take(values: np.ndarray) -> np.ndarray:
        return values if order is None else values[order]

    def scores(table: Mapping[str, Any], head_side: bool) -> np.ndarray | None:
        name = next((c for c in SCORE_COLUMNS if c in table), None)
        if name is None:
            return None
        values = numbers(table[name])
        return take(values) if head_side else values

    return Paired(
        actual=b_act,
        base=labels(base[src.predicted]),
        head=take(labels(head[src.predicted])),
        base_score=scores(base, False),
        head_score=scores(head, True),
        aligned_by=how,
        head_row=order,
    )


def paired_evidence(g: Gathered, opts: PairedRows) -> Evidence:
    src = source_for(g, opts)
    if isinstance(src, str):
        return Evidence(paired_problem=src)
    b = g.base.read([src.path])[src.path]
    h = g.head.read([src.path])[src.path]
    base = _table(b.data, None if b.absent else b.error, src.path, f"base ({g.base_ref})")
    head = _table(h.data, None if h.absent else h.error, src.path, "head")
    for t in (base, head):
        if isinstance(t, str):
            return Evidence(paired_source=src.path, paired_problem=t)
    assert not isinstance(base, str) and not isinstance(head, str)
    found = align(base, head, src)
    if isinstance(found, str):
        return Evidence(paired_source=src.path, paired_problem=found)
    if opts.slices is None:
        return Evidence(paired=found, paired_source=src.path)
    cols = slices.read(base, head, found.head_row, opts.slices, src.path)  # issue 26
    if isinstance(cols, str):
        return Evidence(paired=found, paired_source=src.path, slices_problem=cols)
    return Evidence(paired=found, paired_source=src.path, slices=cols)


def history_values(
    g: Gathered, git: Git, wanted: Mapping[str, int], notes: list[str]
) -> tuple[dict[str, tuple[float, ...]], dict[str, str], dict[str, tuple[str, ...]]]:
    """For each `path:key` -> commits wanted: its values on the base branch (oldest first)."""
    if not wanted:
        return {}, {}, {}
    depth = max(wanted.values())
    problems: dict[str, str] = {}
    try:
        commits = first_parents(git, g.base_sha, depth)
        paths = sorted({name.rsplit(":", 1)[0] for name in wanted})
        blobs = read_at(git, commits, paths)
    except GitError as exc:
        return {}, dict.fromkeys(wanted, f"the base branch's history cannot be read: {exc}"), {}
    if len(commits) < depth:
        notes.append(
            f"history: the base branch has {len(commits)} commit(s) here, fewer than {depth} "
            "(a shallow clone? use `fetch-depth: 0` in actions/checkout)"
        )
    parsed: dict[tuple[str, str], Mapping[str, Any] | None] = {}
    cache = getattr(g.base, "cache", None)

    def cached(sha: str, path: str) -> bytes | None:
        """A DVC-tracked metrics file at `sha`, from the local DVC cache (hash-checked)."""
        if cache is None:
            return None
        try:
            return GitRevision(git, sha, sha[:7], cache=cache).read([path])[path].data
        except (GitError, InputError):
            return None

    values: dict[str, tuple[float, ...]] = {}
    used: dict[str, tuple[str, ...]] = {}
    for name, count in wanted.items():
        path, key = name.rsplit(":", 1)
        got: list[tuple[str, float]] = []
        missing = unreadable = 0
        for sha in commits[:count]:
            data = blobs.get((sha, path))
            if data is None:
                data = cached(sha, path)
            if data is None:
                missing += 1
                continue
            value = _value_at(parsed, sha, path, key, data)
            if value is None:
                unreadable += 1
                continue
            got.append((sha, value))
        notes += _history_notes(name, missing, unreadable, min(count, len(commits)))
        if len(got) < history.MIN_VALUES:
            problems[name] = (
                f"{len(got)} readable value(s) of {name} on the base branch's last "
                f"{min(count, len(commits))} commits; a noise band needs {history.MIN_VALUES}"
            )
        got.reverse()  # oldest first
        values[name] = tuple(v for _s, v in got)
        used[name] = tuple(s[:7] for s, _v in got)
    return values, problems, used


def _value_at(
    parsed: dict[tuple[str, str], Mapping[str, Any] | None],
    sha: str,
    path: str,
    key: str,
    data: bytes,
) -> float | None:
    """`key` of the metrics file `path` at `sha` (each file parsed once), or None when it
    is not a finite number."""
    if (sha, path) not in parsed:
        try:
            parsed[(sha, path)] = load_metrics(data, path)
        except InputError:
            parsed[(sha, path)] = None
    doc = parsed[(sha, path)]
    value: Any = None if doc is None else doc.get(key)
    if not is_number(value) or not math.isfinite(float(value)):
        return None
    return float(value)


def _history_notes(name: str, missing: int, unreadable: int, looked: int) -> list[str]:
    out = []
    if missing:
        out.append(
            f"history of {name}: {missing} of {looked} base-branch commits have the file neither "
            "in git nor in the local DVC cache (values only in a DVC remote are not fetched for "
            "history)"
        )
    if unreadable:
        out.append(f"history of {name}: {unreadable} value(s) unreadable, skipped")
    return out


def collect(g: Gathered, git: Git, notes: list[str]) -> tuple[dict[int, Evidence], list[Trend]]:
    """Evidence per rule index, for the rules whose kind asks for more than two scalars: each
    request served by its type, the base branch's history read once for all of them."""
    rules = g.config.gates
    wants = gatekinds.wants(rules)
    if not wants:
        return {}, []
    histories = [r for reqs in wants.values() for r in reqs if isinstance(r, MetricHistory)]
    wanted: dict[str, int] = {}
    for h in histories:
        for name in _matched(g, h.metric):
            wanted[name] = max(wanted.get(name, 0), h.commits)
    values, problems, used = history_values(g, git, wanted, notes)
    paired_cache: dict[PairedRows, Evidence] = {}  # rows per file (and slices)

    def serve(ev: Evidence, req: Request) -> Evidence:
        if isinstance(req, PairedRows):
            if req not in paired_cache:
                paired_cache[req] = paired_evidence(g, req)
            found = paired_cache[req]
            return dataclasses.replace(
                ev,
                paired=found.paired,
                paired_source=found.paired_source,
                paired_problem=found.paired_problem,
                slices=found.slices,
                slices_problem=found.slices_problem,
            )
        mine = {n: values.get(n, ())[-req.commits :] for n in _matched(g, req.metric)}
        return dataclasses.replace(
            ev,
            history=mine,
            history_problem={n: problems[n] for n in mine if n in problems},
            history_shas={n: used.get(n, ())[-len(v) :] if v else () for n, v in mine.items()},
        )

    out: dict[int, Evidence] = {}
    for i, requests in wants.items():
        ev = Evidence()
        for req in requests:
            ev = serve(ev, req)
        out[i] = ev
    return out, gatekinds.trends(rules, g.metrics, out)


def _matched(g: Gathered, pattern: str) -> list[str]:
    return [c.name for c in g.metrics.changes if matches(pattern, c.path, c.key)]
