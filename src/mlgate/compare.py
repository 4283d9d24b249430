"""Diff two revisions' values. Pure, and errors are carried beside the diff, as DVC does.

A `Snapshot` is what one revision holds: `{path: {key: value}}` plus `{path: error}` for files
that could not be read there. `diff()` pairs them key by key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mlgate.metrics import Flat, Scalar, is_number

# "unknown": head has the value, base has the file but it could not be read (see base_errors),
# or base holds the key with a null value.
Status = Literal["changed", "unchanged", "added", "removed", "unknown"]


@dataclass(frozen=True)
class Snapshot:
    """One revision's values: files that were read, and files that could not be."""

    values: Mapping[str, Flat] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    path: str
    key: str
    old: Scalar
    new: Scalar
    status: Status

    @property
    def name(self) -> str:
        return f"{self.path}:{self.key}"

    @property
    def diff(self) -> float | int | None:
        """new - old for numbers (booleans count as 0/1, as in DVC); None otherwise."""
        if _numeric_like(self.old) and _numeric_like(self.new):
            return self.new - self.old  # type: ignore[operator]
        return None

    @property
    def pct(self) -> float | None:
        """Relative change in percent of |old|; None when it has no meaning."""
        d = self.diff
        if d is None or not is_number(self.old) or not is_number(self.new):
            return None
        old = float(self.old)  # type: ignore[arg-type]
        if old == 0 or not math.isfinite(old):
            return None
        return float(d) / abs(old) * 100.0


def _numeric_like(value: Scalar) -> bool:
    return isinstance(value, bool | int | float)


def _same(old: Scalar, new: Scalar) -> bool:
    # Python equality, as in DVC: 1 == 1.0 == True, and NaN != NaN (a NaN always shows as changed).
    return old == new


@dataclass(frozen=True)
class Diff:
    changes: tuple[Change, ...]
    base_errors: Mapping[str, str] = field(default_factory=dict)
    head_errors: Mapping[str, str] = field(default_factory=dict)

    def base_error(self, change: Change) -> str | None:
        """Why the base value of `change` could not be read, if it could not."""
        if change.status != "unknown":
            return None
        return self.base_errors.get(change.path) or f"{change.key} is null at base"

    def changed(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.status != "unchanged")

    def find(self, path: str, key: str) -> Change | None:
        for change in self.changes:
            if change.path == path and change.key == key:
                return change
        return None


def diff(base: Snapshot, head: Snapshot) -> Diff:
    """Every key of either side, in a stable order (head's file order, then key order)."""
    paths = list(dict.fromkeys([*head.values, *base.values]))
    changes: list[Change] = []
    for path in paths:
        old_vals = base.values.get(path, {})
        new_vals = head.values.get(path, {})
        unreadable = path in base.errors
        for key in dict.fromkeys([*new_vals, *old_vals]):
            old = old_vals.get(key)
            new = new_vals.get(key)
            if old is None and new is None and key not in new_vals:
                continue  # a metric null at base and absent at head: DVC shows nothing
            status: Status
            if old is None and new is not None:
                # a key the base writes as null is unreadable there, never new (issue 20)
                status = "unknown" if unreadable or key in old_vals else "added"
            elif new is None and old is not None:
                status = "changed" if key in new_vals else "removed"  # a param set to null
            elif _same(old, new):
                status = "unchanged"
            else:
                status = "changed"
            changes.append(Change(path, key, old, new, status))
    return Diff(tuple(changes), base.errors, head.errors)


def to_dvc_json(result: Diff, *, include_unchanged: bool = False) -> dict[str, Any]:
    """The shape of `dvc metrics diff --json`, plus `diff_pct` where it has a meaning."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for change in result.changes:
        if change.status == "unchanged" and not include_unchanged:
            continue
        entry: dict[str, Any] = {"old": change.old, "new": change.new}
        if change.diff is not None:
            entry["diff"] = change.diff
        pct = change.pct
        if pct is not None:
            entry["diff_pct"] = pct
        out.setdefault(change.path, {})[change.key] = entry
    return out
