"""Slices on a `significance` gate (issue 26): the gate's overall verdict, with every slice of
the per-example rows tested beside it (`mlgate.slicetest`). The gate fails when the overall
comparison fails or any slice does; slices that cannot be formed fail it too (the column named),
unless `on_no_paired_data: plain`, which then gates on the overall comparison alone."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from mlgate import lazy
from mlgate.compare import Change
from mlgate.gatekinds import _common
from mlgate.gatekinds.base import Evidence
from mlgate.rules import GateResult, GateRule

if TYPE_CHECKING:  # the modules, typed; at run time loaded at first use (numpy: start-up)
    from mlgate import slicetest, stats
else:
    slicetest = lazy.module("mlgate.slicetest")
    stats = lazy.module("mlgate.stats")


FIX = (
    "slice by columns the predictions file has at both revisions, with the same value for the "
    "same id, or set `on_no_paired_data: plain` to gate on the overall comparison alone"
)


def beyond_for(rule: GateRule, metric: str) -> slicetest.Beyond | None:
    """A slice's drop against the gate's `max_drop`/`max_drop_pct` (in the per-example
    metric's own units and direction), or None when the gate sets neither."""
    if not _common.has_tolerance(rule):
        return None
    higher = stats.HIGHER_IS_BETTER[metric]
    tolerance = dataclasses.replace(rule, direction="higher" if higher else "lower")

    def beyond(base: float, head: float) -> bool:
        return _common.tolerance_exceeded(tolerance, Change("", metric, base, head, "changed"))

    return beyond


def unsliced(overall: GateResult, problem: str, on_no_paired_data: str) -> GateResult:
    detail = {**(overall.detail or {}), "slices": {"problem": problem}}
    if on_no_paired_data == "plain":
        message = f"{overall.message} (slices not tested: {problem})"
        return dataclasses.replace(overall, message=message, detail=detail)
    message = f"slices not tested: {problem}; {FIX}; overall: {overall.message}"
    return dataclasses.replace(overall, outcome="fail", message=message, detail=detail)


def with_slices(rule: GateRule, overall: GateResult, evidence: Evidence) -> GateResult:
    """`overall` (the paired comparison's verdict) with the gate's slices judged beside it."""
    opts = rule.options
    if opts.slices is None or evidence.paired is None:
        return overall
    if evidence.slices_problem is not None or not evidence.slices:
        problem = evidence.slices_problem or "the slice columns were not read"
        return unsliced(overall, problem, opts.on_no_paired_data)
    finding = slicetest.evaluate(
        evidence.paired,
        evidence.slices,
        slicetest.Test(opts.per_example, opts.ci, opts.positive),
        significance=opts.significance,
        min_rows=opts.slices.min_rows,
        beyond=beyond_for(rule, opts.per_example),
    )
    detail = {**(overall.detail or {}), "slices": slicetest.finding_json(finding)}
    line = slicetest.summary(finding)
    if finding.failed:
        message = f"{line}; overall: {overall.message}"
        return dataclasses.replace(overall, outcome="fail", message=message, detail=detail)
    return dataclasses.replace(overall, message=f"{overall.message}; slices: {line}", detail=detail)
