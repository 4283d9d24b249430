"""Slices (issue 26), the pure core: `slices:` options, columns cut into slices, the slice
columns read from both revisions, Holm's correction, per-slice verdicts, the gate's message
and the slice table."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlgate import gatekinds, slices, slicetest, stats
from mlgate.compare import Snapshot, diff
from mlgate.config import parse_config
from mlgate.errors import ConfigError
from mlgate.evidence import Source, align
from mlgate.gatekinds.base import Evidence
from mlgate.render import slicetable
from mlgate.rules import GateRule
from mlgate.stats import Paired


def rule(**raw: Any) -> GateRule:
    return parse_config({"gates": [{"metric": "accuracy", **raw}]}).gates[0]


def judge(r: GateRule, ev: Evidence) -> Any:
    """The gate on metrics.json's accuracy, which its rows agree with (issue 20 checks that)."""
    assert ev.paired is not None
    c = stats.compare(ev.paired, "accuracy", resamples=10)
    old, new = c.base_value, c.head_value
    d = diff(
        Snapshot({"metrics.json": {"accuracy": old}}), Snapshot({"metrics.json": {"accuracy": new}})
    )
    (result,) = gatekinds.evaluate([r], d, {0: ev})
    return result


def planted(drop: float, *, n: int = 4000, seed: int = 0, small: int = 0) -> tuple[Paired, Any]:
    """Binary rows in four regions (A-D, `small` more rows in E) at 85% accuracy; the head gets
    `drop` of region C's rows wrong that base had right, and as many right elsewhere, so the
    overall accuracy is the same."""
    rng = np.random.default_rng(seed)
    region = np.array(list("ABCD"))[np.arange(n) % 4]
    region = np.concatenate([region, np.array(["E"] * small)])
    n += small
    y = rng.integers(0, 2, n)
    b_ok = rng.random(n) < 0.85
    h_ok = b_ok.copy()
    c = region == "C"
    turn = rng.choice(np.flatnonzero(c & h_ok), round(drop * c.sum()), replace=False)
    h_ok[turn] = False
    fix = rng.choice(np.flatnonzero(~c & ~h_ok & (region != "E")), len(turn), replace=False)
    h_ok[fix] = True
    paired = Paired(y, np.where(b_ok, y, 1 - y), np.where(h_ok, y, 1 - y))
    return paired, region.astype(object)


def column(values: Any, bins: int = 4, name: str = "region") -> slices.Column:
    found = slices.code(name, values, bins)
    assert isinstance(found, slices.Column), found
    return found


# --- options ---------------------------------------------------------------------------------


def test_slices_make_a_significance_gate_with_defaults() -> None:
    r = rule(slices=["region", "age"])
    assert r.kind == "significance"
    assert r.options.slices == slices.Options(("region", "age"), bins=4, min_rows=30)
    assert r.options.significance == 0.05
    assert rule(slices="region", bins=10, min_slice_rows=5).options.slices == slices.Options(
        ("region",), 10, 5
    )
    assert rule(significance=0.05).options.slices is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"slices": []}, "gates[0].slices: expected a list of column names, got a list"),
        ({"slices": [1]}, "gates[0].slices: expected a list of column names, got a list"),
        ({"bins": 4}, "gates[0].slices: expected a list of column names, got nothing"),
        ({"slices": ["a", "a"]}, "gates[0].slices: column 'a' is named twice"),
        ({"slices": ["a"], "bins": 1}, "gates[0].bins: expected a whole number from 2 to 100"),
        ({"slices": ["a"], "bins": 2.5}, "gates[0].bins: expected a whole number from 2 to 100"),
        ({"slices": ["a"], "min_slice_rows": 0}, "gates[0].min_slice_rows: expected a whole"),
        ({"slices": ["a"], "max_drop_sigma": 3}, "one gate cannot be both `significance` and"),
    ],
)
def test_bad_slice_options_are_one_line_config_errors(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        rule(**raw)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


# --- one column ------------------------------------------------------------------------------


def test_a_text_column_is_a_slice_per_value_and_missing_values_their_own() -> None:
    col = column(["b", "a", None, "b", "", "NA", float("nan"), "a"])
    assert col.labels == ("a", "b", slices.MISSING)
    assert col.codes.tolist() == [1, 0, 2, 1, 2, 2, 2, 0]
    assert not col.binned


def test_a_numeric_column_with_few_values_is_sliced_by_value() -> None:
    col = column([3, 1.0, 2, 3, 1])
    assert (col.labels, col.codes.tolist()) == (("1", "2", "3"), [2, 0, 1, 2, 0])


def test_a_numeric_column_with_many_values_is_cut_into_quantile_bins() -> None:
    ages = np.arange(18, 98, dtype=np.float64)  # 80 distinct values
    col = column(np.concatenate([ages, [np.nan]]), bins=4)
    assert col.binned
    assert col.labels == ("[18, 37.8)", "[37.8, 57.5)", "[57.5, 77.2)", "[77.2, 97]", "(missing)")
    assert np.bincount(col.codes).tolist() == [20, 20, 20, 20, 1]


def test_bin_edges_get_the_digits_that_tell_them_apart() -> None:
    col = column(1000 + np.arange(100) / 1000, bins=2)
    assert col.labels == ("[1000, 1000.05)", "[1000.05, 1000.1]")


def test_booleans_and_mixed_values_are_text() -> None:
    assert column([True, False, True]).labels == ("False", "True")
    assert column([1, "x", 1.0]).labels == ("1", "x")


def test_more_than_a_thousand_slices_is_refused_suggesting_bins() -> None:
    found = slices.code("user", [f"u{i}" for i in range(1001)], 4)
    assert found == (
        "slice column `user` has 1,001 distinct values: more than 1,000 slices; slice by a "
        "coarser column, or write it as numbers and cut it into quantile bins with `bins`"
    )
    assert isinstance(slices.code("user", [f"u{i}" for i in range(1000)], 4), slices.Column)


# --- both revisions --------------------------------------------------------------------------

BASE = {"id": [1, 2, 3, 4], "actual": [0, 1, 0, 1], "predicted": [0, 1, 1, 1], "g": list("xyxy")}


def read(base: dict[str, Any], head: dict[str, Any]) -> dict[str, slices.Column] | str:
    paired = align(base, head, Source("p.csv"))
    assert isinstance(paired, Paired), paired
    return slices.read(base, head, paired.head_row, slices.Options(("g",)), "p.csv")


def test_slice_columns_follow_the_rows_aligned_by_id() -> None:
    head = {k: v[::-1] for k, v in BASE.items()}  # head writes its rows in another order
    found = read(BASE, head)
    assert isinstance(found, dict)
    assert found["g"].labels == ("x", "y")
    assert found["g"].codes.tolist() == [0, 1, 0, 1]


@pytest.mark.parametrize(
    ("base", "head", "reason"),
    [
        (
            {k: v for k, v in BASE.items() if k != "g"},
            {k: v for k, v in BASE.items() if k != "g"},
            "p.csv has no `g` column to slice by (columns: id, actual, predicted)",
        ),
        (
            BASE,
            {k: v for k, v in BASE.items() if k != "g"},
            "slice column `g` of p.csv is at base only, not at both revisions",
        ),
        (
            {**BASE, "g": list("xyxx")},
            {**{k: v[::-1] for k, v in BASE.items()}, "g": list("yyyx")},  # ids 4 and 3 differ
            "slice column `g` of p.csv differs between base and head at 2 of 4 rows (same id): "
            "a slice must hold the same rows at both",
        ),
        (
            {**BASE, "g": ["x", None, "x", "y"]},
            {**BASE, "g": ["x", "y", "x", "y"]},
            "slice column `g` of p.csv differs between base and head at 1 of 4 rows (same id)",
        ),
    ],
)
def test_slice_columns_that_cannot_be_formed_give_the_column(
    base: dict[str, Any], head: dict[str, Any], reason: str
) -> None:
    found = read(base, head)
    assert isinstance(found, str)
    assert found.startswith(reason)


def test_numbers_and_their_text_are_the_same_value_at_both_revisions() -> None:
    # a larger file is read by pandas (floats with NaN), a smaller one by the csv module
    base = {**BASE, "g": [1.0, 2.0, math.nan, 2.0]}
    head = {**BASE, "g": [1, 2, "", 2]}
    found = read(base, head)
    assert isinstance(found, dict)
    assert found["g"].labels == ("1", "2", slices.MISSING)
    as_text = read(base, {**BASE, "g": ["1", "2", "NA", "2"]})  # JSON text at one revision
    assert isinstance(as_text, dict)
    assert read(base, {**BASE, "g": ["1", "3", "NA", "2"]}) == (
        "slice column `g` of p.csv differs between base and head at 1 of 4 rows (same id): "
        "a slice must hold the same rows at both"
    )


# --- Holm ------------------------------------------------------------------------------------


def test_holm_by_hand() -> None:
    # sorted 0.01, 0.02, 0.03, 0.5 times 4, 3, 2, 1 -> 0.04, 0.06, 0.06 (kept monotone), 0.5
    assert slicetest.holm([0.03, 0.01, 0.5, 0.02]) == pytest.approx([0.06, 0.04, 0.5, 0.06])
    assert slicetest.holm([0.9, 0.8]) == [1.0, 1.0]
    assert slicetest.holm([]) == []


@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=30), st.floats(0.001, 0.2))
def test_holm_rejects_what_the_step_down_procedure_rejects(ps: list[float], alpha: float) -> None:
    """Holm's procedure as written: sort, reject while p_(i) <= alpha / (m - i + 1)."""
    order = sorted(range(len(ps)), key=lambda i: ps[i])
    rejected = set()
    for rank, i in enumerate(order):
        if ps[i] > alpha / (len(ps) - rank):
            break
        rejected.add(i)
    adjusted = slicetest.holm(ps)
    clear = [i for i in range(len(ps)) if not math.isclose(adjusted[i], alpha, rel_tol=1e-9)]
    assert {i for i in clear if adjusted[i] <= alpha} == rejected & set(clear)


# --- per-slice verdicts ----------------------------------------------------------------------


def evaluate(paired: Paired, region: Any, metric: str = "accuracy", **kw: Any) -> Any:
    cols = {"region": column(region)}
    kw.setdefault("min_rows", 30)
    return slicetest.evaluate(
        paired, cols, slicetest.Test(metric), significance=kw.pop("significance", 0.05), **kw
    )


def test_a_planted_drop_in_one_region_fails_it_alone() -> None:
    paired, region = planted(0.15)
    f = evaluate(paired, region)
    assert [s.name for s in f.failed] == ["region=C"]
    worst = f.failed[0]
    assert worst.comparison is not None and worst.comparison.delta == pytest.approx(-0.15, abs=1e-3)
    assert worst.p_holm == pytest.approx(min(1.0, 4 * (worst.p or 0)))  # the smallest of 4
    assert stats.compare(paired, "accuracy").delta == 0.0  # overall: the same accuracy
    assert slicetest.summary(f).startswith("accuracy in region=C fell 15.0 pts (0.8")
    assert ", McNemar p = " in slicetest.summary(f)
    assert "Holm-adjusted p = " in slicetest.summary(f)


def test_no_drop_no_failed_slice() -> None:
    paired, region = planted(0.0)
    f = evaluate(paired, region)
    assert f.failed == ()
    assert f.tested == 4
    assert slicetest.summary(f).startswith(
        "no slice significantly worse after Holm's correction (4 tested)"
    )


def test_a_slice_under_min_rows_is_listed_not_tested() -> None:
    paired, region = planted(0.15, small=12)
    f = evaluate(paired, region)
    (e,) = [s for s in f.slices if s.label == "E"]
    assert (e.status, e.rows, e.p, e.note) == (
        "too few rows",
        12,
        None,
        "12 row(s), fewer than min_slice_rows (30)",
    )
    assert f.tested == 4
    assert f.slices[-1] is e  # untested last


def counted(per_slice: list[tuple[int, int, int, int]]) -> tuple[Paired, Any]:
    """Rows with, per slice s0, s1, ..., the counts (both right, only base, only head, neither);
    every actual label is 1, so a prediction of 1 is right."""
    y: list[int] = []
    b: list[int] = []
    h: list[int] = []
    names: list[str] = []
    for i, counts in enumerate(per_slice):
        for n, (b_ok, h_ok) in zip(counts, [(1, 1), (1, 0), (0, 1), (0, 0)], strict=True):
            y += [1] * n
            b += [b_ok] * n
            h += [h_ok] * n
            names += [f"s{i}"] * n
    return Paired(np.array(y), np.array(b), np.array(h)), np.array(names, dtype=object)


def test_holm_holds_a_drop_that_one_test_alone_would_call_significant() -> None:
    """16 slices: one with p = 0.031 (14 rows only base got right, 4 only head) would fail on
    its own; after Holm's correction over 16 it does not."""
    paired, names = counted([(250, 14, 4, 32)] + [(250, 5, 5, 40)] * 15)
    f = evaluate(paired, names)
    worst = f.worst
    assert worst is not None and worst.name == "region=s0"
    assert worst.p == pytest.approx(0.0309, abs=1e-4)
    assert worst.p_holm == pytest.approx(16 * worst.p)
    assert worst.status == "within noise"
    assert f.failed == ()
    alone = evaluate(*counted([(250, 14, 4, 32)]))
    assert [s.name for s in alone.failed] == ["region=s0"]


def test_a_slice_of_one_class_is_still_compared_on_accuracy() -> None:
    y = np.array([1] * 40 + [0, 1] * 20)
    b = y.copy()
    h = y.copy()
    h[:20] = 0  # 20 of the 40 rows of slice "pos" go wrong
    f = evaluate(Paired(y, b, h), np.array(["pos"] * 40 + ["mix"] * 40, dtype=object))
    assert [s.name for s in f.failed] == ["region=pos"]


def test_bootstrap_metrics_use_its_p_value_with_enough_resamples() -> None:
    paired, region = planted(0.15)
    f = evaluate(paired, region, metric="f1", significance=0.01)
    assert [s.name for s in f.failed] == ["region=C"]
    assert f.resamples == 10_000
    worst = f.failed[0]
    assert worst.comparison is not None and worst.comparison.p_value is None
    assert worst.p == pytest.approx(2 / 10_001)  # no resample on the other side of zero
    assert slicetest.resamples_for(64, 0.01) == 25_600  # floor 2/(R+1) under 0.01/64/2
    assert slicetest.resamples_for(10_000, 0.001) == slicetest.MAX_RESAMPLES


def test_a_slice_where_the_metric_has_no_value_is_listed_with_why() -> None:
    y = np.array(["a"] * 40 + ["a", "b"] * 20)
    f = evaluate(Paired(y, y, y), np.array(["one"] * 40 + ["two"] * 40, dtype=object), "f1")
    (one,) = [s for s in f.slices if s.label == "one"]
    assert (one.status, one.note) == (
        "not tested",
        "only one class (a) in the actual column: f1 cannot be compared",
    )


# --- the gate --------------------------------------------------------------------------------


def evidence(paired: Paired, region: Any, **kw: Any) -> Evidence:
    return Evidence(paired=paired, paired_source="p.csv", slices={"region": column(region)}, **kw)


def test_the_gate_fails_naming_the_worst_slice_with_the_overall_beside() -> None:
    paired, region = planted(0.15)
    res = judge(rule(slices=["region"]), evidence(paired, region))
    assert res.outcome == "fail"
    assert res.message.startswith("accuracy in region=C fell 15.0 pts")
    assert "(1 of 4 slices failed); overall: accuracy +0.0 pts, 95% CI [" in res.message
    assert res.message.endswith(": not worse")
    found = res.detail["slices"]
    assert (found["tested"], found["failed"], found["worst"]) == (4, 1, "region=C")
    assert found["slices"][0]["slice"] == "C"
    assert found["slices"][0]["only_head_right"] == 0


def test_the_gate_passes_with_no_drop_and_says_so() -> None:
    paired, region = planted(0.0)
    res = judge(rule(slices=["region"]), evidence(paired, region))
    assert res.outcome == "pass"
    assert "; slices: no slice significantly worse after Holm's correction (4 tested)" in (
        res.message
    )


def test_max_drop_lets_a_significant_slice_drop_within_it_pass() -> None:
    paired, region = planted(0.15)
    res = judge(rule(slices=["region"], max_drop=0.2), evidence(paired, region))
    assert res.outcome == "pass"
    (c,) = [s for s in res.detail["slices"]["slices"] if s["slice"] == "C"]
    assert c["status"] == "allowed"
    assert judge(rule(slices=["region"], max_drop=0.1), evidence(paired, region)).outcome == "fail"


def test_slices_that_cannot_be_formed_fail_the_gate_or_fall_back() -> None:
    paired, _region = planted(0.0)
    problem = "p.csv has no `region` column to slice by (columns: id, actual, predicted)"
    ev = Evidence(paired=paired, paired_source="p.csv", slices_problem=problem)
    res = judge(rule(slices=["region"]), ev)
    assert res.outcome == "fail"
    assert res.message.startswith(f"slices not tested: {problem}; slice by columns")
    assert "`on_no_paired_data: plain`" in res.message
    plain = judge(rule(slices=["region"], on_no_paired_data="plain"), ev)
    assert plain.outcome == "pass"
    assert plain.message.endswith(f"(slices not tested: {problem})")


def test_a_per_example_metric_with_no_metrics_file_is_sliced_too() -> None:
    paired, region = planted(0.15)
    r = rule(metric="per_example:accuracy", slices=["region"])
    (res,) = gatekinds.evaluate(
        [r], diff(Snapshot({}), Snapshot({})), {0: evidence(paired, region)}
    )
    assert res.outcome == "fail"
    assert res.message.startswith("accuracy in region=C fell")


# --- the table -------------------------------------------------------------------------------


def test_the_slice_table_is_capped_and_escapes_names() -> None:
    paired, _region = planted(0.15, n=4000)
    names = np.array([f"[x](y)_{i % 80}" for i in range(4000)], dtype=object)
    ev = Evidence(paired=paired, slices={"g": column(names, name="g")})
    res = judge(rule(slices=["g"], min_slice_rows=1), ev)
    (section,) = slicetable.sections([res])
    assert section.title.startswith("metrics.json:accuracy: accuracy by g: exact McNemar test")
    assert "over 80 slices at 0.05" in section.title
    assert section.overall.startswith("overall: accuracy 0.8")
    assert "*Showing 50 of 80 slices: failed first, then the largest drops.*" in section.table
    assert "*…and 30 more slices: every slice is in `result.json`" in section.table
    assert "g=\\[x\\]\\(y\\)\\_" in section.table
    assert "[x](y)" not in section.table
