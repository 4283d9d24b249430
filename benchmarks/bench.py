"""Benchmarks, as ratios against a reference run side by side (absolute times are noisy here).

    python benchmarks/bench.py            (or: make bench)

1. start-up: `mlgate --help` vs `dvc --help` and vs a bare `python -c pass`;
2. diff: `mlgate diff` vs `dvc metrics diff`, the table and `--json`, on the same repository;
   layouts (benchmarks/layouts.py): the conformance suite's DVC layouts (git-tracked, directory
   output from the local cache and from the remote only, dvclive, foreach) and DVC projects in
   a subdirectory of a fresh clone (`-C proj`: base objects only in the remote, or fetched into
   the local cache; a subrepo with `foreach`): `mlgate diff --json` vs `dvc metrics diff
   --json`, and `mlgate report` vs the three DVC diff commands (metrics, params, plots) run
   one after the other, DVC in the project's directory;
   data checks: a 1 GiB CSV at base and at head summarized and compared (time, peak memory);
3. plots: one 1,000,000-point series, and 50 plots, with wall time and peak memory (max RSS of
   the process that renders them).

    python benchmarks/bench.py scale      (or: make bench-scale; BENCH_SIZES=1000,10000)
    python benchmarks/bench.py diff       (2. alone: the table and --json, wall and CPU ratios)

4. scale: 1,000, 10,000 and 100,000 metrics (files of 100 values, 10% changed): `mlgate report`
   and `mlgate diff --md` vs `dvc metrics diff --md`, side by side, with the ratios and the peak
   memory of each command (max RSS);
5. history: a repository with 200 commits and 1,000 tracked files, the base 200 commits back:
   `mlgate report` and `mlgate diff --md` vs `dvc metrics diff --md`;
6. repro: `mlgate report --repro` on an unchanged pipeline with a warm run-cache (time to the
   verdict) vs `dvc repro` then `dvc metrics diff --md`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import layouts  # benchmarks/*.py: beside this file
from timing import BIN, ENV, SCALE_RUNS, cpu_timed, median_interleaved, timed


def startup() -> dict[str, float]:
    t = median_interleaved(
        {
            "python -c pass": [sys.executable, "-c", "pass"],
            "mlgate --help": [str(BIN / "mlgate"), "--help"],
            "dvc --help": [str(BIN / "dvc"), "--help"],
        }
    )
    return {**t, "mlgate/dvc": t["mlgate --help"] / t["dvc --help"]}


def metrics_repo(root: Path, files: int = 20, keys: int = 50) -> None:
    def sh(*a: str) -> None:
        subprocess.run(a, cwd=root, env=ENV, check=True, capture_output=True)

    sh("git", "init", "-q", "-b", "main")
    sh(str(BIN / "dvc"), "init", "-q")
    decl = "\n".join(f"  - m{i}.json" for i in range(files))
    (root / "dvc.yaml").write_text(f"metrics:\n{decl}\n")
    for rev in (0, 1):
        for i in range(files):
            (root / f"m{i}.json").write_text(
                json.dumps({"eval": {f"k{j}": (i * j + rev) / 1000 for j in range(keys)}})
            )
        if rev == 0:
            sh("git", "add", "-A")
            sh("git", "commit", "-qm", "base")


def diff() -> dict[str, float]:
    """`mlgate diff` vs `dvc metrics diff`, the table and `--json`, on 20 files of 50 metrics:
    the ratio of wall times and of CPU times (user + system; steadier on a loaded machine)."""
    mlgate, dvc = str(BIN / "mlgate"), str(BIN / "dvc")
    cmds = {
        "mlgate diff": [mlgate, "diff", "--base", "main"],
        "dvc metrics diff": [dvc, "metrics", "diff", "main"],
        "mlgate diff --json": [mlgate, "diff", "--base", "main", "--json"],
        "dvc metrics diff --json": [dvc, "metrics", "diff", "main", "--json"],
    }
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        metrics_repo(root)
        for unit, measure in (("wall", timed), ("cpu", cpu_timed)):
            t = median_interleaved(cmds, cwd=root, measure=measure)
            out |= {f"{k} {unit} s": round(v, 3) for k, v in t.items()}
            out[f"table ratio ({unit})"] = t["mlgate diff"] / t["dvc metrics diff"]
            out[f"json ratio ({unit})"] = t["mlgate diff --json"] / t["dvc metrics diff --json"]
    return out


DATA_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from mlgate.datacheck import compare
from mlgate.datarules import parse_data_rules
from mlgate.sources.tables import summarize
base, head = Path(sys.argv[1]), Path(sys.argv[2])
[rule] = parse_data_rules([{"path": "big.csv", "columns": {"c0": {"type": "float", "min": -100}},
                            "max_psi": 0.2}], ".mlgate.yml")
start = time.perf_counter()
change = compare("big.csv", summarize(base, "big.csv"), summarize(head, "big.csv", rule), rule)
wall = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall_s": wall, "max_rss_mb": rss, "rows": change.head_rows,
                  "sampled": change.sampled, "violations": len(change.violations)}))
"""


def data_scale(gib: float = 1.0) -> dict[str, float]:
    """Data checks on a CSV of `gib` GiB at base and at head (ten float columns): wall time and
    peak memory of summarizing both sides and comparing them."""
    import numpy as np

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for side, shift in (("base", 0.0), ("head", 0.3)):
            rng = np.random.default_rng(len(side))
            block = rng.normal(shift, 1, (200_000, 10))
            text = "\n".join(",".join(f"{v:.6f}" for v in row) for row in block) + "\n"
            path = Path(tmp) / f"{side}.csv"
            with path.open("w") as fh:
                fh.write(",".join(f"c{i}" for i in range(10)) + "\n")
                for _ in range(int(gib * 1024**3 / len(text)) + 1):
                    fh.write(text)
            paths.append(str(path))
        size = Path(paths[0]).stat().st_size / 1024**3
        proc = subprocess.run(
            [sys.executable, "-c", DATA_CHILD, *paths],
            check=True,
            capture_output=True,
            text=True,
            env=ENV,
        )
    return {"gib_per_side": size, **json.loads(proc.stdout.strip().splitlines()[-1])}


PLOT_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import numpy as np
from mlgate.plotdata import parse_table
from mlgate.render.plots import Drawer
from mlgate.pipeline import PlotDef
out = Path(sys.argv[1]); n = int(sys.argv[2]); count = int(sys.argv[3])
x = np.arange(n)
rng = np.random.default_rng(0)
text = "step,loss\n" + "\n".join(f"{i},{v:.6f}" for i, v in zip(x, np.cumsum(rng.normal(size=n))))
data = text.encode()
del text
base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
start = time.perf_counter()
for k in range(count):
    records = parse_table(data, "loss.csv")
    plot = PlotDef(id=f"loss{k}.csv", sources=((f"loss{k}.csv", "loss"),), x="step", y=("loss",))
    Drawer(out, mermaid=False).lines(plot, records, records, ("a", "b"))
wall = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall_s": wall, "max_rss_mb": rss, "rss_before_render_mb": base_rss}))
"""


def plots(points: int, count: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [sys.executable, "-c", PLOT_CHILD, tmp, str(points), str(count)],
            check=True,
            capture_output=True,
            text=True,
            env=ENV,
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


MAXRSS = (
    "import resource, subprocess, sys\n"
    "out = subprocess.DEVNULL\n"
    "subprocess.run(sys.argv[1:], check=True, stdout=out, stderr=out)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def peak_mb(cmd: list[str], cwd: Path) -> float:
    """The command's peak memory (max RSS, MB), measured by a fresh parent of its own."""
    proc = subprocess.run(
        [sys.executable, "-c", MAXRSS, *cmd],
        cwd=cwd,
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
    )
    return int(proc.stdout.strip()) / 1024


def sh(root: Path, *args: str) -> None:
    subprocess.run(args, cwd=root, env=ENV, check=True, capture_output=True)


def scale_repo(root: Path, metrics: int, per_file: int = 100) -> None:
    """`metrics` values in files of `per_file`, declared in dvc.yaml; 10% changed at head."""
    sh(root, "git", "init", "-q", "-b", "main")
    sh(root, str(BIN / "dvc"), "init", "-q")
    files = max(1, metrics // per_file)
    (root / "metrics").mkdir()
    decl = "\n".join(f"  - metrics/m{i}.json" for i in range(files))
    (root / "dvc.yaml").write_text(f"metrics:\n{decl}\n")
    for rev in (0, 1):
        for i in range(files):
            values = {  # names unique across files; changed values move by -3% to +3%
                f"class_{i * per_file + j}": {
                    "acc": round(0.5 + (i * per_file + j) / (2 * metrics), 6)
                    * (1 + rev * (j % 10 == 0) * ((i + j) % 7 - 3) / 100)
                }
                for j in range(per_file)
            }
            (root / "metrics" / f"m{i}.json").write_text(json.dumps({"eval": values}))
        if rev == 0:
            sh(root, "git", "add", "-A")
            sh(root, "git", "commit", "-qm", "base")


def compare_to_dvc(root: Path, out: Path, runs: int) -> dict[str, float]:
    mlgate, dvc = str(BIN / "mlgate"), str(BIN / "dvc")
    cmds = {
        "mlgate report": [mlgate, "report", "--base", "main", "--out", str(out)],
        "mlgate diff --md": [mlgate, "diff", "--base", "main", "--md"],
        "dvc metrics diff --md": [dvc, "metrics", "diff", "main", "--md"],
    }
    t = median_interleaved(cmds, root, runs)
    dvc_s = t["dvc metrics diff --md"]
    return {
        **{f"{k} s": round(v, 3) for k, v in t.items()},
        "report/dvc": round(t["mlgate report"] / dvc_s, 2),
        "diff/dvc": round(t["mlgate diff --md"] / dvc_s, 2),
        "report peak MB": round(peak_mb(cmds["mlgate report"], root), 1),
        "dvc peak MB": round(peak_mb(cmds["dvc metrics diff --md"], root), 1),
    }


def scale(sizes: list[int]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "repo"
            root.mkdir()
            scale_repo(root, n)
            runs = SCALE_RUNS if n >= 100_000 else max(SCALE_RUNS, 5)
            out[f"{n:,} metrics"] = compare_to_dvc(root, Path(tmp) / "out", runs)
    return out


def history(commits: int = 200, files: int = 1000) -> dict[str, float]:
    """A long history and many tracked files; the base is the first commit."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        scale_repo(root, 1000)  # commit 1 on main: 10 metrics files
        sh(root, "git", "checkout", "-qb", "feature")
        src = root / "src"
        src.mkdir()
        for i in range(files):
            (src / f"f{i}.py").write_text(f"X = {i}\n")
        sh(root, "git", "add", "-A")
        sh(root, "git", "commit", "-qm", "files")
        for c in range(commits - 2):
            for i in range(c % 10, files, 97):
                (src / f"f{i}.py").write_text(f"X = {i + c + 1}\n")
            sh(root, "git", "commit", "-qam", f"c{c}")
        return compare_to_dvc(root, Path(tmp) / "out", SCALE_RUNS + 2)


TRAIN = """import json, yaml
p = yaml.safe_load(open("params.yaml"))
json.dump({"acc": 0.9 + p["lr"] / 100, "loss": 0.1}, open("metrics.json", "w"))
"""


def repro() -> dict[str, float]:
    """Time to the verdict on an unchanged pipeline whose run-cache is warm."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        dvc = str(BIN / "dvc")
        sh(root, "git", "init", "-q", "-b", "main")
        sh(root, dvc, "init", "-q")
        (root / "train.py").write_text(TRAIN)
        (root / "params.yaml").write_text("lr: 0.1\n")
        (root / "dvc.yaml").write_text(
            "stages:\n  train:\n    cmd: python train.py\n    deps: [train.py]\n"
            "    params: [lr]\n    metrics:\n      - metrics.json:\n          cache: false\n"
        )
        sh(root, dvc, "repro", "-q")
        sh(root, "git", "add", "-A")
        sh(root, "git", "commit", "-qm", "base")
        sh(root, dvc, "repro", "-q")  # warm: nothing to run
        t = median_interleaved(
            {
                "mlgate report --repro": [
                    str(BIN / "mlgate"),
                    "report",
                    "--repro",
                    "--base",
                    "main",
                    "--out",
                    str(Path(tmp) / "out"),
                ],
                "dvc repro + metrics diff --md": [
                    "sh",
                    "-c",
                    f"{dvc} repro -q && {dvc} metrics diff main --md",
                ],
            },
            root,
            SCALE_RUNS + 2,
        )
    return {
        **{f"{k} s": round(v, 3) for k, v in t.items()},
        "ratio": round(t["mlgate report --repro"] / t["dvc repro + metrics diff --md"], 2),
    }


def table(results: dict[str, dict[str, float]]) -> str:
    """The scale results as a Markdown table (for the issue and docs/benchmarks.md)."""
    cols = [
        "mlgate report s",
        "mlgate diff --md s",
        "dvc metrics diff --md s",
        "report/dvc",
        "diff/dvc",
        "report peak MB",
        "dvc peak MB",
    ]
    lines = ["| case | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name, row in results.items():
        if all(c in row for c in cols):
            lines.append(f"| {name} | " + " | ".join(str(row[c]) for c in cols) + " |")
    return "\n".join(lines)


def main_scale() -> int:
    sizes = [int(n) for n in os.environ.get("BENCH_SIZES", "1000,10000,100000").split(",")]
    results = {**scale(sizes), "200 commits, 1,000 files": history()}
    rep = repro()
    print(json.dumps({**results, "repro (warm run-cache)": rep}, indent=2))
    print()
    print(table(results))
    print()
    print(
        f"mlgate report --repro: {rep['mlgate report --repro s']} s, dvc repro + metrics diff "
        f"--md: {rep['dvc repro + metrics diff --md s']} s, ratio {rep['ratio']}"
    )
    return 0


def main() -> int:
    if shutil.which("git") is None:
        print("git is required", file=sys.stderr)
        return 2
    if sys.argv[1:] == ["scale"]:
        return main_scale()
    if sys.argv[1:] == ["diff"]:  # `mlgate diff` alone (issue 22: <= 0.2x dvc metrics diff)
        print(json.dumps(diff(), indent=2))
        return 0
    results = {
        "startup_s": startup(),
        "diff_s": diff(),
        "layouts_s": layouts.layouts(),
        "plot_1M_points": plots(1_000_000, 1),
        "plots_50_x_1000_points": plots(1_000, 50),
        "data_checks_1GiB_csv_each_side": data_scale(1.0),
    }
    print(json.dumps(results, indent=2))
    print()
    print(layouts.table(results["layouts_s"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
