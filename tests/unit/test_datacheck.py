"""Drift statistics and data rules on summaries: pure, against known values."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from mlgate.datacheck import ColumnStats, Failure, TableSummary, compare
from mlgate.datarules import parse_data_rules
from mlgate.drift import ks_statistic, psi_categorical, psi_numeric
from mlgate.errors import ConfigError


def test_ks_statistic_equals_scipys() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 1, 500), rng.normal(0.3, 1.2, 700)
    assert ks_statistic(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)


def test_psi_is_zero_for_the_same_distribution_and_grows_with_a_shift() -> None:
    rng = np.random.default_rng(2)
    base = rng.normal(0, 1, 20_000)
    assert psi_numeric(base, base) == pytest.approx(0.0, abs=1e-12)
    small = psi_numeric(base, rng.normal(0.1, 1, 20_000))
    large = psi_numeric(base, rng.normal(1.0, 1, 20_000))
    assert 0 < small < 0.1 < 0.25 < large


def test_psi_of_categories_by_hand() -> None:
    # base 50/50, head 80/20: (0.8-0.5)ln(0.8/0.5) + (0.2-0.5)ln(0.2/0.5)
    expected = 0.3 * math.log(1.6) + (-0.3) * math.log(0.4)
    assert psi_categorical({"a": 50, "b": 50}, {"a": 80, "b": 20}) == pytest.approx(expected)


def summary(rows: int, **columns: ColumnStats) -> TableSummary:
    return TableSummary("t.csv", rows=rows, columns=dict(columns))


def numeric(name: str, values: list[float], missing: int = 0) -> ColumnStats:
    return ColumnStats(
        name, {"f"}, len(values), missing, np.asarray(values, float), numeric_seen=len(values)
    )


def test_compare_lists_added_removed_and_retyped_columns_and_sorts_by_drift() -> None:
    base = summary(
        3,
        a=numeric("a", [1, 2, 3]),
        b=numeric("b", [1, 2, 3]),
        c=ColumnStats("c", {"O"}, 3, 0, categories=Counter({"x": 3})),
    )
    head = summary(
        3,
        a=numeric("a", [10, 20, 30]),
        b=numeric("b", [1, 2, 3]),
        c=numeric("c", [1, 2, 3]),
        d=numeric("d", [1]),
    )
    change = compare("t.csv", base, head)
    assert change.status == "modified"
    assert change.added_columns == ["d"]
    assert [(c.name, c.base_type, c.head_type) for c in change.type_changes] == [
        ("c", "str", "float")
    ]
    assert change.columns[0].name == "a"  # the most drifted first
    assert change.columns[0].ks == 1.0


def test_rules_become_one_line_violations() -> None:
    [rule] = parse_data_rules(
        [
            {
                "path": "t.csv",
                "required": ["id", "gone"],
                "columns": {"a": {"max_missing": 0.1}, "renamed": {"min": 0}},
                "max_psi": 0.2,
                "max_ks": 0.5,
            }
        ],
        ".mlgate.yml",
    )
    base = summary(4, a=numeric("a", [1, 2, 3, 4]), id=numeric("id", [1, 2, 3, 4]))
    head = summary(4, a=numeric("a", [10, 20], missing=2), id=numeric("id", [1, 2, 3, 4]))
    head.failures = [Failure("id", "unique", 2, "2 repeated values")]
    messages = [v.message for v in compare("t.csv", base, head, rule).violations]
    assert messages == [
        "t.csv: required column 'gone' is missing",
        "t.csv: a: 50.00% missing, allowed 10.00%",
        "t.csv: column 'renamed' named by a rule is missing",
        "t.csv: id: 2 value(s) fail unique (e.g. 2 repeated values)",
        f"t.csv: a drifted: PSI {compare('t.csv', base, head).columns[0].psi:.3f} > 0.2",
        "t.csv: a drifted: KS 1.000 > 0.5",
    ]


def test_an_unreadable_head_fails_every_rule_of_its_file() -> None:
    [rule] = parse_data_rules(["t.csv"], ".mlgate.yml")
    head = TableSummary("t.csv", error="t.csv: cannot be read as a table: bad quote")
    [violation] = compare("t.csv", summary(1), head, rule).violations
    assert violation.message.startswith("t.csv: cannot be read as a table: bad quote")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"data": 5}, "data: expected a list"),
        ([{"columns": {}}], "data[0].path: required"),
        ([{"path": "x.csv", "columns": {"a": {"type": "number"}}}], "data[0].columns.a.type"),
        ([{"path": "x.csv", "max_psi": "high"}], "data[0].max_psi: expected a number"),
        ([{"path": "x.csv", "columns": {"a": {"max_missing": 2}}}], "from 0 to 1"),
        ([{"path": "x.csv", "colums": {}}], "unknown key 'colums'"),
    ],
)
def test_bad_rules_are_one_line_errors_naming_the_key(raw: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_data_rules(raw["data"] if isinstance(raw, dict) else raw, ".mlgate.yml")
