"""Paired statistics for two models on the same test rows: the exact McNemar test
(`mlgate.mcnemar`), DeLong's AUC interval (`mlgate.auc`) and a seeded paired bootstrap of
head − base (`mlgate.resample`). Pure (numpy only; no scipy in the action's image).

The bootstrap resamples *rows*, but never draws a million indices per resample when it need not:
classification metrics depend only on how many rows fall in each (actual, base, head) cell, so a
resample is one multinomial draw over those cells (exactly the row bootstrap's distribution, at
any row count); means of per-row errors (MAE, RMSE) over many rows resample random groups of rows
(same variance for a mean); AUC, which needs ranks, resamples rows within a stated budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from mlgate.auc import delong_ci, normal_p, weighted_auc
from mlgate.mcnemar import mcnemar_exact
from mlgate.resample import boot_p, chunked, percentile

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


class PairedDataError(ValueError):
    """The rows cannot be compared: the message is a note in the report."""


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
    lo, hi = percentile(deltas, ci)
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
    lo, hi = percentile(deltas, ci)
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
    deltas = chunked(rng, n, r, lambda w: weighted_auc(hs, is_pos, w) - weighted_auc(bs, is_pos, w))
    deltas = deltas[np.isfinite(deltas)]  # a resample with one class has no AUC
    lo, hi = percentile(deltas, ci)
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
    n = len(y)
    with np.errstate(over="ignore", invalid="ignore"):
        eb = np.abs(pb - y) ** power
        eh = np.abs(ph - y) ** power
        largest = max(float(eb.max(initial=0.0)), float(eh.max(initial=0.0))) * max(n, 1)
    if not np.isfinite(largest):  # a resample's sum of errors would overflow: no verdict
        raise PairedDataError(
            f"{metric}: the errors are beyond floating-point range (values near 1e308); "
            "rescale actual and predicted"
        )

    def finish(mean: Array) -> Array:
        return mean if power == 1 else np.sqrt(mean)

    base_value = float(finish(np.array([eb.mean()]))[0])
    head_value = float(finish(np.array([eh.mean()]))[0])
    if n * resamples <= ROW_BUDGET:
        method = "rows"

        def stat(w: Array) -> Array:
            return finish(w @ eh / n) - finish(w @ eb / n)

        deltas = chunked(rng, n, resamples, stat)
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
    lo, hi = percentile(deltas, ci)
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
