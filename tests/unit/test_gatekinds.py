"""Gate kinds: option parsing, the `significance` and `max_drop_sigma` verdicts on given
evidence, fail-closed fallbacks, and plain rules unchanged (a property test)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlgate import gatekinds
from mlgate.compare import Snapshot, diff
from mlgate.config import parse_config
from mlgate.errors import ConfigError
from mlgate.evidence import Source, align
from mlgate.gatekinds import scalar as gates
from mlgate.gatekinds.base import Evidence
from mlgate.rules import GateRule
from mlgate.stats import Paired

from .test_props_core import FLAT, RULES


def rule(**raw: Any) -> GateRule:
    return parse_config({"gates": [{"metric": "accuracy", **raw}]}).gates[0]


def rows(both: int, only_base: int, only_head: int, neither: int) -> Paired:
    """Binary rows with the given counts of (base right, head right) combinations."""
    y, b, h = [], [], []
    for n, b_ok, h_ok in ((both, 1, 1), (only_base, 1, 0), (only_head, 0, 1), (neither, 0, 0)):
        for i in range(n):
            label = str(i % 2)
            other = str(1 - i % 2)
            y.append(label)
            b.append(label if b_ok else other)
            h.append(label if h_ok else other)
    return Paired(np.array(y), np.array(b), np.array(h))


def judge(r: GateRule, old: Any, new: Any, ev: Evidence, key: str = "accuracy") -> Any:
    d = diff(Snapshot({"metrics.json": {key: old}}), Snapshot({"metrics.json": {key: new}}))
    (result,) = gatekinds.evaluate([r], d, {0: ev})
    return result


# --- parsing ---------------------------------------------------------------------------------


def test_plain_rules_stay_scalar() -> None:
    assert rule(max_drop=0.01) == GateRule(metric="accuracy", max_drop=0.01)


def test_significance_options_and_defaults() -> None:
    r = rule(significance=0.01, max_drop=0.01)
    assert r.kind == "significance"
    assert (r.options.significance, r.options.ci, r.options.per_example) == (0.01, 0.95, "accuracy")
    assert r.options.on_no_paired_data == "fail"
    assert rule(metric="eval.json:val_f1", ci=0.9).options.per_example == "f1"
    assert rule(metric="eval.json:val_f1", ci=0.9).options.significance == pytest.approx(0.1)
    assert rule(metric="per_example:rmse").options.per_example == "rmse"


def test_history_options() -> None:
    r = rule(max_drop_sigma=3)
    assert r.kind == "max_drop_sigma"
    assert (r.options.sigma, r.options.commits, r.options.on_no_history) == (3.0, 20, "fail")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"significance": 0.7}, "gates[0].significance: expected a number above 0 and at most 0.5"),
        ({"significance": "yes"}, 'gates[0].significance: expected a number, got "yes"'),
        ({"ci": 1.5}, "gates[0].ci: expected a number above 0.5"),
        ({"per_example": "bleu", "significance": 0.05}, "gates[0].per_example: expected one of"),
        (
            {"metric": "val_score", "significance": 0.05},
            "gates[0].per_example: required: which per-example metric 'val_score' is",
        ),
        ({"on_no_paired_data": "pass", "significance": 0.05}, "expected one of plain, fail"),
        ({"predictions": "", "significance": 0.05}, "gates[0].predictions: expected the path"),
        ({"history": 10}, "gates[0].max_drop_sigma: required"),
        ({"max_drop_sigma": 3, "history": 2}, "gates[0].history: expected a number of base-branch"),
        (
            {"max_drop_sigma": 3, "significance": 0.05},
            "one gate cannot be both `significance` and `max_drop_sigma`",
        ),
        ({"signficance": 0.05}, "unknown key 'signficance' .did you mean 'significance'"),
    ],
)
def test_bad_options_are_one_line_config_errors(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")) as info:
        parse_config({"gates": [{"metric": "accuracy", **raw}]})
    assert "\n" not in str(info.value)


# --- significance ----------------------------------------------------------------------------


def test_a_drop_of_two_rows_in_171_is_within_noise() -> None:
    r = rule(max_drop=0.01, significance=0.05)
    # the metric values are the rows' own (163 and 161 of 171 right): issue 20 fails rows that
    # contradict the gated metric
    res = judge(r, 0.9532, 0.9415, Evidence(paired=rows(160, 3, 1, 7), paired_source="c.csv"))
    assert res.outcome == "pass"
    assert "McNemar p = 0.62 (3 of 171 rows right only at base, 1 only at head): within noise" in (
        res.message
    )
    assert res.message.endswith("(a plain gate would fail)")


def test_a_significant_drop_beyond_max_drop_fails() -> None:
    r = rule(max_drop=0.01, significance=0.05)
    res = judge(r, 0.91, 0.86, Evidence(paired=rows(850, 60, 10, 80)))
    assert res.outcome == "fail"
    assert "significant; beyond the allowed drop" in res.message


def test_a_significant_drop_within_max_drop_passes() -> None:
    r = rule(max_drop=0.2, significance=0.05)
    res = judge(r, 0.91, 0.86, Evidence(paired=rows(850, 60, 10, 80)))
    assert res.outcome == "pass"
    assert "significant; within the allowed drop" in res.message


def test_bounds_still_apply() -> None:
    r = rule(min=0.99, significance=0.05)
    res = judge(r, 0.9532, 0.9415, Evidence(paired=rows(160, 3, 1, 7)))
    assert res.outcome == "fail"
    assert "below the minimum 0.99" in res.message


def test_no_paired_data_fails_closed_by_default_and_says_how_to_fix() -> None:
    res = judge(rule(significance=0.05), 0.96, 0.95, Evidence(paired_problem="no confusion plot"))
    assert res.outcome == "fail"
    assert res.message == (
        "accuracy: no paired per-example data: no confusion plot; name a per-example file with "
        "`predictions:` on this gate (columns id, actual, predicted, score), or set "
        "`on_no_paired_data: plain`"
    )


def test_no_paired_data_falls_back_to_plain_when_allowed() -> None:
    r = rule(significance=0.05, max_drop=0.001, on_no_paired_data="plain")
    res = judge(r, 0.96, 0.95, Evidence(paired_problem="lengths differ"))
    assert res.outcome == "fail"
    assert res.message.endswith("(plain comparison: no paired per-example data: lengths differ)")


def test_bad_rows_become_the_reason() -> None:
    one_class = Paired(np.array(["a"] * 4), np.array(["a"] * 4), np.array(["b"] * 4))
    r = rule(metric="f1", significance=0.05)
    res = judge(r, 0.9, 0.8, Evidence(paired=one_class, paired_source="p.csv"), key="f1")
    assert res.outcome == "fail"
    assert "no paired per-example data: p.csv: only one class (a)" in res.message


def test_unreadable_base_still_fails_closed() -> None:
    r = rule(significance=0.05)
    d = diff(
        Snapshot({}, {"metrics.json": "corrupt"}), Snapshot({"metrics.json": {"accuracy": 0.9}})
    )
    (res,) = gatekinds.evaluate([r], d, {0: Evidence(paired=rows(10, 1, 1, 1))})
    assert res.outcome == "fail"
    assert "base value unreadable" in res.message


def test_a_per_example_metric_with_no_metrics_file() -> None:
    r = rule(metric="per_example:accuracy")
    empty = diff(Snapshot({}), Snapshot({}))
    (res,) = gatekinds.evaluate([r], empty, {0: Evidence(paired=rows(850, 60, 10, 80))})
    assert res.outcome == "fail"
    assert res.old == pytest.approx(910 / 1000) and res.new == pytest.approx(860 / 1000)
    (missing,) = gatekinds.evaluate([r], empty, {0: Evidence(paired_problem="none")})
    assert missing.outcome == "fail"


# --- history ---------------------------------------------------------------------------------

HISTORY = (0.950, 0.955, 0.948, 0.952, 0.951, 0.949)  # σ ≈ 0.0024


def hist(values: tuple[float, ...] = HISTORY, **why: str) -> Evidence:
    return Evidence(history={"metrics.json:accuracy": values}, history_problem=why)


def test_a_drop_within_the_band_passes() -> None:
    res = judge(rule(max_drop_sigma=3), 0.951, 0.946, hist())
    assert res.outcome == "pass"
    assert "base branch's last 6 values: mean 0.9508, σ 0.002483" in res.message
    assert "within 3σ: within noise" in res.message


def test_a_drop_beyond_the_band_fails() -> None:
    res = judge(rule(max_drop_sigma=3), 0.951, 0.93, hist())
    assert res.outcome == "fail"
    assert "drop 8.5σ, beyond 3σ" in res.message


def test_no_history_fails_closed_or_falls_back() -> None:
    short = hist((0.95, 0.96))
    res = judge(rule(max_drop_sigma=3), 0.951, 0.95, short)
    assert res.outcome == "fail"
    assert "no history: 2 value(s)" in res.message
    plain = judge(rule(max_drop_sigma=3, on_no_history="plain", max_drop=0.01), 0.951, 0.95, short)
    assert plain.outcome == "pass"
    assert "(plain comparison: no history:" in plain.message


def test_history_direction_lower() -> None:
    r = rule(metric="loss", direction="lower", max_drop_sigma=2)
    ev = Evidence(history={"metrics.json:loss": (0.30, 0.31, 0.29, 0.30)})
    assert judge(r, 0.30, 0.40, ev, key="loss").outcome == "fail"
    assert judge(r, 0.30, 0.20, ev, key="loss").outcome == "pass"


# --- the seam keeps plain rules exactly as they were -----------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules=st.lists(RULES, max_size=4), base=FLAT, head=FLAT)
def test_plain_rules_give_the_same_results_through_the_kinds(
    rules: list[GateRule], base: dict[str, Any], head: dict[str, Any]
) -> None:
    d = diff(Snapshot({"m.json": base}), Snapshot({"m.json": head}))
    assert gatekinds.evaluate(rules, d) == gates.evaluate(rules, d)


# --- aligning per-example rows ---------------------------------------------------------------

SRC = Source("p.csv")


def test_align_by_id_reorders_head() -> None:
    base = {"id": [1, 2, 3], "actual": ["a", "b", "a"], "predicted": ["a", "b", "b"]}
    head = {"id": [3, 1, 2], "actual": ["a", "a", "b"], "predicted": ["a", "b", "b"]}
    p = align(base, head, SRC)
    assert isinstance(p, Paired)
    assert p.aligned_by == "id"
    assert p.head.tolist() == ["b", "b", "a"]


def test_align_by_order_when_actual_columns_agree() -> None:
    t = {"actual": [0, 1, 1], "predicted": [0, 1.0, 0]}
    p = align(t, t, SRC)
    assert isinstance(p, Paired)
    assert p.aligned_by == "order"
    assert p.base.tolist() == [0, 1, 0]  # 1.0 and 1 are one label


def test_numbers_and_text_labels_compare_as_text() -> None:
    from mlgate import stats

    base = {"actual": [0, 1, 1, 0], "predicted": [0, 1, 1, 0]}
    head = {"actual": [0, 1, 1, 0], "predicted": ["0", "1", "x", "0"]}
    p = align(base, head, SRC)
    assert isinstance(p, Paired)
    c = stats.compare(p, "accuracy", resamples=50)
    assert (c.only_base, c.only_head, c.head_value) == (1, 0, 0.75)


@pytest.mark.parametrize(
    ("base", "head", "reason"),
    [
        (
            {"actual": [0, 1], "predicted": [0, 1]},
            {"actual": [0, 1, 1], "predicted": [0, 1, 1]},
            "p.csv: lengths differ (2 rows at base, 3 at head) and there is no `id` column "
            "to align them",
        ),
        (
            {"actual": [0, 1], "predicted": [0, 1]},
            {"actual": [1, 1], "predicted": [0, 1]},
            "p.csv: actual columns differ at 1 of 2 rows and there is no `id` column",
        ),
        (
            {"id": [1, 2], "actual": [0, 1], "predicted": [0, 1]},
            {"id": [1, 3], "actual": [0, 1], "predicted": [0, 1]},
            "p.csv: rows do not align: 1 id(s) only at base, 1 only at head",
        ),
        (
            {"id": [1, 2], "actual": [0, 1], "predicted": [0, 1]},
            {"id": [2, 1], "actual": [0, 1], "predicted": [0, 1]},
            "p.csv: labels differ between base and head at 2 of 2 rows",
        ),
        (
            {"id": [1, 1], "actual": [0, 1], "predicted": [0, 1]},
            {"id": [1, 2], "actual": [0, 1], "predicted": [0, 1]},
            "p.csv: the id column has repeated values at base",
        ),
        (
            {"actual": [0, 1], "pred": [0, 1]},
            {"actual": [0, 1], "predicted": [0, 1]},
            "p.csv has no `predicted` column at base (columns: actual, pred)",
        ),
    ],
)
def test_rows_that_cannot_be_aligned_give_a_reason(
    base: dict[str, Any], head: dict[str, Any], reason: str
) -> None:
    assert align(base, head, SRC) == reason


CELLS = st.one_of(
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["a", "b", "", "1", "1.0", "nan"]),
    st.none(),
    st.booleans(),
    st.lists(st.integers(0, 2), max_size=2),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.data(),
    n_base=st.integers(0, 6),
    n_head=st.integers(0, 6),
    ids=st.booleans(),
    metric=st.sampled_from(["accuracy", "error_rate", "f1", "precision", "auc", "mae", "rmse"]),
)
def test_any_rows_give_a_comparison_or_a_reason(
    data: st.DataObject, n_base: int, n_head: int, ids: bool, metric: str
) -> None:
    from mlgate import stats

    def table(n: int) -> dict[str, list[Any]]:
        cols = ["actual", "predicted", "score", *(["id"] if ids else [])]
        return {c: data.draw(st.lists(CELLS, min_size=n, max_size=n)) for c in cols}

    base, head = table(n_base), table(n_head)
    if n_base == n_head and data.draw(st.booleans()):  # same test rows: mostly comparable
        head["actual"] = list(base["actual"])
        if ids:
            head["id"] = list(base["id"])
    found = align(base, head, SRC)
    if isinstance(found, str):
        assert found and "\n" not in found
        return
    try:
        c = stats.compare(found, metric, resamples=20)
    except stats.PairedDataError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert c.rows == found.rows
