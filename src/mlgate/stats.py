"""Paired statistics for two models on the same test rows: exact McNemar test, its power, and a
seeded paired bootstrap of head − base. Pure (numpy only; no scipy in the action's image).

The bootstrap resamples *rows*, but never draws a million indices per resample when it need not:
classification metrics depend only on how many rows fall in each (actual, base, head) cell, so a
resample is one multinomial draw over those cells (exactly the row bootstrap's distribution, at
any row count); means of per-row errors (MAE, RMSE) over many rows resample random groups of rows
(same variance for a mean); AUC, which needs ranks, resamples rows within a stated budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]

CLASSIFICATION = ("accuracy", "error_rate", "precision", "recall", "f1")
REGRESSION = ("mae", "rmse")
SCORED = ("auc",)
PER_EXAMPLE = (*CLASSIFICATION, *SCORED, *REGRESSION)
# which way is better, per metric mlgate computes itself
HIGHER_IS_BETTER = {"accuracy": True, "error_rate": False, "precision": True, "recall": True}
HIGHER_IS_BETTER |= {"f1": True, "auc": True, "mae": False, "rmse": False}

DEFAULT_RESAMPLES = 10_000
DEFAULT_SEED = 13
# Row bootstraps draw at most this many indices in all (resamples × rows), so AUC on a huge
# test set takes seconds: fewer resamples, and a note saying how many.
ROW_BUDGET = 20_000_000
GROUPS = 2_000  # MAE/RMSE on more rows than ROW_BUDGET allows: random groups of rows
_EXACT_LIMIT = 4_000  # discordant pairs up to which the binomial tail is summed in integers


class PairedDataError(ValueError):
    """The rows cannot be compared: the message is a note in the report."""


# --- exact McNemar -------------------------------------------------------------------------


def _log_comb_row(n: int, upto: int) -> Array:
    """log C(n, i) for i = 0..upto, by cumulative sums (no lgamma in numpy)."""
    i = np.arange(1, upto + 1, dtype=np.float64)
    steps = np.log(n - i + 1.0) - np.log(i)
    return np.concatenate(([0.0], np.cumsum(steps)))


def binom_cdf_half(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2): exact integers for small n, log-space above."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if n <= _EXACT_LIMIT:
        # C(n, i + 1) from C(n, i), in exact integers: one product per term, not a comb each
        term = total = 1
        for i in range(k):
            term = term * (n - i) // (i + 1)
            total += term
        return float(Fraction(total, 2**n))
    logs = _log_comb_row(n, k) - n * math.log(2.0)
    top = float(logs.max())
    return float(min(1.0, math.exp(top) * float(np.exp(logs - top).sum())))


def mcnemar_exact(only_base: int, only_head: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts (rows only base got right,
    rows only head got right): the binomial test of min(b, c) out of b + c at 1/2."""
    n = only_base + only_head
    if n == 0:
        return 1.0
    return min(1.0, 2.0 * binom_cdf_half(min(only_base, only_head), n))


def _critical(m: int, alpha: float) -> int:
    """Largest k with 2·P(X <= k) <= alpha for X ~ Bin(m, 1/2), or -1 when none rejects."""
    if m > 200:  # the whole lower tail at once, in floating point (power needs no more)
        logs = _log_comb_row(m, m // 2) - m * math.log(2.0)
        cdf = np.cumsum(np.exp(logs))
        return int(np.searchsorted(2.0 * cdf, alpha * (1 + 1e-12), side="right")) - 1
    lo, hi = -1, m // 2
    while lo < hi:  # the tail grows with k: bisect, in exact integers
        mid = (lo + hi + 1) // 2
        if 2.0 * binom_cdf_half(mid, m) <= alpha:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _binom_pmf(m: int, q: float) -> Array:
    if q <= 0.0 or q >= 1.0:
        out = np.zeros(m + 1)
        out[0 if q <= 0.0 else m] = 1.0
        return out
    i = np.arange(m + 1, dtype=np.float64)
    logs = _log_comb_row(m, m) + i * math.log(q) + (m - i) * math.log1p(-q)
    return np.asarray(np.exp(logs - logs.max()) / np.exp(logs - logs.max()).sum())


def mcnemar_power(
    n: int, p_only_base: float, p_only_head: float, alpha: float, *, worse_only: bool = False
) -> float:
    """Power of the two-sided exact McNemar test at level `alpha` on `n` rows, when each row is
    right for base only with probability `p_only_base` and for head only with `p_only_head`.
    `worse_only`: the chance that it rejects *and* head is the worse (what a gate fails on)."""
    disc = p_only_base + p_only_head
    if disc <= 0.0 or n <= 0:
        return 0.0
    q = p_only_base / disc
    pm = _binom_pmf(n, disc)
    sd = math.sqrt(n * disc * (1 - disc))
    lo_m = max(0, int(n * disc - 12 * sd) - 1)
    hi_m = min(n, int(n * disc + 12 * sd) + 2)
    power = 0.0
    for m in range(lo_m, hi_m + 1):
        if pm[m] < 1e-15 or m == 0:
            continue
        k = _critical(m, alpha)
        if k < 0:
            continue
        pb = _binom_pmf(m, q)
        low = 0.0 if worse_only else float(pb[: k + 1].sum())
        power += float(pm[m]) * (low + float(pb[m - k :].sum()))
    return power


# --- per-example data ----------------------------------------------------------------------


@dataclass(frozen=True)
class Paired:
    """Per-example results of both revisions on the same rows, aligned."""

    actual: Array  # labels (classification, as text) or true values (regression, float)
    base: Array  # predictions
    head: Array
    base_score: Array | None = None  # probability of the positive class, for AUC
    head_score: Array | None = None
    aligned_by: str = "id"
    head_row: Array | None = None  # each row's index in head's file when aligned by id

    @property
    def rows(self) -> int:
        return len(self.actual)


@dataclass(frozen=True)
class Comparison:
    """What the paired test found for one metric."""

    metric: str
    rows: int
    base_value: float
    head_value: float
    ci_low: float  # of head − base
    ci_high: float
    ci: float
    resamples: int
    only_base: int | None = None  # rows only base got right (classification)
    only_head: int | None = None
    p_value: float | None = None  # exact McNemar, for accuracy / error rate
    method: str = ""
    # two-sided p-value of the bootstrap (or DeLong) for the other metrics: slices (issue 26)
    boot_p: float | None = None

    @property
    def delta(self) -> float:
        return self.head_value - self.base_value


def _short(label: object) -> str:
    text = str(label)
    return text if len(text) <= 40 else text[:39] + "…"


def same_kind(paired: Paired) -> tuple[Array, Array, Array]:
    """The three label columns, compared as they are when numpy can, else as text."""
    cols = (paired.actual, paired.base, paired.head)
    if len({c.dtype.kind for c in cols}) == 1 and cols[0].dtype.kind in "iuU":
        return cols
    return tuple(np.asarray(c).astype(str) for c in cols)  # type: ignore[return-value]


def check_labels(paired: Paired, metric: str, positive: str | None) -> tuple[Array, object]:
    """The classes and the positive one (matched by its text), or PairedDataError when this
    metric cannot be computed on these rows."""
    classes = np.unique(same_kind(paired)[0])
    if len(classes) < 2:
        only = _short(classes[0]) if len(classes) else "none"
        raise PairedDataError(
            f"only one class ({only}) in the actual column: {metric} cannot be compared"
        )
    if positive is None:
        return classes, None
    for c in classes:
        if str(c) == positive:
            return classes, c
    shown = ", ".join(_short(c) for c in classes[:5])
    raise PairedDataError(
        f"positive label {_short(positive)!r} is not among the actual labels ({shown})"
    )


def _confusions(cells: Array, k: int) -> tuple[Array, Array]:
    """(R, k, k, k) counts [actual, base, head] -> base and head confusion matrices (R, k, k)."""
    return cells.sum(axis=3), cells.sum(axis=2)


def _from_confusion(conf: Array, metric: str, pos: int | None) -> Array:
    """Metric per resample from confusion matrices (R, k, k) [actual, predicted]."""
    total = conf.sum(axis=(1, 2)).astype(np.float64)
    diag = np.diagonal(conf, axis1=1, axis2=2).astype(np.float64)
    if metric in ("accuracy", "error_rate"):
        acc: Array = diag.sum(axis=1) / total
        return acc if metric == "accuracy" else 1.0 - acc
    predicted = conf.sum(axis=1).astype(np.float64)  # per predicted class
    actual = conf.sum(axis=2).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        if metric == "precision":
            per = np.where(predicted > 0, diag / predicted, 0.0)
        elif metric == "recall":
            per = np.where(actual > 0, diag / actual, 0.0)
        else:
            den = predicted + actual
            per = np.where(den > 0, 2.0 * diag / den, 0.0)
    return per[:, pos] if pos is not None else per.mean(axis=1)


def _percentile(values: Array, ci: float) -> tuple[float, float]:
    tail = (1.0 - ci) / 2.0 * 100.0
    lo, hi = np.percentile(values, [tail, 100.0 - tail])
    return float(lo), float(hi)


def boot_p(deltas: Array) -> float:
    """Two-sided bootstrap p-value of head − base = 0: twice the share of resamples on the
    smaller side of zero (ties on both), plus one over resamples plus one, so never 0; the
    percentile CI at level c excludes zero about when this is below 1 − c."""
    below = int(np.count_nonzero(deltas <= 0.0))
    above = int(np.count_nonzero(deltas >= 0.0))
    return min(1.0, 2.0 * (min(below, above) + 1) / (len(deltas) + 1))


def compare(
    paired: Paired,
    metric: str,
    *,
    ci: float = 0.95,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    positive: str | None = None,
) -> Comparison:
    """Head − base on one per-example metric, with a percentile bootstrap CI (and the exact
    McNemar p-value for accuracy and error rate). PairedDataError when it cannot be done."""
    if paired.rows == 0:
        raise PairedDataError("no rows to compare")
    rng = np.random.default_rng(seed)
    if metric in CLASSIFICATION:
        return _classification(
            paired, metric=metric, ci=ci, resamples=resamples, rng=rng, positive=positive
        )
    if metric in SCORED:
        return _auc(paired, ci, resamples, rng, positive)
    if metric in REGRESSION:
        return _regression(paired, metric, ci, resamples, rng)
    raise PairedDataError(f"unknown per-example metric {metric!r}; one of {', '.join(PER_EXAMPLE)}")


def _classification(
    paired: Paired,
    *,
    metric: str,
    ci: float,
    resamples: int,
    rng: np.random.Generator,
    positive: str | None,
) -> Comparison:
    _classes, pos_label = check_labels(paired, metric, positive)
    actual, base, head = same_kind(paired)
    b_ok, h_ok = base == actual, head == actual
    only_base = int(np.count_nonzero(b_ok & ~h_ok))
    only_head = int(np.count_nonzero(h_ok & ~b_ok))
    n = paired.rows
    if metric in ("accuracy", "error_rate"):
        both = int(np.count_nonzero(b_ok & h_ok))
        counts = (both, only_base, only_head, n - both - only_base - only_head)
        return from_cells(metric, counts, ci=ci, resamples=resamples, rng=rng)
    # every label seen, as sklearn's default `labels`: codes by one np.unique over the columns
    classes, codes = np.unique(np.concatenate([actual, base, head]), return_inverse=True)
    k = len(classes)
    pos = None if pos_label is None else int(np.flatnonzero(classes == pos_label)[0])
    codes = codes.reshape(3, n)
    cell = (codes[0] * k + codes[1]) * k + codes[2]
    observed = np.bincount(cell, minlength=k**3).reshape(1, k, k, k)
    b_conf, h_conf = _confusions(observed, k)
    # macro average over every label seen, as sklearn's default `labels`
    base_value = float(_from_confusion(b_conf, metric, pos)[0])
    head_value = float(_from_confusion(h_conf, metric, pos)[0])
    flat = observed.reshape(-1)
    nz = np.flatnonzero(flat)
    deltas_parts = []
    # resample in chunks so k**3 cells × resamples never needs much memory
    chunk = max(1, 2_000_000 // max(1, len(nz)))
    done = 0
    while done < resamples:
        r = min(chunk, resamples - done)
        cells = np.zeros((r, k**3), dtype=np.int64)
        cells[:, nz] = rng.multinomial(n, flat[nz] / n, size=r)
        bc, hc = _confusions(cells.reshape(r, k, k, k), k)
        deltas_parts.append(_from_confusion(hc, metric, pos) - _from_confusion(bc, metric, pos))
        done += r
    deltas = np.concatenate(deltas_parts)
    lo, hi = _percentile(deltas, ci)
    return Comparison(
        metric,
        n,
        base_value,
        head_value,
        lo,
        hi,
        ci,
        resamples,
        only_base,
        only_head,
        None,
        "cells",
        boot_p(deltas),
    )


def from_cells(
    metric: str,
    counts: tuple[int, int, int, int],
    *,
    ci: float,
    resamples: int,
    rng: np.random.Generator,
) -> Comparison:
    """Accuracy or error rate from the four cells (both right, only base, only head, neither):
    the exact McNemar test and a bootstrap CI resampling the cells (any row count)."""
    cells = np.array(counts, dtype=np.int64)
    n = int(cells.sum())
    _both, only_base, only_head, _neither = counts
    draws = rng.multinomial(n, cells / n, size=resamples).astype(np.float64)
    base_acc = (draws[:, 0] + draws[:, 1]) / n
    head_acc = (draws[:, 0] + draws[:, 2]) / n
    sign = 1.0 if metric == "accuracy" else -1.0
    deltas = sign * (head_acc - base_acc)
    base_value = float(cells[0] + cells[1]) / n
    head_value = float(cells[0] + cells[2]) / n
    if metric == "error_rate":
        base_value, head_value = 1.0 - base_value, 1.0 - head_value
    lo, hi = _percentile(deltas, ci)
    p = mcnemar_exact(only_base, only_head)
    return Comparison(
        metric, n, base_value, head_value, lo, hi, ci, resamples, only_base, only_head, p, "cells"
    )


def _scores(paired: Paired) -> tuple[Array, Array]:
    if paired.base_score is None or paired.head_score is None:
        raise PairedDataError("AUC needs a score column at both revisions")
    bs = np.asarray(paired.base_score, dtype=np.float64)
    hs = np.asarray(paired.head_score, dtype=np.float64)
    bad = int(np.count_nonzero(~np.isfinite(bs)) + np.count_nonzero(~np.isfinite(hs)))
    if bad:
        raise PairedDataError(f"{bad} score value(s) are NaN or infinite")
    return bs, hs


def weighted_auc(scores: Array, positive: Array, weights: Array) -> Array:
    """ROC AUC per row of `weights` (R, n): the weighted Mann-Whitney statistic, ties half."""
    values, inverse = np.unique(scores, return_inverse=True)
    u = len(values)
    r = weights.shape[0]
    offs = (np.arange(r)[:, None] * u + inverse[None, :]).ravel()
    pos_w = np.bincount(offs, weights=(weights * positive).ravel(), minlength=r * u)
    neg_w = np.bincount(offs, weights=(weights * ~positive).ravel(), minlength=r * u)
    pos_w, neg_w = pos_w.reshape(r, u), neg_w.reshape(r, u)
    below = np.cumsum(neg_w, axis=1) - neg_w
    num = (pos_w * (below + 0.5 * neg_w)).sum(axis=1)
    den = pos_w.sum(axis=1) * neg_w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(den > 0, num / den, np.nan))


def _placements(scores: Array, positive: Array) -> tuple[Array, Array]:
    """DeLong's placement values: per positive, the share of negatives it outscores (ties half);
    per negative, the share of positives that outscore it."""
    pos, neg = np.sort(scores[positive]), np.sort(scores[~positive])
    sp, sn = scores[positive], scores[~positive]
    v10 = (np.searchsorted(neg, sp, "left") + np.searchsorted(neg, sp, "right")) / 2 / len(neg)
    above = len(pos) - (np.searchsorted(pos, sn, "left") + np.searchsorted(pos, sn, "right")) / 2
    return v10, above / len(pos)


def delong_ci(bs: Array, hs: Array, positive: Array, ci: float) -> tuple[float, float]:
    """CI of AUC(head) − AUC(base) from DeLong's paired variance (O(n log n), any n)."""
    b10, b01 = _placements(bs, positive)
    h10, h01 = _placements(hs, positive)
    d10, d01 = h10 - b10, h01 - b01
    var = float(d10.var(ddof=1) / len(d10) + d01.var(ddof=1) / len(d01))
    delta = float(h10.mean() - b10.mean())
    z = NormalDist().inv_cdf(0.5 + ci / 2.0)
    half = z * math.sqrt(max(var, 0.0))
    return delta - half, delta + half


def normal_p(delta: float, lo: float, hi: float, ci: float) -> float:
    """Two-sided p-value of a normal CI's centre (DeLong's): its standard error from the width."""
    se = (hi - lo) / (2.0 * NormalDist().inv_cdf(0.5 + ci / 2.0))
    if se <= 0.0:
        return 1.0 if delta == 0.0 else 0.0
    return min(1.0, 2.0 * NormalDist().cdf(-abs(delta) / se))


def _row_weights(rng: np.random.Generator, n: int, r: int) -> Array:
    idx = rng.integers(0, n, size=(r, n))
    offs = (np.arange(r)[:, None] * n + idx).ravel()
    return np.bincount(offs, minlength=r * n).reshape(r, n).astype(np.float64)


def _chunked(rng: np.random.Generator, n: int, total: int, stat: Callable[[Array], Array]) -> Array:
    parts = []
    chunk = max(1, 4_000_000 // max(1, n))
    done = 0
    while done < total:
        r = min(chunk, total - done)
        parts.append(stat(_row_weights(rng, n, r)))
        done += r
    return np.concatenate(parts)


def _auc(
    paired: Paired, ci: float, resamples: int, rng: np.random.Generator, positive: str | None
) -> Comparison:
    classes, pos_label = check_labels(paired, "auc", positive)
    if len(classes) != 2 and positive is None:
        raise PairedDataError(
            f"AUC needs two classes or a `positive:` label; the actual column has {len(classes)}"
        )
    actual = same_kind(paired)[0]
    is_pos = actual == (pos_label if pos_label is not None else classes[1])
    bs, hs = _scores(paired)
    n = paired.rows
    ones = np.ones((1, n))
    base_value = float(weighted_auc(bs, is_pos, ones)[0])
    head_value = float(weighted_auc(hs, is_pos, ones)[0])
    if n * min(resamples, 1_000) > ROW_BUDGET:  # ranks per resample cost too much: DeLong
        lo, hi = delong_ci(bs, hs, is_pos, ci)
        p = normal_p(head_value - base_value, lo, hi, ci)
        return Comparison(
            "auc", n, base_value, head_value, lo, hi, ci, 0, method="DeLong", boot_p=p
        )
    r = min(resamples, ROW_BUDGET // n)
    deltas = _chunked(
        rng, n, r, lambda w: weighted_auc(hs, is_pos, w) - weighted_auc(bs, is_pos, w)
    )
    deltas = deltas[np.isfinite(deltas)]  # a resample with one class has no AUC
    lo, hi = _percentile(deltas, ci)
    p = boot_p(deltas)
    return Comparison("auc", n, base_value, head_value, lo, hi, ci, r, method="rows", boot_p=p)


def _regression(
    paired: Paired, metric: str, ci: float, resamples: int, rng: np.random.Generator
) -> Comparison:
    try:
        y = paired.actual.astype(np.float64)
        pb = paired.base.astype(np.float64)
        ph = paired.head.astype(np.float64)
    except ValueError as exc:
        raise PairedDataError(f"{metric} needs numbers in actual and predicted: {exc}") from exc
    bad = int(sum(np.count_nonzero(~np.isfinite(a)) for a in (y, pb, ph)))
    if bad:
        raise PairedDataError(f"{bad} value(s) in actual/predicted are NaN or infinite")
    power = 1 if metric == "mae" else 2
    eb = np.abs(pb - y) ** power
    eh = np.abs(ph - y) ** power
    n = len(y)

    def finish(mean: Array) -> Array:
        return mean if power == 1 else np.sqrt(mean)

    base_value = float(finish(np.array([eb.mean()]))[0])
    head_value = float(finish(np.array([eh.mean()]))[0])
    if n * resamples <= ROW_BUDGET:
        method = "rows"

        def stat(w: Array) -> Array:
            return finish(w @ eh / n) - finish(w @ eb / n)

        deltas = _chunked(rng, n, resamples, stat)
    else:
        # a mean over random groups of rows: the same variance as over rows, G draws not n
        method = f"{GROUPS} random groups of rows"
        group = rng.permutation(n) % GROUPS
        sums = np.stack(
            [
                np.bincount(group, weights=eb, minlength=GROUPS),
                np.bincount(group, weights=eh, minlength=GROUPS),
            ],
            axis=1,
        )
        sizes = np.bincount(group, minlength=GROUPS).astype(np.float64)
        w = rng.multinomial(GROUPS, np.full(GROUPS, 1.0 / GROUPS), size=resamples)
        wf = w.astype(np.float64)
        tot = wf @ sums
        count = wf @ sizes
        deltas = finish(tot[:, 1] / count) - finish(tot[:, 0] / count)
    lo, hi = _percentile(deltas, ci)
    found = Comparison(metric, n, base_value, head_value, lo, hi, ci, resamples, method=method)
    return replace(found, boot_p=boot_p(deltas))


# --- verdict text --------------------------------------------------------------------------


def points(metric: str) -> bool:
    """Shown in percentage points (accuracy-like rates) rather than raw units."""
    return metric in (*CLASSIFICATION, *SCORED)


def fmt_delta(value: float, metric: str) -> str:
    if points(metric):
        return f"{value * 100:+.1f}".replace("-", "−")
    return f"{value:+.4g}".replace("-", "−")


def describe(c: Comparison, *, worse: bool, significant: bool) -> str:
    """'accuracy −1.2 pts, 95% CI [−3.5, +0.6], McNemar p = 0.50 (3 rows only base got right,
    1 only head): within noise'"""
    unit = " pts" if points(c.metric) else ""
    text = f"{c.metric} {fmt_delta(c.delta, c.metric)}{unit}"
    text += (
        f", {c.ci * 100:g}% CI [{fmt_delta(c.ci_low, c.metric)}, {fmt_delta(c.ci_high, c.metric)}]"
    )
    if c.p_value is not None:
        text += f", McNemar p = {c.p_value:.2g}" if c.p_value < 0.01 else ""
        text += f", McNemar p = {c.p_value:.2f}" if c.p_value >= 0.01 else ""
    if c.only_base is not None and c.only_head is not None:
        text += (
            f" ({c.only_base} of {c.rows:,} rows right only at base, {c.only_head} only at head)"
        )
    if not worse:
        return text + ": not worse"
    return text + (": significant" if significant else ": within noise")


def history_band(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation of the base branch's recent values."""
    arr = np.asarray(values, dtype=np.float64)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0
