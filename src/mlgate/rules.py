"""The gate vocabulary: a rule from `.mlgate.yml`, the result of judging one metric by it, and
what a list of results says (passed, the worst failure). Pure; every gate kind speaks it."""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mlgate.metrics import Scalar, is_number

Direction = Literal["higher", "lower"]
OnMissing = Literal["fail", "warn", "ignore"]
Outcome = Literal["pass", "fail", "warn", "skip"]


@dataclass(frozen=True, kw_only=True)
class GateRule:
    metric: str
    direction: Direction = "higher"
    max_drop: float | None = None
    max_drop_pct: float | None = None
    min: float | None = None
    max: float | None = None
    on_missing: OnMissing = "fail"
    # when the base value cannot be read (file missing or corrupt at base, DVC object missing):
    # fail closed by default, since "unknown" must never pass as "new"
    on_missing_base: OnMissing = "fail"
    # which gate kind judges this rule (`mlgate.gatekinds`) and its own options; "scalar" is
    # the plain two-number comparison above
    kind: str = "scalar"
    options: Any = None
    warning: str | None = field(default=None, compare=False)  # see Config.warnings

    @property
    def strict(self) -> bool:
        """No tolerance and no bound given: any worsening fails."""
        return self.max_drop is None and self.max_drop_pct is None and self.bound is None

    @property
    def bound(self) -> float | None:
        return self.min if self.direction == "higher" else self.max


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


def matches(pattern: str, path: str, key: str) -> bool:
    """`acc`, a glob on the key (`*.acc`), or `path:key` where both sides may be globs."""
    if ":" in pattern:
        path_pat, key_pat = pattern.rsplit(":", 1)
        return fnmatch.fnmatchcase(path, path_pat) and fnmatch.fnmatchcase(key, key_pat)
    return fnmatch.fnmatchcase(key, pattern)


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
