"""The `significance` gate: head vs base on the same test rows (exact McNemar test for accuracy
and error rate, a paired bootstrap CI for the other per-example metrics). It fails only when
the worsening is statistically significant and, where `max_drop`/`max_drop_pct` are set, larger
than they allow; `min`/`max` bounds apply as always."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mlgate import lazy, slicekeys
from mlgate.compare import Change
from mlgate.gatekinds import _common, _sliced, scalar
from mlgate.gatekinds.base import Evidence, Fail, PairedRows, Request, Trend
from mlgate.rules import GateResult, GateRule, Outcome
from mlgate.schema import shown

if TYPE_CHECKING:  # the modules, typed; at run time loaded at first use (numpy: start-up)
    from mlgate import slices as slicing
    from mlgate import stats
else:
    slicing = lazy.module("mlgate.slices")
    stats = lazy.module("mlgate.stats")


PREFIX = "per_example:"
KEYS = (
    *("significance", "ci", "per_example", "positive", "predictions", "on_no_paired_data"),
    *slicekeys.KEYS,  # `slices:`, `bins`, `min_slice_rows` (issue 26)
)
# metric-name words -> the per-example metric mlgate computes for them
_ALIASES = {
    "accuracy": "accuracy",
    "acc": "accuracy",
    "top1": "accuracy",
    "error": "error_rate",
    "error_rate": "error_rate",
    "err": "error_rate",
    "zero_one_loss": "error_rate",
    "precision": "precision",
    "prec": "precision",
    "recall": "recall",
    "rec": "recall",
    "sensitivity": "recall",
    "tpr": "recall",
    "f1": "f1",
    "f1_score": "f1",
    "auc": "auc",
    "roc_auc": "auc",
    "rocauc": "auc",
    "auroc": "auc",
    "mae": "mae",
    "rmse": "rmse",
}
NO_DATA_FIX = (
    "name a per-example file with `predictions:` on this gate (columns id, actual, predicted, "
    "score), or set `on_no_paired_data: plain`"
)


@dataclass(frozen=True)
class Options:
    significance: float
    ci: float
    per_example: str
    positive: str | None = None
    predictions: str | None = None
    on_no_paired_data: Literal["plain", "fail"] = "fail"
    slices: slicing.Options | None = None


def infer(metric: str) -> str | None:
    """The per-example metric a gate's metric name stands for (`eval.json:test_acc` -> accuracy)."""
    if metric.startswith(PREFIX):
        name = metric[len(PREFIX) :]
        return name if name in stats.PER_EXAMPLE else None
    key = metric.rsplit(":", 1)[-1].lower()
    last = re.split(r"[./\\\s-]+", key)[-1]
    for cand in (last, *last.split("_")[::-1]):
        if cand in _ALIASES:
            return _ALIASES[cand]
    return None


ROUNDING_CAP = 0.005  # a metric written as 0.8 still has to agree with its rows to 0.005


def agrees(metric: float, computed: float) -> bool:
    """`computed` equals `metric` within the rounding the metric was written with (its decimal
    places as Python prints it, at most ROUNDING_CAP), plus float noise."""
    text = repr(float(metric))
    decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 15
    tolerance = min(0.5 * 10.0**-decimals, ROUNDING_CAP) + 1e-9 * max(1.0, abs(metric))
    return abs(metric - computed) <= tolerance


def disagreement(change: Change, found: stats.Comparison, source: str) -> str | None:
    """Why the per-example rows are not evidence for this metric: the value they give differs
    from the gated metric's, at base or at head (a stale predictions file, or another metric)."""
    for side, metric, computed in (
        ("base", change.old, found.base_value),
        ("head", change.new, found.head_value),
    ):
        value = float(metric)  # type: ignore[arg-type]  # comparable(): finite numbers
        if not agrees(value, computed):
            return (
                f"the rows of {source or 'the per-example file'} give {found.metric} "
                f"{computed:.6g} at {side}, but {change.key} is {value:.6g} there: the file is "
                "stale (regenerate it with the metrics) or computes another metric (set "
                "`per_example:` or `positive:`)"
            )
    return None


class PairedKind:
    name: str = "significance"
    keys: tuple[str, ...] = KEYS

    def parse(self, raw: Mapping[str, Any], fail: Fail, where: str) -> Options | None:
        metric = str(raw.get("metric", ""))
        if not any(k in raw for k in KEYS) and not metric.startswith(PREFIX):
            return None
        ci = _common.number(raw, "ci", fail, where, lo=0.5, hi=0.9999)
        sig = _common.number(raw, "significance", fail, where, lo=0.0, hi=0.5)
        if sig is None:
            sig = 1.0 - ci if ci is not None else 0.05
        per = raw.get("per_example")
        if per is None:
            per = infer(metric)
            if per is None:
                raise fail(
                    f"{where}.per_example",
                    f"required: which per-example metric {metric!r} is; one of "
                    + ", ".join(stats.PER_EXAMPLE),
                )
        elif not isinstance(per, str) or per not in stats.PER_EXAMPLE:
            raise fail(
                f"{where}.per_example",
                f"expected one of {', '.join(stats.PER_EXAMPLE)}, got {shown(per)}",
            )
        positive = raw.get("positive")
        if positive is not None and (
            isinstance(positive, bool) or not isinstance(positive, str | int)
        ):
            raise fail(f"{where}.positive", f"expected a class label, got {shown(positive)}")
        predictions = raw.get("predictions")
        if predictions is not None and (
            not isinstance(predictions, str) or not predictions.strip()
        ):
            raise fail(
                f"{where}.predictions",
                f"expected the path of a per-example file, got {shown(predictions)}",
            )
        on_no = _common.choice(raw, "on_no_paired_data", ("plain", "fail"), fail, where)
        return Options(
            significance=sig,
            ci=ci if ci is not None else 0.95,
            per_example=per,
            positive=None if positive is None else str(positive),
            predictions=predictions.strip() if isinstance(predictions, str) else None,
            on_no_paired_data=on_no,  # type: ignore[arg-type]
            slices=slicing.parse(raw, fail, where),
        )

    def wants(self, rule: GateRule) -> tuple[Request, ...]:
        opts: Options = rule.options
        return (PairedRows(opts.predictions, opts.slices),)

    def trends(self, rule: GateRule, changes: Iterable[Change], evidence: Evidence) -> list[Trend]:
        return []

    @staticmethod
    def compare(opts: Options, evidence: Evidence) -> stats.Comparison | str:
        if evidence.paired is None:
            return evidence.paired_problem or "no per-example rows were found"
        try:
            return stats.compare(
                evidence.paired, opts.per_example, ci=opts.ci, positive=opts.positive
            )
        except stats.PairedDataError as exc:
            return f"{evidence.paired_source}: {exc}" if evidence.paired_source else str(exc)

    @staticmethod
    def judge(opts: Options, c: stats.Comparison) -> tuple[bool, bool]:
        """(worse, significantly worse)."""
        higher = stats.HIGHER_IS_BETTER[c.metric]
        worse = c.delta < -1e-12 if higher else c.delta > 1e-12
        if c.p_value is not None:
            return worse, worse and c.p_value < opts.significance
        return worse, worse and (c.ci_high < 0 if higher else c.ci_low > 0)

    def evaluate(
        self, rule: GateRule, change: Change, base_error: str | None, evidence: Evidence
    ) -> GateResult:
        opts: Options = rule.options
        plain = scalar.evaluate_one(rule, change, base_error)
        if not _common.comparable(change):
            return plain  # unreadable base, missing head, not a number: fail closed as ever
        found = self.compare(opts, evidence)
        what = "no paired per-example data"
        if not isinstance(found, str) and (
            stale := disagreement(change, found, evidence.paired_source)
        ):
            found, what = stale, "per-example rows that disagree with the metric"
        if isinstance(found, str):
            detail = {"kind": self.name, "problem": found}
            if opts.on_no_paired_data == "plain":
                note = f" (plain comparison: {what}: {found})"
                return dataclasses.replace(plain, message=plain.message + note, detail=detail)
            return dataclasses.replace(
                plain,
                outcome="fail",
                message=f"{change.key}: {what}: {found}; {NO_DATA_FIX}",
                detail=detail,
            )
        worse, significant = self.judge(opts, found)
        text = stats.describe(found, worse=worse, significant=significant)
        if found.metric != change.key:
            text = f"{change.key}: {text}"
        ok, bound = scalar.bound_check(rule, change.key, float(change.new))  # type: ignore[arg-type]
        has_tol = _common.has_tolerance(rule)
        beyond = _common.tolerance_exceeded(rule, change)
        failed = (significant and (beyond or not has_tol)) or not ok
        if significant and has_tol:
            text += "; beyond the allowed drop" if beyond else "; within the allowed drop"
        elif not significant and plain.outcome == "fail" and ok:
            text += " (a plain gate would fail)"
        if not ok:
            text += f"; {bound}"
        overall = dataclasses.replace(
            plain,
            outcome="fail" if failed else "pass",
            message=text,
            detail=self.detail(found, evidence, significant),
        )
        return _sliced.with_slices(rule, overall, evidence)

    def evaluate_unmatched(self, rule: GateRule, evidence: Evidence) -> GateResult | None:
        if not rule.metric.startswith(PREFIX):
            return None
        opts: Options = rule.options
        found = self.compare(opts, evidence)
        if isinstance(found, str):
            # nothing to fall back on: a per-example metric has no plain value
            outcome: Outcome = "fail" if opts.on_no_paired_data == "fail" else "warn"
            return GateResult(
                rule, rule.metric, outcome, f"{rule.metric}: no paired per-example data: {found}"
            )
        worse, significant = self.judge(opts, found)
        text = stats.describe(found, worse=worse, significant=significant)
        # `min`/`max` apply as always: to the per-example metric's head value
        ok, bound = scalar.bound_check(rule, found.metric, float(found.head_value))
        if not ok:
            text += f"; {bound}"
        overall = GateResult(
            rule,
            rule.metric,
            "fail" if significant or not ok else "pass",
            text,
            found.base_value,
            found.head_value,
            abs(found.delta) if worse else -abs(found.delta),
            self.detail(found, evidence, significant),
        )
        return _sliced.with_slices(rule, overall, evidence)

    def detail(self, c: stats.Comparison, evidence: Evidence, significant: bool) -> dict[str, Any]:
        paired = evidence.paired
        return {
            "kind": self.name,
            "per_example": c.metric,
            "source": evidence.paired_source,
            "aligned_by": paired.aligned_by if paired is not None else None,
            "rows": c.rows,
            "base": c.base_value,
            "head": c.head_value,
            "delta": c.delta,
            "ci": [c.ci_low, c.ci_high],
            "ci_level": c.ci,
            "resamples": c.resamples,
            "method": c.method,
            "mcnemar_p": c.p_value,
            "only_base_right": c.only_base,
            "only_head_right": c.only_head,
            "significant": significant,
        }


KIND = PairedKind()
