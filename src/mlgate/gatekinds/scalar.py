"""The scalar kind: the plain comparison of two numbers, base and head, by the rule's direction,
tolerances (`max_drop`, `max_drop_pct`) and bounds (`min`, `max`). Pure. Every other kind falls
back on it where its own evidence cannot judge (an unreadable base, a missing head value)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from mlgate.compare import Change, Diff
from mlgate.gatekinds.base import Evidence, Fail, Request, Trend
from mlgate.metrics import is_number
from mlgate.rules import GateResult, GateRule, Outcome, matches
from mlgate.schema import did_you_mean

# Float noise (0.9 - 0.85 = 0.05000000000000004) must not fail a gate set to exactly 0.05. The
# allowance is relative to the values compared: an absolute one would swallow every change of a
# metric on a small scale (mse 1e-12 -> 5e-10, 500 times worse).
_REL = 1e-9


def _noise(*values: float) -> float:
    return _REL * max(abs(v) for v in values)


_MISSING: dict[str, Outcome] = {"fail": "fail", "warn": "warn", "ignore": "skip"}


def fmt(x: float) -> str:
    return f"{x:.4g}"


def bound_check(rule: GateRule, label: str, new: float) -> tuple[bool, str]:
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
        ok, bound_msg = bound_check(rule, change.key, float(new))  # type: ignore[arg-type]
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
    ok, bound_msg = bound_check(rule, label, head)
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
    """Each rule as a plain comparison against every metric it matches; a rule that matches
    nothing is `on_missing`."""
    out: list[GateResult] = []
    for rule in rules:
        matched = [c for c in result.changes if matches(rule.metric, c.path, c.key)]
        if not matched:
            out.append(unmatched(rule, result))
            continue
        out.extend(evaluate_one(rule, c, result.base_error(c)) for c in matched)
    return tuple(out)


class ScalarKind:
    """The default kind: a rule that uses no other kind's keys."""

    name: str = "scalar"
    keys: tuple[str, ...] = ()

    def parse(self, raw: Any, fail: Fail, where: str) -> None:
        return None  # no options of its own: the rule's common keys are all it reads

    def wants(self, rule: GateRule) -> tuple[Request, ...]:
        return ()

    def evaluate(
        self, rule: GateRule, change: Change, base_error: str | None, evidence: Evidence
    ) -> GateResult:
        return evaluate_one(rule, change, base_error)

    def evaluate_unmatched(self, rule: GateRule, evidence: Evidence) -> GateResult | None:
        return None

    def trends(self, rule: GateRule, changes: Iterable[Change], evidence: Evidence) -> list[Trend]:
        return []


KIND = ScalarKind()
