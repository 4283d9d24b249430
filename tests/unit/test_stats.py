"""The paired statistics against known values: scipy's exact binomial test, sklearn's metrics,
brute-force enumeration of the McNemar test's power, and a naive row bootstrap."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest
from sklearn import metrics as skm

from mlgate import auc as auc_mod
from mlgate import mcnemar, stats
from mlgate.stats import Paired, PairedDataError


@pytest.mark.parametrize(
    ("only_base", "only_head", "expected"),
    [
        (3, 1, 0.625),  # 2 · (C(4,0) + C(4,1)) / 2**4, by hand
        (0, 5, 0.0625),  # 2 / 2**5
        (0, 0, 1.0),  # no discordant rows: nothing to test
        (5, 5, 1.0),
        (1, 0, 1.0),  # 2 · 1/2 = 1
    ],
)
def test_exact_mcnemar_by_hand(only_base: int, only_head: int, expected: float) -> None:
    assert mcnemar.mcnemar_exact(only_base, only_head) == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize(
    ("b", "c"),
    [(7, 20), (30, 10), (100, 131), (2500, 2700), (4100, 4300), (20000, 20500), (3, 90)],
)
def test_exact_mcnemar_equals_scipy_binomtest(b: int, c: int) -> None:
    expected = binomtest(min(b, c), b + c, 0.5).pvalue
    assert mcnemar.mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-9, abs=1e-300)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 300), st.integers(0, 300))
def test_exact_mcnemar_properties(b: int, c: int) -> None:
    p = mcnemar.mcnemar_exact(b, c)
    assert 0.0 < p <= 1.0
    assert p == mcnemar.mcnemar_exact(c, b)
    assert p == pytest.approx(binomtest(min(b, c), b + c, 0.5).pvalue if b + c else 1.0)
    # one more row on the side that is already ahead can only make the result more significant
    assert mcnemar.mcnemar_exact(max(b, c) + 1, min(b, c)) <= p + 1e-12


def _power_brute(n: int, p10: float, p01: float, alpha: float) -> float:
    total = 0.0
    for b, c in itertools.product(range(n + 1), repeat=2):
        if b + c > n:
            continue
        prob = (
            math.factorial(n)
            / (math.factorial(b) * math.factorial(c) * math.factorial(n - b - c))
            * p10**b
            * p01**c
            * (1 - p10 - p01) ** (n - b - c)
        )
        if mcnemar.mcnemar_exact(b, c) <= alpha:
            total += prob
    return total


@pytest.mark.parametrize(("n", "p10", "p01"), [(20, 0.2, 0.05), (30, 0.1, 0.1), (25, 0.3, 0.02)])
def test_mcnemar_power_equals_enumeration(n: int, p10: float, p01: float) -> None:
    expected = _power_brute(n, p10, p01, 0.05)
    assert mcnemar.mcnemar_power(n, p10, p01, 0.05) == pytest.approx(expected, abs=1e-9)


def test_mcnemar_power_at_no_difference_is_at_most_alpha() -> None:
    assert mcnemar.mcnemar_power(500, 0.05, 0.05, 0.05) <= 0.05


def _classes(n: int, seed: int, k: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n).astype(str)
    noise_b = rng.integers(0, k, n).astype(str)
    noise_h = rng.integers(0, k, n).astype(str)
    return y, np.where(rng.random(n) < 0.8, y, noise_b), np.where(rng.random(n) < 0.7, y, noise_h)


@pytest.mark.parametrize(
    ("metric", "sk"),
    [
        ("accuracy", skm.accuracy_score),
        ("precision", lambda a, b: skm.precision_score(a, b, average="macro", zero_division=0)),
        ("recall", lambda a, b: skm.recall_score(a, b, average="macro", zero_division=0)),
        ("f1", lambda a, b: skm.f1_score(a, b, average="macro", zero_division=0)),
    ],
)
def test_classification_values_equal_sklearn(metric: str, sk) -> None:  # type: ignore[no-untyped-def]
    y, b, h = _classes(400, 1)
    c = stats.compare(Paired(y, b, h), metric, resamples=500)
    assert c.base_value == pytest.approx(sk(y, b))
    assert c.head_value == pytest.approx(sk(y, h))
    assert c.ci_low <= c.delta <= c.ci_high


def test_binary_positive_label_equals_sklearn() -> None:
    y, b, h = _classes(300, 2, k=2)
    for metric, sk in (("f1", skm.f1_score), ("precision", skm.precision_score)):
        c = stats.compare(Paired(y, b, h), metric, positive="1", resamples=200)
        assert c.base_value == pytest.approx(sk(y, b, pos_label="1"))
        assert c.head_value == pytest.approx(sk(y, h, pos_label="1"))


def test_accuracy_counts_and_error_rate() -> None:
    y = np.array(["a", "a", "b", "b", "a", "b"])
    b = np.array(["a", "a", "b", "a", "b", "b"])  # right on rows 0,1,2,5
    h = np.array(["a", "b", "b", "b", "a", "a"])  # right on rows 0,2,3,4
    c = stats.compare(Paired(y, b, h), "accuracy", resamples=100)
    assert (c.only_base, c.only_head) == (2, 2)  # rows 1,5 only base; rows 3,4 only head
    assert c.p_value == 1.0
    e = stats.compare(Paired(y, b, h), "error_rate", resamples=100)
    assert e.base_value == pytest.approx(2 / 6)
    assert e.p_value == 1.0


def test_cell_bootstrap_matches_a_naive_row_bootstrap() -> None:
    y, b, h = _classes(300, 3)
    c = stats.compare(Paired(y, b, h), "accuracy", resamples=20_000, seed=1)
    rng = np.random.default_rng(2)
    idx = rng.integers(0, 300, size=(20_000, 300))
    right_b, right_h = (b == y)[idx].mean(axis=1), (h == y)[idx].mean(axis=1)
    lo, hi = np.percentile(right_h - right_b, [2.5, 97.5])
    assert c.ci_low == pytest.approx(lo, abs=0.006)
    assert c.ci_high == pytest.approx(hi, abs=0.006)


def test_bootstrap_is_seeded() -> None:
    y, b, h = _classes(200, 4)
    one = stats.compare(Paired(y, b, h), "f1", resamples=300, seed=7)
    two = stats.compare(Paired(y, b, h), "f1", resamples=300, seed=7)
    other = stats.compare(Paired(y, b, h), "f1", resamples=300, seed=8)
    assert one == two
    assert (one.ci_low, one.ci_high) != (other.ci_low, other.ci_high)


def test_identical_models_have_a_zero_interval() -> None:
    y, b, _h = _classes(100, 5)
    c = stats.compare(Paired(y, b, b), "accuracy", resamples=200)
    assert (c.ci_low, c.ci_high, c.p_value) == (0.0, 0.0, 1.0)


def _scored(n: int, seed: int) -> Paired:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.4
    sb = y + rng.normal(0, 1.0, n)
    sh = y + rng.normal(0, 1.3, n)
    lab = y.astype(int).astype(str)
    return Paired(
        lab, (sb > 0.5).astype(int).astype(str), (sh > 0.5).astype(int).astype(str), sb, sh
    )


def test_auc_equals_sklearn_and_bootstrap_agrees_with_delong() -> None:
    p = _scored(3000, 6)
    c = stats.compare(p, "auc", resamples=2000)
    y = p.actual == "1"
    assert c.base_value == pytest.approx(skm.roc_auc_score(y, p.base_score))
    assert c.head_value == pytest.approx(skm.roc_auc_score(y, p.head_score))
    lo, hi = auc_mod.delong_ci(p.base_score, p.head_score, y, 0.95)  # type: ignore[arg-type]
    assert c.ci_low == pytest.approx(lo, abs=0.006)
    assert c.ci_high == pytest.approx(hi, abs=0.006)


def test_auc_ties_count_half() -> None:
    scores = np.array([0.5, 0.5, 0.2, 0.9])
    positive = np.array([True, False, False, True])
    auc = auc_mod.weighted_auc(scores, positive, np.ones((1, 4)))[0]
    assert auc == pytest.approx(skm.roc_auc_score(positive, scores))


@pytest.mark.parametrize(("metric", "sk"), [("mae", skm.mean_absolute_error), ("rmse", None)])
def test_regression_values_equal_sklearn(metric: str, sk) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    y = rng.normal(size=500)
    b, h = y + rng.normal(0, 0.5, 500), y + rng.normal(0, 0.6, 500)
    c = stats.compare(Paired(y, b, h), metric, resamples=1000)
    ref = sk or (lambda a, p: math.sqrt(skm.mean_squared_error(a, p)))
    assert c.base_value == pytest.approx(ref(y, b))
    assert c.head_value == pytest.approx(ref(y, h))
    assert c.ci_low < c.delta < c.ci_high


def test_group_bootstrap_for_many_rows_matches_the_row_bootstrap() -> None:
    rng = np.random.default_rng(8)
    n = 4000
    y = rng.normal(size=n)
    p = Paired(y, y + rng.normal(0, 0.5, n), y + rng.normal(0, 0.55, n))
    rows = stats.compare(p, "mae", resamples=4000)
    budget = stats.ROW_BUDGET
    try:
        stats.ROW_BUDGET = 1000  # force the grouped path
        grouped = stats.compare(p, "mae", resamples=4000)
    finally:
        stats.ROW_BUDGET = budget
    assert rows.method == "rows"
    assert grouped.method.endswith("random groups of rows")
    assert grouped.ci_high - grouped.ci_low == pytest.approx(rows.ci_high - rows.ci_low, rel=0.1)


@pytest.mark.parametrize(
    ("paired", "metric", "message"),
    [
        (
            Paired(np.array(["a"] * 5), np.array(["a"] * 5), np.array(["b"] * 5)),
            "f1",
            "only one class",
        ),
        (
            Paired(
                np.array(["0", "1"]),
                np.array(["0", "1"]),
                np.array(["0", "1"]),
                np.array([0.1, math.nan]),
                np.array([0.2, 0.3]),
            ),
            "auc",
            "NaN",
        ),
        (
            Paired(np.array(["0", "1"]), np.array(["0", "1"]), np.array(["1", "1"])),
            "auc",
            "score column",
        ),
        (
            Paired(np.array(["x", "1"]), np.array(["0", "1"]), np.array(["1", "1"])),
            "rmse",
            "numbers",
        ),
        (
            Paired(np.array([1.0, math.nan]), np.array([1.0, 2.0]), np.array([1.0, 2.0])),
            "mae",
            "NaN",
        ),
        (
            Paired(np.array(["0", "1"]), np.array(["0", "1"]), np.array(["0", "1"])),
            "bleu",
            "unknown",
        ),
        (Paired(np.array([]), np.array([]), np.array([])), "accuracy", "no rows"),
    ],
)
def test_bad_rows_raise_a_one_line_reason(paired: Paired, metric: str, message: str) -> None:
    with pytest.raises(PairedDataError, match=message) as info:
        stats.compare(paired, metric, resamples=50)
    assert "\n" not in str(info.value)


def test_describe_reads_like_the_issue() -> None:
    c = stats.Comparison("accuracy", 171, 0.959, 0.947, -0.035, 0.006, 0.95, 10_000, 3, 1, 0.5)
    text = stats.describe(c, worse=True, significant=False)
    assert text == (
        "accuracy −1.2 pts, 95% CI [−3.5, +0.6], McNemar p = 0.50 "
        "(3 of 171 rows right only at base, 1 only at head): within noise"
    )


def test_errors_beyond_float_range_are_a_reason_not_an_overflow() -> None:
    """Hypothesis found it (test_gatekinds' any-rows property): a prediction near 1e308 made the
    resampled sums of squared errors overflow (a RuntimeWarning, an error under pytest)."""
    import numpy as np

    from mlgate import stats

    paired = stats.Paired(
        actual=np.array([0.0, 3.0]),
        base=np.array([0.0, 0.0]),
        head=np.array([8.98846567431158e307, 0.0]),
    )
    for metric in ("mae", "rmse"):
        with pytest.raises(stats.PairedDataError, match="beyond floating-point range"):
            stats.compare(paired, metric, resamples=20)
