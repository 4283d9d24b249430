"""Gate rules applied to a diff: pure, one verdict per (rule, metric) with a human message."""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mlgate.compare import Change, Diff
from mlgate.config import GateRule
from mlgate.metrics import Scalar, is_number
from mlgate.schema import did_you_mean

Outcome = Literal["pass", "fail", "warn", "skip"]

# Float noise (0.9 - 0.85 = 0.05000000000000004) must not fail a gate set to exactly 0.05. The
# allowance is relative to the values compared: an absolute one would swallow every change of a
# metric on a small scale (mse 1e-12 -> 5e-10, 500 times worse).
_REL = 1e-9


def _noise(*values: float) -> float:
    return _REL * max(abs(v) for v in values)


_MISSING: dict[str, Outcome] = {"fail": "fail", "warn": "warn", "ignore": "skip"}


@dataclass(frozen=True)
class GateResult:
    rule: GateRule
    metric: str  # `path:key`, or the rule's pattern when nothing matched
    outcome: Outcome
    message: str
    old: Scalar = None
    new: Scalar = None
    worsening: float | None = None  # how far it moved the wrong way; > 0 is worse
    # what a noise-aware kind (mlgate.gatekinds) based its verdict on, for result.json
    detail: Mapping[str, Any] | None = None

    @property
    def passed(self) -> bool:
        return self.outcome != "fail"


def fmt(x: float) -> str:
    return f"{x:.4g}"


def matches(pattern: str, path: str, key: str) -> bool:
    """`acc`, a glob on the key (`*.acc`), or `path:key` where both sides may be globs."""
    if ":" in pattern:
        path_pat, key_pat = pattern.rsplit(":", 1)
        return fnmatch.fnmatchcase(path, path_pat) and fnmatch.fnmatchcase(key, key_pat)
    return fnmatch.fnmatchcase(key, pattern)


def _bound_check(rule: GateRule, label: str, new: float) -> tuple[bool, str]:
    if rule.direction == "higher" and rule.min is not None and new < rule.min - _noise(rule.min):
        return False, f"{label} {fmt(new)} is below the minimum {fmt(rule.min)}"
    if rule.direction == "lower" and rule.max is not None and new > rule.max + _noise(rule.max):
        return False, f"{label} {fmt(new)} is above the maximum {fmt(rule.max)}"
    return True, ""


def _allowed_text(rule: GateRule) -> str:
    parts = []
    if rule.max_drop is not None:
        parts.append(fmt(rule.max_drop))
    if rule.max_drop_pct is not None:
        parts.append(f"{fmt(rule.max_drop_pct)}%")
    return " and ".join(parts) if parts else "0"


NO_BASELINE = "no baseline"  # how a reason starts when the base holds no results at all


def unreadable_base(rule: GateRule, change: Change, why: str) -> GateResult:
    """A base value that cannot be compared (unreadable file, NaN, text, no baseline at all)
    follows `on_missing_base`: fail closed by default, with the reason and the fix. An
    absolute bound on a numeric head value still applies: it needs no base."""
    no_baseline = why.startswith(NO_BASELINE)
    if rule.on_missing_base != "fail":
        fix = f"on_missing_base: {rule.on_missing_base}"
    elif no_baseline:
        fix = "or set `on_missing_base: warn` on this gate"
    else:
        fix = "fix that on the base branch, or set `on_missing_base: warn` on this gate"
    what = why if no_baseline else f"base value unreadable: {why}"
    outcome = _MISSING[rule.on_missing_base]
    message = f"{change.key}: {what}; {fix}"
    new = change.new
    if is_number(new) and math.isfinite(float(new)):  # type: ignore[arg-type]
        ok, bound_msg = _bound_check(rule, change.key, float(new))  # type: ignore[arg-type]
        if not ok:
            outcome, message = "fail", f"{bound_msg}; {what}"
    return GateResult(rule, change.name, outcome, message, change.old, new)


def evaluate_one(rule: GateRule, change: Change, base_error: str | None = None) -> GateResult:
    """One rule on one metric; `base_error` says why base's value could not be read."""
    label = change.key
    old, new = change.old, change.new

    def result(outcome: Outcome, message: str, worsening: float | None = None) -> GateResult:
        return GateResult(rule, change.name, outcome, message, old, new, worsening)

    if new is None:
        return result(
            _MISSING[rule.on_missing], f"{label} is missing on head (on_missing: {rule.on_missing})"
        )
    if not is_number(new):
        kind = "a boolean" if isinstance(new, bool) else "text"
        return result("fail", f"{label} is {kind} ({new!r}) on head; gates compare numbers")
    head = float(new)
    if math.isnan(head):
        return result("fail", f"{label} is NaN on head")
    if math.isinf(head):
        return result("fail", f"{label} is infinite on head ({new})")

    if change.status == "unknown":
        # Fail closed: a value that cannot be compared is not a pass, and not a new metric.
        why = base_error or "the base revision's file could not be read"
        return unreadable_base(rule, change, why)
    ok, bound_msg = _bound_check(rule, label, head)
    if old is None:
        if not ok:
            return result("fail", f"{bound_msg} (new metric, no base)")
        return result("pass", f"{label} is new ({fmt(head)}); no base to compare")
    if not is_number(old) or not math.isfinite(float(old)):
        return unreadable_base(rule, change, f"the base value {old!r} is not a finite number")

    base = float(old)
    delta = head - base
    worsening = -delta if rule.direction == "higher" else delta
    pct = worsening / abs(base) * 100.0 if base != 0 else (math.inf if worsening > 0 else 0.0)
    pct_text = f" ({abs(pct):.1f}%)" if math.isfinite(pct) else ""
    moved = "fell" if delta < 0 else "rose"
    movement = f"{label} {moved} {fmt(abs(delta))}{pct_text} from {fmt(base)} to {fmt(head)}"

    failures = []
    tol = _noise(base, head)
    if worsening > tol:
        if rule.strict:
            failures.append("allowed 0")
        if rule.max_drop is not None and worsening > rule.max_drop + tol:
            failures.append(f"allowed {fmt(rule.max_drop)}")
        if rule.max_drop_pct is not None and pct > rule.max_drop_pct + 1e-7:
            failures.append(f"allowed {fmt(rule.max_drop_pct)}%")
    if not ok:
        failures.append(bound_msg.replace(f"{label} {fmt(head)} ", ""))
    if failures:
        return result("fail", f"{movement}; {'; '.join(failures)}", worsening)
    if delta == 0:
        return result("pass", f"{label} unchanged at {fmt(head)}", 0.0)
    if worsening < 0:
        return result("pass", f"{movement} (better)", worsening)
    return result("pass", f"{movement}; within {_allowed_text(rule)}", worsening)


def unmatched(rule: GateRule, result: Diff) -> GateResult:
    """A rule no metric matches: `on_missing`, with the closest name found (a typo must not
    read as a missing metric only)."""
    names = {c.name if ":" in rule.metric else c.key for c in result.changes}
    return GateResult(
        rule,
        rule.metric,
        _MISSING[rule.on_missing],
        f"no metric matches {rule.metric!r} on head or base{did_you_mean(rule.metric, names)} "
        f"(on_missing: {rule.on_missing})",
    )


def evaluate(rules: Iterable[GateRule], result: Diff) -> tuple[GateResult, ...]:
    """Each rule against every metric it matches; a rule that matches nothing is `on_missing`."""
    out: list[GateResult] = []
    for rule in rules:
        matched = [c for c in result.changes if matches(rule.metric, c.path, c.key)]
        if not matched:
            out.append(unmatched(rule, result))
            continue
        out.extend(evaluate_one(rule, c, result.base_error(c)) for c in matched)
    return tuple(out)


def passed(results: Iterable[GateResult]) -> bool:
    return all(r.passed for r in results)


def worst(results: Iterable[GateResult]) -> GateResult | None:
    """The failure to name in a one-line status: largest relative worsening first."""
    failed = [r for r in results if r.outcome == "fail"]
    if not failed:
        return None

    def severity(r: GateResult) -> float:
        if r.worsening is None:
            return math.inf  # missing / NaN / not a number: worst of all
        base = abs(float(r.old)) if is_number(r.old) else 0.0  # type: ignore[arg-type]
        return r.worsening / base if base else r.worsening

    return max(failed, key=severity)


def direction_for(rules: Iterable[GateRule], path: str, key: str) -> str | None:
    for rule in rules:
        if matches(rule.metric, path, key):
            return rule.direction
    return None
