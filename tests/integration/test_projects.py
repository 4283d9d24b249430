"""DVC projects anywhere in the repository (issue 23): a working directory below its project's
root, and data checks that leave metrics and plot data to their own sections. The layouts with a
project in a subdirectory, their values against DVC's and their gates, are in
test_conformance_projects.py."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo

pytestmark = pytest.mark.slow


def report(cli: Any, directory: str) -> tuple[int, str, dict[str, Any]]:
    res = cli("report", "-C", directory, "--base", "main", "--out", "out")
    assert "Traceback" not in res.err
    out = Path(directory) / "out"
    return res.code, (out / "report.md").read_text(), json.loads((out / "result.json").read_text())


def test_a_working_directory_below_the_project_root(repo: Repo, tmp_path: Path, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    """`-C models/a` in a project whose `.dvc/` is at the top, from a fresh clone: the templated
    dvc.yaml is resolved and the base value read from the remote at the project's root, and the
    DVC files outside models/a are named in a note."""
    gen = (
        "import json, sys, yaml; s = yaml.safe_load(open('params.yaml'))['scale']; "
        "json.dump({'f1': s}, open(sys.argv[1], 'w'))"
    )
    repo.dvc("remote", "add", "--default", "store", str(tmp_path / "remote"))
    for name in ("a", "b"):
        repo.write(f"models/{name}/gen.py", gen)
        repo.write(f"models/{name}/params.yaml", "scale: 1.0\nout: m.json\n")
        repo.write(
            f"models/{name}/dvc.yaml",
            "stages:\n  train:\n    cmd: python gen.py ${out}\n    deps: [gen.py]\n"
            "    params: [scale]\n    metrics:\n      - ${out}\n",
        )
    repo.dvc("repro", "--quiet", "--all-pipelines")
    repo.dvc("push", "--quiet")
    repo.commit("base")
    clone = Repo(tmp_path / "clone")
    subprocess.run(["git", "clone", "--quiet", f"file://{repo.path}", str(clone.path)], check=True)
    clone.git("checkout", "--quiet", "-b", "pr")
    clone.write("models/a/params.yaml", "scale: 0.5\nout: m.json\n")
    clone.dvc("repro", "--quiet", "--all-pipelines")
    shutil.rmtree(clone.path / ".dvc" / "cache")  # the base's objects: only in the remote
    chdir(clone.path)
    res = cli("diff", "-C", "models/a", "--base", "main", "--json")
    assert res.code == 0, res.err
    assert json.loads(res.out) == {
        "m.json": {"f1": {"old": 1.0, "new": 0.5, "diff": -0.5, "diff_pct": -50.0}}
    }
    code, text, _result = report(cli, "models/a")
    assert code == 0
    assert (
        "the working directory models/a is inside the DVC project at ., whose DVC files outside "
        "it \\(models/b/dvc.yaml\\) are not read here"
    ) in text


LIVE = """
import json, os, sys
s = float(open("scale").read())
os.makedirs("eval/plots/metrics", exist_ok=True)
json.dump({"mse": 0.2 * s}, open("eval/metrics.json", "w"))
for name in ("mse", "mae", "r2"):
    open(f"eval/plots/metrics/{name}.tsv", "w").write(f"step\\t{name}\\n0\\t{0.2 * s}\\n")
open("eval/roc.csv", "w").write("fpr,tpr\\n0,0\\n0.5,%s\\n1,1\\n" % (0.7 * s))
rows = "".join(f"{i},{i * s}\\n" for i in range(200))
open("eval/predictions.csv", "w").write("id,score\\n" + rows)
"""


def test_data_checks_leave_out_metrics_plots_and_dvclive_inside_a_directory_output(
    repo: Repo, cli, chdir
) -> None:  # type: ignore[no-untyped-def]
    repo.write("live.py", LIVE)
    repo.write("scale", "1.0")
    repo.write(
        "dvc.yaml",
        f"stages:\n  train:\n    cmd: {sys.executable} live.py\n    deps: [live.py, scale]\n"
        "    outs: [eval]\nmetrics:\n  - eval/metrics.json\nplots:\n  - eval/roc.csv:\n"
        "      x: fpr\n      y: tpr\n",
    )
    repo.write(".mlgate.yml", "data:\n  - path: eval/plots/metrics/r2.tsv\n")
    repo.dvc("repro", "--quiet")
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("scale", "0.5")
    repo.dvc("repro", "--quiet")
    chdir(repo.path)
    _code, text, result = report(cli, ".")
    # the data itself and the file `data:` names; not the declared plot nor dvclive's curves
    assert [d["path"] for d in result["data"]] == [
        "eval/plots/metrics/r2.tsv",
        "eval/predictions.csv",
    ]
    assert (
        "data checks: 2 file\\(s\\) in dvclive's layout not compared as data \\(training curves: "
        "eval/plots/metrics/mae.tsv, eval/plots/metrics/mse.tsv\\)"
    ) in text


def test_resolving_the_workspace_templates_leaves_nothing_behind(
    repo: Repo, tmp_path: Path, cli, chdir, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """DVC resolves the PR's templated dvc.yaml without a state database or site cache: nothing
    is written (before, every run left a `mlgate-dvc-site-*` directory in the temp dir)."""
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    repo.write("params.yaml", "out: m.json\n")
    repo.write("dvc.yaml", "metrics:\n  - ${out}\n")
    repo.write("m.json", {"f1": 0.5})
    repo.commit("base")
    repo.write("m.json", {"f1": 0.6})
    chdir(repo.path)
    res = cli("diff", "--base", "main", "--json")
    assert res.code == 0, res.err
    assert json.loads(res.out)["m.json"]["f1"]["old"] == 0.5
    assert list(temp.iterdir()) == []
