"""Benchmark of slice gates (issue 26): the family-wise false-alarm rate, detection, and speed.

    python benchmarks/slice_verdicts.py            (or: make bench-verdicts, which runs it after
                                            benchmarks/verdicts.py)

1. Error rates, through mlgate's own `slicetest.evaluate` (exact McNemar test on accuracy per
   slice, Holm's correction). k slices (k = 4, 16, 64) of ROWS rows each; every row is, at base
   and head, (right, right), (right, wrong), (wrong, right) or (wrong, wrong) with probabilities
   0.80, 0.05, 0.05, 0.10: base and head are exactly as accurate in every slice (McNemar's
   null). Under that null, the share of TRIALS PRs in which any slice fails is the family-wise
   false-alarm rate, at significance 0.05 and 0.01, beside the same rate without correction
   (any slice with p < significance) and the whole gate's (the overall test or any slice).
   Then one slice gets DROP of its rows moved from (right, right) to (right, wrong): a drop of
   DROP in that slice's accuracy. Detection is the share of PRs in which that slice fails after
   Holm's correction, beside the uncorrected per-slice test's power (its p < significance).
   The same for macro F1 (the paired bootstrap's p-value) with fewer PRs, k = 4 and 16.
2. Speed: 1,000,000 rows x 3 slice columns (8 regions, 3 devices, age cut into 4 bins), head
   in another row order (aligned by id): reading the slice columns and testing every slice,
   beside the overall paired comparison and pandas' groupby of per-slice accuracy; then
   `mlgate report` on a 1,000,000-row predictions.csv with and without `slices:`.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from verdicts import table  # benchmarks/verdicts.py, beside this file

from mlgate import slices, slicetest, stats
from mlgate.evidence import Source, align
from mlgate.stats import Paired

TRIALS = int(os.environ.get("BENCH_TRIALS", "2000"))
F1_TRIALS = int(os.environ.get("BENCH_F1_TRIALS", "200"))
ROWS = 500  # per slice
KS = (4, 16, 64)
ALPHAS = (0.05, 0.01)
NULL = np.array([0.80, 0.05, 0.05, 0.10])  # both right, only base right, only head, neither
DROP = 0.05
BIN = Path(sys.executable).parent


def trial(k: int, rng: np.random.Generator, *, drop: float) -> tuple[Paired, slices.Column]:
    """k slices of ROWS rows; slice 0 loses `drop` of its accuracy at head."""
    probs = np.tile(NULL, (k, 1))
    probs[0] += [-drop, drop, 0.0, 0.0]
    counts = np.stack([rng.multinomial(ROWS, p) for p in probs])
    cell = np.concatenate([np.repeat(np.arange(4), c) for c in counts])
    codes = np.repeat(np.arange(k), ROWS)
    actual = rng.integers(0, 2, len(cell))
    base = np.where(np.isin(cell, (0, 1)), actual, 1 - actual)
    head = np.where(np.isin(cell, (0, 2)), actual, 1 - actual)
    column = slices.Column("slice", tuple(f"s{i}" for i in range(k)), codes)
    return Paired(actual, base, head), column


def rates(k: int, metric: str, trials: int, *, drop: float) -> dict[str, list[float]]:
    """Per alpha: [Holm fails any slice, uncorrected fails any, gate fails (overall or a
    slice), planted slice fails after Holm, planted slice's own p < alpha]."""
    rng = np.random.default_rng(k * 1000 + int(drop * 100) + len(metric))
    test = slicetest.Test(metric, resamples=0 if metric != "accuracy" else 200)
    out = {str(a): [0.0] * 5 for a in ALPHAS}
    for _ in range(trials):
        paired, column = trial(k, rng, drop=drop)
        f = slicetest.evaluate(
            paired, {"slice": column}, test, significance=min(ALPHAS), min_rows=30
        )
        worse = [s for s in f.slices if s.worsening > 1e-12 and s.p is not None]
        overall = stats.compare(paired, metric, resamples=200) if metric == "accuracy" else None
        for a in ALPHAS:
            row = out[str(a)]
            holm = [s for s in worse if (s.p_holm or 1.0) < a]
            row[0] += bool(holm)
            row[1] += any((s.p or 1.0) < a for s in worse)
            overall_fails = overall is not None and overall.delta < 0 and (overall.p_value or 1) < a
            row[2] += bool(holm) or overall_fails
            row[3] += any(s.label == "s0" for s in holm)
            row[4] += any(s.label == "s0" and (s.p or 1.0) < a for s in worse)
    return {a: [v / trials for v in row] for a, row in out.items()}


def pct(x: float, trials: int) -> str:
    """A rate with the upper end of its 95% interval (normal approximation, Wilson-like floor)."""
    hi = x + 1.96 * math.sqrt(max(x * (1 - x), 1.0 / trials) / trials)
    return f"{100 * x:.1f}% (≤ {100 * hi:.1f}%)"


def error_table(metric: str, ks: tuple[int, ...], trials: int) -> list[list[str]]:
    rows = []
    for k in ks:
        null = rates(k, metric, trials, drop=0.0)
        hit = rates(k, metric, trials, drop=DROP)
        for a in ALPHAS:
            n, h = null[str(a)], hit[str(a)]
            gate = pct(n[2], trials) if metric == "accuracy" else "-"
            rows.append(
                [
                    metric,
                    str(k),
                    f"{a:g}",
                    pct(n[0], trials),
                    f"{100 * n[1]:.1f}%",
                    gate,
                    f"{100 * h[3]:.1f}%",
                    f"{100 * h[4]:.1f}%",
                ]
            )
    return rows


def tables(n: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Base and head as pandas reads a 1,000,000-row CSV; head in another row order."""
    rng = np.random.default_rng(0)
    ids = np.array([f"r{i}" for i in range(n)], dtype=object)
    y = rng.integers(0, 2, n)
    b_ok = rng.random(n) < 0.85
    h_ok = np.where(rng.random(n) < 0.1, ~b_ok, b_ok)
    region = np.array([f"region-{c}" for c in "ABCDEFGH"], dtype=object)[rng.integers(0, 8, n)]
    device = np.array(["phone", "tablet", "desktop"], dtype=object)[rng.integers(0, 3, n)]
    age = rng.integers(18, 90, n).astype(np.float64)
    base = {"id": ids, "actual": y, "predicted": np.where(b_ok, y, 1 - y)}
    base |= {"region": region, "device": device, "age": age}
    order = rng.permutation(n)
    head = {k: v[order] for k, v in base.items()}
    head["predicted"] = np.where(h_ok, y, 1 - y)[order]
    return base, head


def best(fn: object, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def speed(n: int = 1_000_000) -> list[list[str]]:
    base, head = tables(n)
    paired = align(base, head, Source("predictions.csv"))
    assert isinstance(paired, Paired)
    opts = slices.Options(("region", "device", "age"))
    cols = slices.read(base, head, paired.head_row, opts, "predictions.csv")
    assert isinstance(cols, dict)
    frame = pd.DataFrame(base)
    right = frame["actual"] == frame["predicted"]

    def groupby() -> None:
        for name in opts.columns:
            key = pd.qcut(frame[name], 4) if name == "age" else frame[name]
            right.groupby(key, observed=True).mean()

    def test(metric: str) -> None:
        slicetest.evaluate(paired, cols, slicetest.Test(metric), significance=0.05, min_rows=30)

    cases = [
        ("align base and head by id (overall, as before)", lambda: align(base, head, Source("p"))),
        ("overall paired comparison, accuracy", lambda: stats.compare(paired, "accuracy")),
        (
            "read 3 slice columns (checks, bins, `(missing)`)",
            lambda: slices.read(base, head, paired.head_row, opts, "p"),
        ),
        ("test 15 slices, accuracy (McNemar, Holm)", lambda: test("accuracy")),
        ("test 15 slices, macro F1 (bootstrap, Holm)", lambda: test("f1")),
        ("reference: pandas groupby accuracy, 3 columns", groupby),
    ]
    return [[what, f"{best(fn):.2f} s"] for what, fn in cases]


def sh(root: Path, *args: str) -> None:
    subprocess.run(args, cwd=root, check=True, capture_output=True)


def end_to_end(n: int = 1_000_000) -> list[list[str]]:
    """`mlgate report` on a 1,000,000-row predictions.csv, with and without `slices:`."""
    base, head = tables(n)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        sh(root, "git", "init", "-q", "-b", "main")
        sh(root, "git", "config", "user.email", "b@b")
        sh(root, "git", "config", "user.name", "b")
        for cfg, slices_line in (("plain", ""), ("sliced", "    slices: [region, device, age]\n")):
            (root / f"{cfg}.yml").write_text(
                "base: main\nmetrics: [metrics.json]\ngates:\n  - metric: accuracy\n"
                "    significance: 0.05\n    predictions: predictions.csv\n" + slices_line
            )
        pd.DataFrame(base).to_csv(root / "predictions.csv", index=False)
        (root / "metrics.json").write_text('{"accuracy": 0.85}')
        sh(root, "git", "add", "-A")
        sh(root, "git", "commit", "-qm", "base")
        pd.DataFrame(head).to_csv(root / "predictions.csv", index=False)
        runs = {
            "significance gate": ("plain", "assets"),
            "the same gate with 3 slice columns": ("sliced", "assets"),
            "significance gate, `--plots off`": ("plain", "off"),
            "the same gate with 3 slice columns, `--plots off`": ("sliced", "off"),
        }
        timing: dict[str, float] = {}
        for _ in range(3):  # interleaved, best of three: noise hits them alike
            for what, (cfg, plots) in runs.items():
                cmd = [str(BIN / "mlgate"), "report", "--config", f"{cfg}.yml"]
                cmd += ["--out", f"out-{cfg}", "--plots", plots]
                start = time.perf_counter()
                proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
                took = time.perf_counter() - start
                assert proc.returncode in (0, 1), proc.stderr
                timing[what] = min(timing.get(what, math.inf), took)
        names = list(runs)
        for plain, sliced in ((names[0], names[1]), (names[2], names[3])):
            out.append([f"`mlgate report`, {plain}", f"{timing[plain]:.1f} s", "1.00"])
            ratio = timing[sliced] / timing[plain]
            out.append([f"`mlgate report`, {sliced}", f"{timing[sliced]:.1f} s", f"{ratio:.2f}"])
    return out


def main() -> int:
    start = time.perf_counter()
    rows = error_table("accuracy", KS, TRIALS) + error_table("f1", KS[:2], F1_TRIALS)
    print(
        f"Slice gates: k slices of {ROWS} rows; under the null every slice's base and head are "
        f"equally accurate; detection: one slice loses {DROP:.0%} of its accuracy. "
        f"{TRIALS:,} PRs per cell for accuracy (exact McNemar), {F1_TRIALS:,} for macro F1 "
        "(paired bootstrap). In brackets: the upper end of the rate's 95% interval.\n"
    )
    headers = [
        "metric",
        "k",
        "significance",
        "false alarms, Holm (family-wise)",
        "false alarms, uncorrected",
        "false alarms, whole gate (overall or a slice)",
        "detection, Holm",
        "power, uncorrected per-slice test",
    ]
    print(table(headers, rows))
    print(f"\n({time.perf_counter() - start:.0f} s)\n\n1,000,000 rows x 3 slice columns:\n")
    print(table(["step", "time"], speed()))
    print()
    print(table(["command", "time", "ratio"], end_to_end()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
