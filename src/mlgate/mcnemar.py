"""The exact McNemar test of two models on the same rows, and its power. Pure (numpy only).

Only the discordant rows count: those one model gets right and the other wrong; under "no
difference" each is a fair coin flip."""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]

_EXACT_LIMIT = 4_000  # discordant pairs up to which the binomial tail is summed in integers


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
