"""What changed in a tabular file between base and head, and whether head still meets its rules.
Pure: takes two summaries (`sources.tables`), returns data; the drift statistics per column are
in `drift`.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from mlgate.datarules import DataRule
from mlgate.drift import ks_statistic, psi_categorical, psi_numeric

SAMPLE = 100_000  # values kept per numeric column: a uniform reservoir sample (sources.tables)


@dataclass
class ColumnStats:
    """One column of one file, summarized in one pass (filled by `sources.tables`)."""

    name: str
    kinds: set[str] = field(default_factory=set)  # numpy dtype kinds seen: i, u, f, b, O, M
    count: int = 0  # values present
    missing: int = 0
    sample: npt.NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    numeric_seen: int = 0
    categories: Counter[str] = field(default_factory=Counter)
    hashes: list[npt.NDArray[np.uint64]] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """int, float, bool, datetime or str: what the column holds over the whole file."""
        if not self.kinds:
            return "empty"
        if self.kinds <= {"i", "u"}:
            return "int"
        if self.kinds <= {"i", "u", "f"}:
            return "float"
        if self.kinds == {"b"}:
            return "bool"
        if self.kinds == {"M"}:
            return "datetime"
        return "str"

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "float")

    @property
    def missing_rate(self) -> float:
        total = self.count + self.missing
        return self.missing / total if total else 0.0


@dataclass(frozen=True)
class Failure:
    column: str
    check: str
    count: int
    example: str


@dataclass
class TableSummary:
    path: str
    rows: int = 0
    columns: dict[str, ColumnStats] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    error: str | None = None

    @property
    def sampled(self) -> bool:
        return any(c.numeric_seen > SAMPLE for c in self.columns.values())


@dataclass(frozen=True)
class ColumnChange:
    name: str
    base_type: str | None  # None: the column is not at base
    head_type: str | None
    base_missing: float | None
    head_missing: float | None
    ks: float | None = None
    psi: float | None = None
    base_sample: npt.NDArray[np.float64] | None = None  # for histograms
    head_sample: npt.NDArray[np.float64] | None = None

    @property
    def drift(self) -> float:
        """One number to sort by: the larger of PSI and KS."""
        return max(self.psi or 0.0, self.ks or 0.0)


@dataclass(frozen=True)
class DataViolation:
    rule: str  # e.g. `data/train.csv: age: min`
    message: str


@dataclass(frozen=True)
class TableChange:
    path: str
    status: str  # added, modified, deleted, unchanged
    base_rows: int | None
    head_rows: int | None
    columns: tuple[ColumnChange, ...] = ()
    violations: tuple[DataViolation, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)
    sampled: bool = False

    @property
    def added_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.base_type is None]

    @property
    def removed_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.head_type is None]

    @property
    def type_changes(self) -> list[ColumnChange]:
        return [
            c for c in self.columns if c.base_type and c.head_type and c.base_type != c.head_type
        ]


def _column(name: str, base: ColumnStats | None, head: ColumnStats | None) -> ColumnChange:
    change = ColumnChange(
        name,
        base.kind if base else None,
        head.kind if head else None,
        base.missing_rate if base else None,
        head.missing_rate if head else None,
    )
    if base is None or head is None or "empty" in (base.kind, head.kind):
        return change  # no values on a side: no statistic (a drift rule then fails, with why)
    if base.numeric and head.numeric:
        return dataclasses.replace(
            change,
            ks=ks_statistic(base.sample, head.sample),
            psi=psi_numeric(base.sample, head.sample),
            base_sample=base.sample,
            head_sample=head.sample,
        )
    if not base.numeric and not head.numeric:
        return dataclasses.replace(
            change, psi=psi_categorical(dict(base.categories), dict(head.categories))
        )
    return change  # a type change numeric <-> text is shown as such, not as a drift


def compare(
    path: str,
    base: TableSummary | None,
    head: TableSummary | None,
    rule: DataRule | None = None,
    *,
    same_bytes: bool = False,
    base_error: str | None = None,
) -> TableChange:
    """One file's change. `base`/`head` None: the revision does not have it, unless
    `base_error` says why base's could not be read (then drift rules fail closed)."""
    notes = [s.error for s in (base, head) if s is not None and s.error]
    if base_error:
        notes.append(f"base: {base_error}")
    status = (
        "base unreadable"
        if base_error
        else "missing"
        if base is None and head is None
        else "added"
        if base is None
        else "deleted"
        if head is None
        else "unchanged"
        if same_bytes
        else "modified"
    )
    usable_base = base if base is not None and not base.error else None
    usable_head = head if head is not None and not head.error else None
    columns: tuple[ColumnChange, ...] = ()
    if usable_base is not None and usable_head is not None:
        names = dict.fromkeys([*usable_head.columns, *usable_base.columns])
        found = [_column(n, usable_base.columns.get(n), usable_head.columns.get(n)) for n in names]
        columns = tuple(sorted(found, key=lambda c: -c.drift if math.isfinite(c.drift) else 0))
    violations: tuple[DataViolation, ...] = ()
    if rule is not None:
        violations = tuple(_violations(path, rule, head, columns))
        if rule.max_psi is not None or rule.max_ks is not None:
            violations += tuple(_no_drift_evidence(path, base, head, columns, base_error))
    return TableChange(
        path,
        status,
        usable_base.rows if usable_base is not None else None,
        usable_head.rows if usable_head is not None else None,
        columns,
        violations,
        tuple(notes),
        sampled=bool(
            (usable_base and usable_base.sampled) or (usable_head and usable_head.sampled)
        ),
    )


def _violations(
    path: str, rule: DataRule, head: TableSummary | None, columns: Sequence[ColumnChange]
) -> list[DataViolation]:
    """Every rule head breaks, each a one-line reason; a file that cannot be read fails all."""
    if head is None:
        return [DataViolation(f"{path}", f"{path} is not at head; its data rules cannot hold")]
    if head.error:
        return [DataViolation(f"{path}", f"{head.error}; its data rules cannot be checked")]
    found: list[DataViolation] = []
    if head.rows == 0 and (rule.required or rule.columns):
        found.append(
            DataViolation(f"{path}: rows", f"{path} has no rows: its rules hold on nothing")
        )
    found += _required_violations(path, rule, head)
    found += _column_violations(path, rule, head)
    found += [
        DataViolation(
            f"{path}: {failure.column}: {failure.check}",
            f"{path}: {failure.column}: {failure.count:,} value(s) fail {failure.check} "
            f"(e.g. {failure.example})",
        )
        for failure in head.failures
    ]
    return found + _drift_violations(path, rule, columns)


def _required_violations(path: str, rule: DataRule, head: TableSummary) -> list[DataViolation]:
    """A required column that is missing at head, or present with no values."""
    found: list[DataViolation] = []
    for name in rule.required:
        if name not in head.columns:
            found.append(
                DataViolation(f"{path}: {name}", f"{path}: required column {name!r} is missing")
            )
        elif head.rows and head.columns[name].count == 0:
            found.append(
                DataViolation(
                    f"{path}: {name}",
                    f"{path}: required column {name!r} has no values (100% missing)",
                )
            )
    return found


def _column_violations(path: str, rule: DataRule, head: TableSummary) -> list[DataViolation]:
    """A column rule whose column is missing, has no values to check, or misses too many."""
    found: list[DataViolation] = []
    for col in rule.columns:
        stats = head.columns.get(col.name)
        if stats is None:
            if col.name not in rule.required:
                found.append(
                    DataViolation(
                        f"{path}: {col.name}",
                        f"{path}: column {col.name!r} named by a rule is missing",
                    )
                )
            continue
        checks = [k for k in ("type", "min", "max", "allowed") if getattr(col, k) not in (None, ())]
        if checks and head.rows and stats.count == 0 and col.name not in rule.required:
            found.append(
                DataViolation(
                    f"{path}: {col.name}: {checks[0]}",
                    f"{path}: {col.name}: no values to check {', '.join(checks)} against (100% "
                    "missing; missing values are not checked by these rules: bound them with "
                    "`max_missing`)",
                )
            )
        if col.max_missing is not None and stats.missing_rate > col.max_missing + 1e-12:
            found.append(
                DataViolation(
                    f"{path}: {col.name}: max_missing",
                    f"{path}: {col.name}: {stats.missing_rate:.2%} missing, allowed "
                    f"{col.max_missing:.2%}",
                )
            )
    return found


def _drift_violations(
    path: str, rule: DataRule, columns: Sequence[ColumnChange]
) -> list[DataViolation]:
    """A column whose PSI or KS against base is over the rule's bound."""
    found: list[DataViolation] = []
    for change in columns:
        if rule.max_psi is not None and _finite(change.psi) and (change.psi or 0) > rule.max_psi:
            found.append(
                DataViolation(
                    f"{path}: {change.name}: max_psi",
                    f"{path}: {change.name} drifted: PSI {change.psi:.3f} > {rule.max_psi:g}",
                )
            )
        if rule.max_ks is not None and _finite(change.ks) and (change.ks or 0) > rule.max_ks:
            found.append(
                DataViolation(
                    f"{path}: {change.name}: max_ks",
                    f"{path}: {change.name} drifted: KS {change.ks:.3f} > {rule.max_ks:g}",
                )
            )
    return found


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(value)


def _no_drift_evidence(
    path: str,
    base: TableSummary | None,
    head: TableSummary | None,
    columns: Sequence[ColumnChange],
    base_error: str | None,
) -> list[DataViolation]:
    """A drift rule holds only on evidence (issue 20): unreadable or empty data on either side,
    or a column whose statistic cannot be computed (no values on a side, a type change), fails
    `max_psi`/`max_ks` with the reason."""
    rule_name = f"{path}: drift"
    if base_error or (base is not None and base.error):
        why = base_error or (base.error if base is not None else "")
        return [
            DataViolation(
                rule_name, f"{path}: drift cannot be checked, the base data is unreadable: {why}"
            )
        ]
    if base is None or head is None or head.error:
        return []  # a file new or gone, or unreadable at head: said by the other rules
    for side, summary in (("base", base), ("head", head)):
        if summary.rows == 0:
            return [DataViolation(rule_name, f"{path}: drift cannot be checked: no rows at {side}")]
    found = []
    for c in columns:
        if c.base_type is None or c.head_type is None:
            continue  # a column added or removed: not a drift (`required` names columns)
        if _finite(c.psi) or _finite(c.ks):
            continue
        if c.base_type == "empty" or c.head_type == "empty":
            side = "base" if c.base_type == "empty" else "head"
            why = f"no values at {side} (100% missing)"
        elif c.base_type != c.head_type:
            why = f"its type changed from {c.base_type} to {c.head_type}"
        else:
            why = "no finite values on a side"
        found.append(
            DataViolation(
                f"{path}: {c.name}: drift", f"{path}: {c.name}: drift cannot be computed: {why}"
            )
        )
    return found
