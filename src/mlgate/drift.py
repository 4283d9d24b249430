"""Drift of one column between base and head (pure): for numeric columns the two-sample
Kolmogorov-Smirnov statistic and the population stability index over ten quantile bins of the
base; for categorical columns the PSI over the categories. PSI reads: < 0.1 little change,
0.1-0.25 moderate, > 0.25 large.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

_EPS = 1e-4  # PSI's floor for an empty bin, so that a bin new on one side is finite


def ks_statistic(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> float:
    """sup |F_a - F_b| over the pooled values (the two-sample KS statistic)."""
    a, b = np.sort(a[np.isfinite(a)]), np.sort(b[np.isfinite(b)])
    if not len(a) or not len(b):
        return math.nan
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / len(a)
    fb = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.max(np.abs(fa - fb)))


def _psi(expected: npt.NDArray[np.float64], actual: npt.NDArray[np.float64]) -> float:
    e = np.maximum(expected / max(expected.sum(), 1), _EPS)
    a = np.maximum(actual / max(actual.sum(), 1), _EPS)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_numeric(
    base: npt.NDArray[np.float64], head: npt.NDArray[np.float64], bins: int = 10
) -> float:
    base, head = base[np.isfinite(base)], head[np.isfinite(head)]
    if not len(base) or not len(head):
        return math.nan
    edges = np.unique(np.quantile(base, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:  # a constant base column: its value, and everything else (issue 20)
        same = np.count_nonzero(head == edges[0])
        return _psi(
            np.array([len(base), 0], dtype=np.float64),
            np.array([same, len(head) - same], dtype=np.float64),
        )
    inner = edges[1:-1]
    e = np.bincount(np.searchsorted(inner, base, side="right"), minlength=len(inner) + 1)
    a = np.bincount(np.searchsorted(inner, head, side="right"), minlength=len(inner) + 1)
    return _psi(e.astype(np.float64), a.astype(np.float64))


def psi_categorical(base: dict[str, int], head: dict[str, int]) -> float:
    keys = sorted(set(base) | set(head))
    if not keys:
        return math.nan
    e = np.array([base.get(k, 0) for k in keys], dtype=np.float64)
    a = np.array([head.get(k, 0) for k in keys], dtype=np.float64)
    return _psi(e, a)
