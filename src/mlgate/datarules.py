"""`.mlgate.yml` `data:`: the tabular files to check and their rules. Parsed strictly. Pure.

    data:
      - path: data/train.csv          # a file, or a directory of tabular files
        required: [age, label]        # columns that must exist
        columns:
          age: {type: int, min: 0, max: 120, max_missing: 0.01}
          label: {allowed: [0, 1]}
          id: {unique: true}
        max_psi: 0.2                  # drift of any numeric or categorical column vs base
        max_ks: 0.1                   # two-sample Kolmogorov-Smirnov statistic, numeric columns

The value rules (type, min, max, allowed, unique) take pandera's vocabulary and are checked with
pandera (`sources.tables`); drift and missing rates are computed by mlgate (`datacheck`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mlgate.schema import check_keys, choice, fail, number, shown

TYPES = ("int", "float", "str", "bool", "datetime")
RULE_KEYS = ("path", "required", "columns", "max_psi", "max_ks")
COLUMN_KEYS = ("type", "min", "max", "allowed", "unique", "max_missing")
TABULAR = (".csv", ".tsv", ".parquet", ".jsonl", ".ndjson")


@dataclass(frozen=True, kw_only=True)
class ColumnRule:
    name: str
    type: str | None = None
    min: float | None = None
    max: float | None = None
    allowed: tuple[Any, ...] | None = None
    unique: bool = False
    max_missing: float | None = None  # a fraction of the rows, 0 to 1


@dataclass(frozen=True, kw_only=True)
class DataRule:
    path: str
    required: tuple[str, ...] = ()
    columns: tuple[ColumnRule, ...] = ()
    max_psi: float | None = None
    max_ks: float | None = None

    @property
    def has_value_checks(self) -> bool:
        return any(
            c.type or c.min is not None or c.max is not None or c.allowed or c.unique
            for c in self.columns
        )


def is_tabular(path: str) -> bool:
    return path.lower().endswith(TABULAR)


def _column(name: str, raw: Any, source: str, where: str) -> ColumnRule:
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise fail(source, where, "expected a mapping of rules (type, min, max, allowed, ...)")
    check_keys(raw, COLUMN_KEYS, source, where)
    kind = choice(raw.get("type"), TYPES, "", source, f"{where}.type") or None
    allowed = raw.get("allowed")
    if allowed is not None and (
        not isinstance(allowed, list)
        or not all(isinstance(v, str | int | float | bool) for v in allowed)
    ):
        raise fail(source, f"{where}.allowed", "expected a list of values")
    unique = raw.get("unique", False)
    if not isinstance(unique, bool):
        raise fail(source, f"{where}.unique", f"expected true or false, got {shown(unique)}")
    max_missing = number(raw.get("max_missing"), source, f"{where}.max_missing", non_negative=True)
    if max_missing is not None and max_missing > 1:
        raise fail(source, f"{where}.max_missing", "a fraction of the rows, from 0 to 1")
    return ColumnRule(
        name=name,
        type=kind,
        min=number(raw.get("min"), source, f"{where}.min"),
        max=number(raw.get("max"), source, f"{where}.max"),
        allowed=tuple(allowed) if allowed is not None else None,
        unique=unique,
        max_missing=max_missing,
    )


def parse_data_rules(raw: Any, source: str) -> tuple[DataRule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise fail(source, "data", "expected a list of `- path: ...` entries")
    rules = []
    for i, entry in enumerate(raw):
        where = f"data[{i}]"
        item = {"path": entry} if isinstance(entry, str) else entry
        if not isinstance(item, Mapping):
            raise fail(source, where, "expected a path or a mapping with `path:`")
        check_keys(item, RULE_KEYS, source, where)
        path = item.get("path")
        if not isinstance(path, str) or not path.strip():
            raise fail(source, f"{where}.path", "required: a tabular file or a directory")
        required = item.get("required") or []
        if not isinstance(required, list) or not all(isinstance(c, str) for c in required):
            raise fail(source, f"{where}.required", "expected a list of column names")
        columns = item.get("columns") or {}
        if not isinstance(columns, Mapping):
            raise fail(source, f"{where}.columns", "expected a mapping of column names to rules")
        rules.append(
            DataRule(
                path=path.strip(),
                required=tuple(required),
                columns=tuple(
                    _column(str(n), r, source, f"{where}.columns.{n}") for n, r in columns.items()
                ),
                max_psi=number(item.get("max_psi"), source, f"{where}.max_psi", non_negative=True),
                max_ks=number(item.get("max_ks"), source, f"{where}.max_ks", non_negative=True),
            )
        )
    return tuple(rules)
