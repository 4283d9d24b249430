"""The report as data: verdict, gates, metric rows, changed params, notes. Pure, no I/O.

`build()` turns a diff and gate results into a `Report`; `render.markdown` turns that into text.
`result_json()` is the machine-readable twin written as `result.json`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from mlgate import gatekinds
from mlgate import rules as gates_mod
from mlgate.compare import Change, Diff
from mlgate.direction import infer as infer_direction
from mlgate.gatekinds.base import Evidence
from mlgate.metrics import Scalar, format_value, is_number
from mlgate.rules import GateResult, GateRule

if TYPE_CHECKING:  # annotations only: the data checks load numpy when there are data to check
    from mlgate.datacheck import TableChange

Judgement = Literal["better", "worse", "same", "unknown"]


@dataclass(frozen=True)
class MetricRow:
    change: Change
    direction: str | None
    judgement: Judgement
    gated: bool

    @property
    def arrow(self) -> str:
        d = self.change.diff
        if d is None or (isinstance(d, float) and math.isnan(d)):
            return ""
        return "↑" if d > 0 else "↓" if d < 0 else "→"


@dataclass(frozen=True)
class PlotEntry:
    """A chart in the report: an image path (relative to the report) and/or inline Markdown."""

    id: str
    title: str
    image: str | None = None
    mermaid: str | None = None
    caption: str = ""
    data_table: str = ""  # Markdown table with the numbers, shown collapsed
    note: str = ""


@dataclass(frozen=True)
class DataChange:
    path: str
    status: Literal["added", "modified", "deleted"]
    old_size: int | None = None
    new_size: int | None = None


@dataclass(frozen=True)
class Training:
    command: str
    exit_code: int
    ran: tuple[str, ...] = ()
    cached: tuple[str, ...] = ()  # restored from DVC's run-cache, not run
    seconds: float = 0.0
    output_tail: str = ""
    durations: dict[str, float] = field(default_factory=dict)  # seconds per stage that ran
    unchanged: tuple[str, ...] = ()  # deps and params as recorded: nothing to run


@dataclass(frozen=True)
class BaseSource:
    """Where the base's values came from when the base commit holds no results (issue 14): a
    training of the base in this job, a cached one, or the results branch."""

    kind: Literal["trained", "cached", "stored", "failed"]
    summary: str  # one line for the log and the report
    training: Training | None = None  # the base's own training, when it ran in this job


@dataclass(frozen=True)
class Report:
    title: str
    passed: bool
    verdict: str
    base_ref: str
    base_sha: str
    head_label: str
    head_sha: str | None
    gates: tuple[GateResult, ...]
    metrics: tuple[MetricRow, ...]
    params: tuple[Change, ...]
    base_errors: tuple[tuple[str, str], ...] = ()
    head_errors: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    plots: tuple[PlotEntry, ...] = ()
    data_changes: tuple[DataChange, ...] = ()
    data_changes_more: int = 0
    training: Training | None = None
    tables: tuple[TableChange, ...] = ()  # data checks: tabular files that changed
    extra: dict[str, Any] = field(default_factory=dict)
    baseline: BaseSource | None = None

    @property
    def failed_gates(self) -> tuple[GateResult, ...]:
        return tuple(g for g in self.gates if g.outcome == "fail")


def judge(change: Change, direction: str | None) -> Judgement:
    d = change.diff
    if d is None or not is_number(change.old) or not is_number(change.new):
        return "unknown"
    if isinstance(d, float) and math.isnan(d):
        return "unknown"
    if d == 0:
        return "same"
    if direction is None:
        return "unknown"
    return "better" if (d > 0) == (direction == "higher") else "worse"


def metric_rows(result: Diff, rules: Sequence[GateRule]) -> tuple[MetricRow, ...]:
    rows = []
    for change in result.changes:
        gated = gates_mod.direction_for(rules, change.path, change.key)
        direction = gated or infer_direction(change.key)
        rows.append(MetricRow(change, direction, judge(change, direction), gated is not None))
    return tuple(rows)


def verdict_line(
    results: Sequence[GateResult], has_metrics: bool, data_rules: int = 0
) -> tuple[bool, str]:
    failed = [r for r in results if r.outcome == "fail"]
    warned = [r for r in results if r.outcome == "warn"]
    if failed:
        worst = gates_mod.worst(failed)
        assert worst is not None
        n = len(failed)
        noun = "gate" if len(results) == 1 else "gates"
        return False, f"{n} of {len(results)} {noun} failed: {worst.message}"
    if not results and data_rules:  # only the data rules gate this run, and they held
        files = "file" if data_rules == 1 else "files"
        return True, f"data rules held on {data_rules} {files}; no metric gates configured"
    if not results:
        if not has_metrics:
            return True, "no metrics found and no gates configured"
        return True, "no gates configured; metrics shown for information"
    tail = f" ({len(warned)} with warnings)" if warned else ""
    noun = "gate" if len(results) == 1 else "gates"
    return True, f"all {len(results)} {noun} passed{tail}"


def stale_gates(
    results: Sequence[GateResult], stale: Mapping[str, str] | None
) -> tuple[GateResult, ...]:
    """A gate judged on a head value that is stale (`sources.stale`: its stage's inputs changed
    and the pipeline was not re-run) fails with the reason and the fix: stale is no evidence."""
    out = []
    for r in results:
        path, _, key = r.metric.rpartition(":")
        why = (stale or {}).get(path)
        if why and r.outcome in ("pass", "warn"):
            out.append(
                dataclasses.replace(r, outcome="fail", message=f"{key} at head is stale: {why}")
            )
        else:
            out.append(r)
    return tuple(out)


def build(
    *,
    title: str,
    base_ref: str,
    base_sha: str,
    head_label: str,
    head_sha: str | None,
    metrics: Diff,
    params: Diff,
    rules: Sequence[GateRule],
    notes: Iterable[str] = (),
    plots: Iterable[PlotEntry] = (),
    data_changes: Sequence[DataChange] = (),
    data_changes_cap: int = 50,
    training: Training | None = None,
    tables: Sequence[TableChange] = (),
    baseline: BaseSource | None = None,
    evidence: Mapping[int, Evidence] | None = None,
    stale: Mapping[str, str] | None = None,
    data_rules: int = 0,
    config_problem: str | None = None,
) -> Report:
    # each rule by its kind (mlgate.gatekinds), evidence per rule index from mlgate.evidence;
    # then each data rule a head file breaks; then the governing config, when unreadable
    results = (*gatekinds.evaluate(rules, metrics, evidence), *data_gates(tables))
    results = (*stale_gates(results, stale), *config_gate(config_problem))
    passed, verdict = verdict_line(results, bool(metrics.changes), data_rules)
    if training is not None and training.exit_code != 0:
        passed = False
        verdict = f"training failed (exit {training.exit_code}): {training.command}"
    return Report(
        title=title,
        passed=passed,
        verdict=verdict,
        base_ref=base_ref,
        base_sha=base_sha,
        head_label=head_label,
        head_sha=head_sha,
        gates=results,
        metrics=metric_rows(metrics, rules),
        params=params.changed(),
        base_errors=tuple(sorted(metrics.base_errors.items())),
        head_errors=tuple(sorted(metrics.head_errors.items())),
        notes=tuple(notes),
        plots=tuple(plots),
        data_changes=tuple(data_changes[:data_changes_cap]),
        data_changes_more=max(0, len(data_changes) - data_changes_cap),
        training=training,
        tables=tuple(tables),
        baseline=baseline,
    )


def data_gates(tables: Sequence[TableChange]) -> tuple[GateResult, ...]:
    """Each data rule a head file breaks, as a failed gate in the same verdict as the metrics."""
    return tuple(
        # worsening 0: named in the one-line verdict only when no metric gate failed
        GateResult(
            GateRule(metric=f"data:{t.path}"), f"data: {v.rule}", "fail", v.message, worsening=0.0
        )
        for t in tables
        for v in t.violations
    )


def config_gate(problem: str | None) -> tuple[GateResult, ...]:
    """The base branch's `.mlgate.yml` that cannot be read, as a failed gate: its gates are the
    ones that decide the merge, so none can pass until it is fixed there (issue 20)."""
    if problem is None:
        return ()
    message = f"the base branch's .mlgate.yml cannot be read: {problem}; fix it on the base branch"
    return (GateResult(GateRule(metric=".mlgate.yml"), ".mlgate.yml", "fail", message),)


def _json_value(value: Scalar | float) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return format_value(value)  # JSON has no NaN; keep it readable
    return value


def result_json(report: Report, **extra: Any) -> dict[str, Any]:
    return {
        "passed": report.passed,
        "verdict": report.verdict,
        "base": {"ref": report.base_ref, "sha": report.base_sha},
        "head": {"label": report.head_label, "sha": report.head_sha},
        "gates": [_gate_json(g) for g in report.gates],
        "metrics": [
            {
                "path": r.change.path,
                "metric": r.change.key,
                "old": _json_value(r.change.old),
                "new": _json_value(r.change.new),
                "diff": _json_value(r.change.diff),
                "status": r.change.status,
                "judgement": r.judgement,
            }
            for r in report.metrics
        ],
        "params": [
            {"path": c.path, "param": c.key, "old": _json_value(c.old), "new": _json_value(c.new)}
            for c in report.params
        ],
        "errors": {"base": dict(report.base_errors), "head": dict(report.head_errors)},
        "plots": [p.image for p in report.plots if p.image],
        "data": [_table_json(t) for t in report.tables],
        **({"baseline": _baseline_json(report.baseline)} if report.baseline else {}),
        **extra,
    }


def _gate_json(g: GateResult) -> dict[str, Any]:
    return {
        "metric": g.metric,
        "rule": g.rule.metric,
        "direction": g.rule.direction,
        "outcome": g.outcome,
        "passed": g.passed,
        "message": g.message,
        "old": _json_value(g.old),
        "new": _json_value(g.new),
        **({"evidence": dict(g.detail)} if g.detail else {}),
    }


def _table_json(t: TableChange) -> dict[str, Any]:
    return {
        "path": t.path,
        "status": t.status,
        "rows": {"base": t.base_rows, "head": t.head_rows},
        "sampled": t.sampled,
        "columns": [
            {
                "name": c.name,
                "type": {"base": c.base_type, "head": c.head_type},
                "missing": {"base": c.base_missing, "head": c.head_missing},
                "ks": _json_value(c.ks),
                "psi": _json_value(c.psi),
            }
            for c in t.columns
        ],
        "violations": [v.message for v in t.violations],
    }


def _baseline_json(source: BaseSource) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": source.kind, "summary": source.summary}
    if source.training is not None:
        t = source.training
        out["training"] = {
            "command": t.command,
            "exit_code": t.exit_code,
            "seconds": round(t.seconds, 3),
            "output_tail": t.output_tail,
        }
    return out
