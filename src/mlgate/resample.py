"""The paired bootstrap's primitives: row weights of resamples drawn in chunks, the percentile
CI and the two-sided bootstrap p-value. Pure (numpy only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[Any]


def percentile(values: Array, ci: float) -> tuple[float, float]:
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


def row_weights(rng: np.random.Generator, n: int, r: int) -> Array:
    idx = rng.integers(0, n, size=(r, n))
    offs = (np.arange(r)[:, None] * n + idx).ravel()
    return np.bincount(offs, minlength=r * n).reshape(r, n).astype(np.float64)


def chunked(rng: np.random.Generator, n: int, total: int, stat: Callable[[Array], Array]) -> Array:
    parts = []
    chunk = max(1, 4_000_000 // max(1, n))
    done = 0
    while done < total:
        r = min(chunk, total - done)
        parts.append(stat(row_weights(rng, n, r)))
        done += r
    return np.concatenate(parts)
