"""ROC AUC under row weights (the bootstrap's), and DeLong's paired CI of a difference of two
AUCs on the same rows. Pure (numpy only)."""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]


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
