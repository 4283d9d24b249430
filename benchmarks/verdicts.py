"""Benchmark of the noise-aware gates (issue 13): false alarms and detection, and speed.

    python benchmarks/verdicts.py          (or: make bench-verdicts; also run by make bench)

Random forests are trained with many seeds on one fixed training set of data scikit-learn
generates (`make_classification`) and predict a pool of 10,000 held-out rows: the population.
Each seed plays a PR against the previous seed as its base, on DRAWS test sets of n rows drawn
from that population (so the exact McNemar test's own assumptions hold and its power is known):

- retrained: the head is the next seed's model, nothing else changed (a failure is a false
  alarm as a team sees it, although two seeds' models differ a little on the population);
- same accuracy: the head changes as many rows as the two seeds disagree on, half of them to
  right and half to wrong, so it is exactly as accurate as base on the population (McNemar's
  null hypothesis: a failure here is a false alarm by the test's own definition);
- regressed: the next seed's model with FLIP of its correct predictions on the population
  turned wrong (a failure is a detection).

For each gate kind: plain `max_drop`, `significance` (exact McNemar on accuracy; a paired
bootstrap CI on macro F1), both, and `max_drop_sigma` (the previous HISTORY seeds as the base
branch's history), beside the exact McNemar test's theoretical rate of failing the gate (rejects
and head worse) computed from the population's rates. Then the bootstrap's speed on 1,000,000
rows.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier

from mlgate import mcnemar, stats
from mlgate.stats import Paired

SEEDS = int(os.environ.get("BENCH_SEEDS", "200"))
DRAWS = 5  # test sets drawn per PR: SEEDS × DRAWS PRs per column
HISTORY = 20
FLIP = 0.02
SIZES = (500, 10_000)
MAX_DROP = 0.005
ALPHAS = (0.05, 0.01)
SIGMA = 3.0
CASES = ("retrained", "same accuracy", "regressed")


def predictions() -> tuple[np.ndarray, list[np.ndarray]]:
    x, y = make_classification(
        n_samples=14_000,
        n_features=20,
        n_informative=8,
        flip_y=0.05,
        class_sep=0.8,
        random_state=0,
    )
    x_tr, y_tr, x_te, y_te = x[:4000], y[:4000], x[4000:], y[4000:]
    preds = []
    for seed in range(SEEDS + HISTORY + 1):
        model = RandomForestClassifier(n_estimators=25, max_depth=10, random_state=seed, n_jobs=1)
        preds.append(model.fit(x_tr, y_tr).predict(x_te))
    return y_te, preds


def heads(
    y: np.ndarray, base: np.ndarray, seed_head: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """The three PR heads against one base, on the whole population."""
    same = base.copy()
    k = int(np.count_nonzero(base != seed_head)) // 2
    right, wrong = np.flatnonzero(base == y), np.flatnonzero(base != y)
    for rows in (rng.choice(right, k, replace=False), rng.choice(wrong, k, replace=False)):
        same[rows] = 1 - same[rows]
    regressed = seed_head.copy()
    ok = np.flatnonzero(regressed == y)
    turn = rng.choice(ok, round(FLIP * len(ok)), replace=False)
    regressed[turn] = 1 - regressed[turn]
    return {"retrained": seed_head, "same accuracy": same, "regressed": regressed}


def gate_names() -> list[str]:
    return [
        f"plain `max_drop: {MAX_DROP}`",
        *(f"`significance: {a}` (McNemar, accuracy)" for a in ALPHAS),
        f"`significance: 0.05` + `max_drop: {MAX_DROP}`",
        "`significance: 0.05` (bootstrap CI, macro F1)",
        f"`max_drop_sigma: {SIGMA:g}` (last {HISTORY} seeds)",
    ]


def run(n: int, y: np.ndarray, preds: list[np.ndarray]) -> list[list[str]]:
    names = gate_names()
    fails = {(g, c): 0 for g in names for c in CASES}
    theory = {(a, c): 0.0 for a in ALPHAS for c in CASES}
    rng = np.random.default_rng(n)
    pool = len(y)
    for i in range(HISTORY + 1, HISTORY + 1 + SEEDS):
        base = preds[i - 1]
        b_pop = base == y
        for case, head in heads(y, base, preds[i], np.random.default_rng(i)).items():
            h_pop = head == y
            p10 = float(np.mean(b_pop & ~h_pop))
            p01 = float(np.mean(h_pop & ~b_pop))
            for a in ALPHAS:  # the exact test's chance to fail the gate, from population rates
                theory[(a, case)] += mcnemar.mcnemar_power(n, p10, p01, a, worse_only=True)
        for draw in range(DRAWS):
            sample = rng.integers(0, pool, n)  # the PR's test set: n rows from the population
            ys, bs = y[sample], base[sample]
            b_ok = bs == ys
            history = [float((preds[j][sample] == ys).mean()) for j in range(i - HISTORY, i)]
            sd = float(np.std(history, ddof=1))
            for case, head in heads(y, base, preds[i], np.random.default_rng(i)).items():
                hs = head[sample]
                h_ok = hs == ys
                only_b = int(np.count_nonzero(b_ok & ~h_ok))
                only_h = int(np.count_nonzero(h_ok & ~b_ok))
                drop = float(b_ok.mean() - h_ok.mean())
                p = mcnemar.mcnemar_exact(only_b, only_h)
                f1 = stats.compare(
                    Paired(ys.astype(str), bs.astype(str), hs.astype(str)),
                    "f1",
                    resamples=2000,
                    seed=i * DRAWS + draw,
                )
                verdicts = [
                    drop > MAX_DROP + 1e-12,
                    *(drop > 0 and p < a for a in ALPHAS),
                    drop > MAX_DROP + 1e-12 and p < 0.05,
                    f1.ci_high < 0,
                    drop > SIGMA * sd,
                ]
                for name, failed in zip(names, verdicts, strict=True):
                    fails[(name, case)] += int(failed)
    rows = []
    for name in names:
        cells = [f"{100 * fails[(name, c)] / (SEEDS * DRAWS):.1f}%" for c in CASES]
        for a in ALPHAS:
            if name.startswith(f"`significance: {a}` (McNemar"):
                cells = [
                    f"{cell} ({100 * theory[(a, c)] / SEEDS:.1f}%)"
                    for cell, c in zip(cells, CASES, strict=True)
                ]
        rows.append([f"{n:,}", name, *cells])
    return rows


def speed() -> list[list[str]]:
    rng = np.random.default_rng(0)
    n = 1_000_000
    y = rng.integers(0, 2, n)
    b = np.where(rng.random(n) < 0.9, y, 1 - y)
    h = np.where(rng.random(n) < 0.9, y, 1 - y)
    sb, sh = y + rng.normal(0, 1, n), y + rng.normal(0, 1, n)
    labels = Paired(y, b, h, sb, sh)  # 0/1 columns stay integers (mlgate.evidence.labels)
    text = Paired(y.astype(str), b.astype(str), h.astype(str))
    values = Paired(sb, sb + rng.normal(0, 1, n), sb + rng.normal(0, 1, n))
    out = []
    cases = [
        ("accuracy", labels, "0/1"),
        ("accuracy", text, "text"),
        ("f1", labels, "0/1"),
        ("auc", labels, "0/1 and scores"),
        ("rmse", values, "numbers"),
    ]
    for metric, paired, kind in cases:
        start = time.perf_counter()
        c = stats.compare(paired, metric)
        took = time.perf_counter() - start
        how = f"{c.resamples:,} resamples, {c.method}" if c.resamples else c.method
        out.append([metric, kind, f"{took:.2f} s", how])
    return out


def table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def main() -> int:
    start = time.perf_counter()
    y, preds = predictions()
    trained = time.perf_counter() - start
    rows = []
    for n in SIZES:
        rows += run(n, y, preds)
    print(
        f"{SEEDS * DRAWS:,} PRs per column ({SEEDS} random forests, a seed each, against the "
        f"previous seed, {DRAWS} test sets each) on "
        f"make_classification; test rows drawn from a 10,000-row population; regressed: "
        f"{FLIP:.0%} of the head's correct predictions flipped. In brackets: the exact McNemar "
        f"test's theoretical rate. Training {trained:.0f} s, all "
        f"{time.perf_counter() - start:.0f} s.\n"
    )
    headers = ["test rows", "gate", "fails: retrained", "fails: same accuracy"]
    print(table([*headers, "fails: regressed (detection)"], rows))
    print("\nPaired bootstrap on 1,000,000 rows (10,000 resamples requested):\n")
    print(table(["metric", "labels", "time", "how"], speed()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
