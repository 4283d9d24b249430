"""Option parsing and verdict helpers shared by the gate kinds."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from mlgate.compare import Change
from mlgate.gatekinds import scalar
from mlgate.gatekinds.base import Fail
from mlgate.metrics import is_number
from mlgate.rules import GateRule
from mlgate.schema import shown


def number(
    raw: Mapping[str, Any], key: str, fail: Fail, where: str, *, lo: float, hi: float
) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise fail(f"{where}.{key}", f"expected a number, got {shown(value)}")
    if not lo < value <= hi:
        raise fail(
            f"{where}.{key}", f"expected a number above {lo:g} and at most {hi:g}, got {value}"
        )
    return float(value)


def choice(
    raw: Mapping[str, Any], key: str, choices: tuple[str, ...], fail: Fail, where: str
) -> str:
    value = raw.get(key, choices[-1])
    if not isinstance(value, str) or value not in choices:
        raise fail(f"{where}.{key}", f"expected one of {', '.join(choices)}, got {shown(value)}")
    return value


def has_tolerance(rule: GateRule) -> bool:
    return rule.max_drop is not None or rule.max_drop_pct is not None


def tolerance_exceeded(rule: GateRule, change: Change) -> bool:
    """Whether the plain comparison's `max_drop`/`max_drop_pct` (bounds aside) fails."""
    if not has_tolerance(rule):
        return False
    plain = dataclasses.replace(rule, min=None, max=None, kind="scalar", options=None)
    return scalar.evaluate_one(plain, change).outcome == "fail"


def comparable(change: Change) -> bool:
    """Both values are finite numbers: otherwise the scalar kind's fail-closed rules decide."""
    if change.status == "unknown" or not is_number(change.old) or not is_number(change.new):
        return False
    return math.isfinite(float(change.old)) and math.isfinite(float(change.new))  # type: ignore[arg-type]
