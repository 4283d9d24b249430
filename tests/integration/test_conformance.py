"""Conformance with DVC as the oracle: one small generated project per layout DVC allows, with a
base commit on `main` and a head in the workspace, both produced by the real `dvc repro`.

For every layout: `mlgate diff --json` equals `dvc metrics diff main --json`, `mlgate diff
--params --json` equals `dvc params diff main --json`, and every line mlgate draws equals the
points `dvc plots diff main --json` returns for that revision and file. The layouts are listed
in tests/README.md.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import DVC, Repo, new_dvc_repo

pytestmark = pytest.mark.slow

# One script writes every kind of file the layouts need, scaled by `scale` in a params file, so
# that base (scale 1.0) and head (another scale) differ in every value.
GEN = r"""
import json, os, sys, yaml
kind, out = sys.argv[1], sys.argv[2]
pfile = sys.argv[3] if len(sys.argv) > 3 else "params.yaml"
s = yaml.safe_load(open(pfile))["scale"]
os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
if kind == "metrics":
    json.dump({"acc": round(0.9 * s, 4), "loss": round(0.2 / s, 4),
               "nested": {"f1": round(0.8 * s, 4), "name": "rf"}}, open(out, "w"))
elif kind == "yaml":
    open(out, "w").write(f"avg_prec: {round(0.46 * s, 4)}\nroc_auc: {round(0.9 * s, 4)}\n")
elif kind == "roc":
    json.dump({"roc": [{"fpr": i / 10, "tpr": round(min(1, (i / 10) ** 0.5 * s), 4)}
                       for i in range(11)]}, open(out, "w"))
elif kind == "tsv":
    name = os.path.splitext(os.path.basename(out))[0]
    rows = "".join(f"{1700000000 + i}\t{i}\t{round(1 / (i + 1) * s, 4)}\n" for i in range(5))
    open(out, "w").write(f"timestamp\tstep\t{name}\n" + rows)
elif kind == "csv":
    open(out, "w").write("epoch,loss\n" + "".join(f"{e},{round(1 / (e + 1) * s, 4)}\n"
                                                    for e in range(6)))
elif kind == "png":
    from PIL import Image
    Image.new("RGB", (16, 12), (int(200 * s) % 256, 10, 10)).save(out)
"""


def gen(kind: str, out: str, params: str = "params.yaml") -> str:
    return f"python gen.py {kind} {out} {params}"


def new_repo(path: Path) -> Repo:
    r = new_dvc_repo(path)
    r.write("gen.py", GEN)
    return r


def base_then_head(r: Repo, head_scale: str = "0.95", params: tuple[str, ...] = ()) -> None:
    """Commit the base on main (after `dvc repro`), then change the scale and reproduce."""
    r.dvc("repro", "--quiet", "--all-pipelines")
    r.commit("base")
    r.git("checkout", "--quiet", "-b", "pr")
    for file in params or ("params.yaml",):
        text = (r.path / file).read_text()
        r.write(file, text.replace("scale: 1.0", f"scale: {head_scale}"))
    r.dvc("repro", "--quiet", "--all-pipelines")


# -- the layouts ------------------------------------------------------------------------------


def git_tracked(r: Repo) -> None:
    """A stage whose metrics file has `cache: false` and is committed to git."""
    r.write("params.yaml", "scale: 1.0\nlr: 0.1\n")
    r.write(
        "dvc.yaml",
        f"""stages:
  train:
    cmd: {gen("metrics", "metrics.json")}
    deps: [gen.py]
    params: [scale]
    metrics:
      - metrics.json:
          cache: false
""",
    )
    base_then_head(r)


def dvc_cached(r: Repo) -> None:
    """Metrics cached by DVC (not in git): the base value comes from the local cache."""
    r.write("params.yaml", "scale: 1.0\n")
    r.write(
        "dvc.yaml",
        f"""stages:
  train:
    cmd: {gen("metrics", "metrics.json")} && {gen("yaml", "scores.yaml")}
    deps: [gen.py]
    params: [scale]
    metrics: [metrics.json, scores.yaml]
""",
    )
    base_then_head(r)


EVAL_YAML = f"""stages:
  evaluate:
    cmd: >-
      {gen("metrics", "eval/metrics.json")} && {gen("roc", "eval/plots/roc/train.json")}
      && {gen("roc", "eval/plots/roc/test.json")} && {gen("png", "eval/importance.png")}
    deps: [gen.py]
    params: [scale]
    outs:
      - eval
metrics:
  - eval/metrics.json
plots:
  - ROC:
      template: simple
      x: fpr
      y:
        eval/plots/roc/train.json: tpr
        eval/plots/roc/test.json: tpr
  - eval/importance.png
"""


def directory_output(r: Repo) -> None:
    """The evaluate stage's one directory output holds the metrics and the plot files."""
    r.write("params.yaml", "scale: 1.0\n")
    r.write("dvc.yaml", EVAL_YAML)
    base_then_head(r)


def remote_only(r: Repo) -> None:
    """A fresh clone whose base objects exist only in the DVC remote (empty local cache)."""
    origin = new_dvc_repo(r.path.parent / "origin")
    shutil.rmtree(r.path)
    origin.dvc("remote", "add", "-d", "store", str(r.path.parent / "remote"))
    origin.write("gen.py", GEN)
    origin.write("params.yaml", "scale: 1.0\n")
    origin.write("dvc.yaml", EVAL_YAML)
    origin.dvc("repro", "--quiet")
    origin.dvc("push", "--quiet")
    origin.commit("base")
    subprocess.run(["git", "clone", "--quiet", f"file://{origin.path}", str(r.path)], check=True)
    assert not (r.path / ".dvc" / "cache").exists()
    r.git("checkout", "--quiet", "-b", "pr")
    r.write("params.yaml", "scale: 0.9\n")
    r.dvc("repro", "--quiet")


def dvc_add(r: Repo) -> None:
    """Results tracked with `dvc add` (a `.dvc` file, no stage), metrics declared top-level."""
    r.write("params.yaml", "scale: 1.0\n")
    r.run(sys.executable, "gen.py", "metrics", "results/metrics.json")
    r.dvc("add", "--quiet", "results")
    r.write("dvc.yaml", "metrics:\n  - results/metrics.json\nparams:\n  - params.yaml\n")
    r.commit("base")
    r.git("checkout", "--quiet", "-b", "pr")
    r.write("params.yaml", "scale: 0.9\n")
    r.run(sys.executable, "gen.py", "metrics", "results/metrics.json")
    r.dvc("add", "--quiet", "results")


def monorepo(r: Repo) -> None:
    """One pipeline per model in subdirectories, each with its own dvc.yaml, lock and params."""
    for name in ("a", "b"):
        r.write(f"models/{name}/params.yaml", "scale: 1.0\ndepth: 3\n")
        r.write(
            f"models/{name}/dvc.yaml",
            """stages:
  train:
    cmd: python ../../gen.py metrics metrics.json params.yaml
    deps: [../../gen.py]
    params: [scale, depth]
    metrics: [metrics.json]
""",
        )
    base_then_head(r, params=("models/a/params.yaml",))


def foreach(r: Repo) -> None:
    """A `foreach` stage: one metrics file per item."""
    r.write("params.yaml", "scale: 1.0\n")
    r.write(
        "dvc.yaml",
        """stages:
  train:
    foreach: [small, large]
    do:
      cmd: python gen.py metrics metrics_${item}.json
      deps: [gen.py]
      params: [scale]
      metrics:
        - metrics_${item}.json
""",
    )
    base_then_head(r)


def matrix(r: Repo) -> None:
    """A `matrix` stage over two axes."""
    r.write("params.yaml", "scale: 1.0\n")
    r.write(
        "dvc.yaml",
        """stages:
  train:
    matrix:
      model: [rf, lr]
      fold: [1, 2]
    cmd: python gen.py metrics out/${item.model}_${item.fold}.json
    deps: [gen.py]
    params: [scale]
    metrics:
      - out/${item.model}_${item.fold}.json
""",
    )
    base_then_head(r)


def vars_interpolation(r: Repo) -> None:
    """Top-level `vars` and `${...}` in paths and commands."""
    r.write("params.yaml", "scale: 1.0\nout_dir: results\n")
    r.write(
        "dvc.yaml",
        """vars:
  - params.yaml
  - name: scores
stages:
  train:
    cmd: python gen.py metrics ${out_dir}/${name}.json
    deps: [gen.py]
    params: [scale]
    metrics:
      - ${out_dir}/${name}.json
""",
    )
    base_then_head(r)


def wdir(r: Repo) -> None:
    """A stage with `wdir:`: its paths, params file and lock entries are relative to it."""
    r.write("sub/params.yaml", "scale: 1.0\n")
    r.write(
        "dvc.yaml",
        """stages:
  train:
    wdir: sub
    cmd: python ../gen.py metrics m/metrics.json params.yaml
    deps: [../gen.py]
    params: [scale]
    metrics: [m/metrics.json]
    plots:
      - loss.csv:
          x: epoch
          cache: false
""",
    )
    (r.path / "sub").mkdir(exist_ok=True)
    text = (r.path / "dvc.yaml").read_text()
    r.write(
        "dvc.yaml",
        text.replace(
            "cmd: python ../gen.py metrics m/metrics.json params.yaml",
            "cmd: python ../gen.py metrics m/metrics.json params.yaml && "
            "python ../gen.py csv loss.csv params.yaml",
        ),
    )
    base_then_head(r, params=("sub/params.yaml",))


def cache_true_and_false(r: Repo) -> None:
    """Stage-level metrics and plots, one cached by DVC, one committed to git."""
    r.write("params.yaml", "scale: 1.0\n")
    r.write(
        "dvc.yaml",
        f"""stages:
  train:
    cmd: {gen("metrics", "cached.json")} && {gen("yaml", "gitted.yaml")} && {gen("csv", "loss.csv")}
    deps: [gen.py]
    params: [scale]
    metrics:
      - cached.json
      - gitted.yaml:
          cache: false
    plots:
      - loss.csv:
          x: epoch
          y: loss
""",
    )
    base_then_head(r)


def params_many_files(r: Repo) -> None:
    """Params from several files: keys from params.yaml, a key list from train.yaml (only those
    keys are tracked), and a whole file named at the top level."""
    r.write("params.yaml", "scale: 1.0\nunused: 1\n")
    r.write("train.yaml", "opt:\n  lr: 0.1\n  momentum: 0.9\nseed: 1\nignored: 5\n")
    r.write("extra.toml", 'mode = "fast"\n[limits]\nmax = 3\n')
    r.write(
        "dvc.yaml",
        f"""params:
  - extra.toml
stages:
  train:
    cmd: {gen("metrics", "metrics.json")}
    deps: [gen.py]
    params:
      - scale
      - train.yaml:
          - opt.lr
          - seed
    metrics: [metrics.json]
""",
    )
    r.dvc("repro", "--quiet")
    r.commit("base")
    r.git("checkout", "--quiet", "-b", "pr")
    r.write("params.yaml", "scale: 0.9\nunused: 2\n")
    r.write("train.yaml", "opt:\n  lr: 0.05\n  momentum: 0.8\nseed: 1\nignored: 6\n")
    r.write("extra.toml", 'mode = "slow"\n[limits]\nmax = 4\n')
    r.dvc("repro", "--quiet")


def dvclive(r: Repo) -> None:
    """dvclive's layout: a directory output `dvclive/` with metrics.json, a params file the
    top-level `params:` names, and a plots directory (nested train/loss.tsv) with x: step."""
    r.write("params.yaml", "scale: 1.0\n")
    cmd = " && ".join(
        [
            gen("metrics", "dvclive/metrics.json"),
            "cp params.yaml dvclive/params.yaml",
            gen("tsv", "dvclive/plots/metrics/acc.tsv"),
            gen("tsv", "dvclive/plots/metrics/train/loss.tsv"),
        ]
    )
    r.write(
        "dvc.yaml",
        f"""stages:
  train:
    cmd: {cmd}
    deps: [gen.py]
    params: [scale]
    outs: [dvclive]
metrics:
  - dvclive/metrics.json
params:
  - dvclive/params.yaml
plots:
  - dvclive/plots/metrics:
      x: step
""",
    )
    base_then_head(r)


def metric_new_in_pr(r: Repo) -> None:
    """The PR adds a metrics file the base never had: its values are new."""
    git_tracked(r)
    text = (r.path / "dvc.yaml").read_text()
    r.write(
        "dvc.yaml",
        text.replace(
            "    metrics:\n", "    metrics:\n      - extra.json:\n          cache: false\n"
        ).replace(
            gen("metrics", "metrics.json"),
            f"{gen('metrics', 'metrics.json')} && {gen('metrics', 'extra.json')}",
        ),
    )
    r.dvc("repro", "--quiet")


def metric_deleted_in_pr(r: Repo) -> None:
    """The PR stops producing one of two metrics files: its values are removed."""
    dvc_cached(r)
    text = (r.path / "dvc.yaml").read_text()
    r.write(
        "dvc.yaml",
        text.replace("metrics: [metrics.json, scores.yaml]", "metrics: [metrics.json]").replace(
            f" && {gen('yaml', 'scores.yaml')}", ""
        ),
    )
    (r.path / "scores.yaml").unlink()
    r.dvc("repro", "--quiet")


def metrics_directory(r: Repo) -> None:
    """`metrics:` naming a directory: every file inside it is a metrics file."""
    r.write("params.yaml", "scale: 1.0\n")
    r.write(
        "dvc.yaml",
        f"""stages:
  evaluate:
    cmd: {gen("metrics", "scores/a.json")} && {gen("yaml", "scores/b.yaml")}
    deps: [gen.py]
    params: [scale]
    outs: [scores]
metrics:
  - scores
""",
    )
    base_then_head(r)


def yaml_exponent_floats(r: Repo) -> None:
    """YAML 1.2 numbers as DVC reads them (issue 20): `5e-2` is 0.05, `1E3` is 1000, `1e999`
    is infinite and `yes` is text, in metrics (YAML and `.txt`) and params, at both revisions."""
    r.write("dvc.yaml", "metrics:\n  - metrics.yaml\n  - scores.txt\nparams:\n  - hp.yaml\n")
    r.write("metrics.yaml", "loss: 5e-2\nauc: 9.1E-1\nsteps: 1e3\nflag: yes\nbig: 1e999\n")
    r.write("scores.txt", "err: 2.5e-1\nrate: .5\n")
    r.write("hp.yaml", "lr: 1e-3\nwd: 5E-4\nwarm: 0o17\n")
    r.commit("base")
    r.write("metrics.yaml", "loss: 6e-2\nauc: 9.2E-1\nsteps: 2e3\nflag: no\nbig: 1\n")
    r.write("scores.txt", "err: 2.0e-1\nrate: .25\n")
    r.write("hp.yaml", "lr: 2e-3\nwd: 5E-4\nwarm: 0o20\n")


LAYOUTS: dict[str, Callable[[Repo], None]] = {
    f.__name__: f
    for f in (
        git_tracked,
        dvc_cached,
        directory_output,
        remote_only,
        dvc_add,
        monorepo,
        foreach,
        matrix,
        vars_interpolation,
        wdir,
        cache_true_and_false,
        params_many_files,
        dvclive,
        metric_new_in_pr,
        metric_deleted_in_pr,
        metrics_directory,
        yaml_exponent_floats,
    )
}


# -- the oracle -------------------------------------------------------------------------------


def dvc_json(r: Repo, *args: str) -> object:
    proc = subprocess.run(
        [DVC, *args, "--json"], cwd=r.path, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout or "{}")


def without_pct(result: object) -> object:
    assert isinstance(result, dict)
    return {
        path: {key: {k: v for k, v in e.items() if k != "diff_pct"} for key, e in keys.items()}
        for path, keys in result.items()
    }


def _y_fields(content: object) -> list[str]:
    """Every `encoding.y.field` in a Vega-Lite spec (templates nest them in layers)."""
    found: list[str] = []
    if isinstance(content, dict):
        enc = content.get("encoding")
        if isinstance(enc, dict) and isinstance(enc.get("y"), dict) and "field" in enc["y"]:
            found.append(enc["y"]["field"])
        for value in content.values():
            found += _y_fields(value)
    elif isinstance(content, list):
        for value in content:
            found += _y_fields(value)
    return found


def dvc_lines(r: Repo) -> dict[tuple[str, str, str, str], list[tuple[float, float]]]:
    """(plot id, revision, file name, y field) -> points, from `dvc plots diff --json`."""
    data = dvc_json(r, "plots", "diff", "main").get("data", {})  # type: ignore[attr-defined]
    out: dict[tuple[str, str, str, str], list[tuple[float, float]]] = {}
    for pid, entries in data.items():
        for entry in entries:
            if entry["type"] != "vega":
                continue
            content = entry["content"]
            x_field = content["encoding"]["x"]["field"]
            y_field = next(iter(_y_fields(content)))
            for point in content["data"]["values"]:
                file = Path(point.get("filename", pid)).name
                # several y fields are folded by DVC into `field` / `dvc_inferred_y_value`
                y_name = point.get("field", y_field)
                value = point.get("dvc_inferred_y_value", point.get(y_field))
                key = (pid, point["rev"], file, y_name)
                out.setdefault(key, []).append((float(point[x_field]), float(value)))
    return out


def mlgate_lines(r: Repo) -> dict[tuple[str, str, str, str], list[tuple[float, float]]]:
    from mlgate.gather import gather
    from mlgate.log import Log
    from mlgate.render.charts.lines import line_series
    from mlgate.render.plots import collect_layers, units
    from mlgate.settings import Settings
    from mlgate.sources.git import Git

    g = gather(
        Settings.from_mapping({"base": "main"}),
        Git(r.path),
        root=r.path,
        log=Log(),
        with_plots=True,
    )
    out: dict[tuple[str, str, str, str], list[tuple[float, float]]] = {}
    for pf in g.plots:
        if pf.plot.is_image or pf.plot.template.startswith(("confusion", "bar")):
            continue
        for plot, files in units(pf):
            layers, _missing = collect_layers(plot, files, pf)
            for layer, _raw, y, s in line_series(plot, layers):
                rev = "main" if layer.side == "base" else "workspace"
                key = (plot.id, rev, Path(layer.file).name, y)
                out[key] = list(zip(s.x.tolist(), s.y.tolist(), strict=True))
    return out


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_layout_agrees_with_dvc(layout: str, tmp_path: Path, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    r = new_repo(tmp_path / "repo") if layout != "remote_only" else Repo(tmp_path / "repo")
    if layout == "remote_only":
        (tmp_path / "repo").mkdir()
    LAYOUTS[layout](r)
    chdir(r.path)

    res = cli("diff", "--base", "main", "--json")
    assert res.code == 0, res.err
    ours = without_pct(json.loads(res.out))
    theirs = dvc_json(r, "metrics", "diff", "main")
    assert ours == theirs
    assert ours, "the layout must change at least one metric"

    res = cli("diff", "--base", "main", "--params", "--json")
    assert res.code == 0, res.err
    assert without_pct(json.loads(res.out)) == dvc_json(r, "params", "diff", "main")

    assert mlgate_lines(r) == dvc_lines(r)
