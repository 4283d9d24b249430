"""Conformance for DVC projects anywhere in the git repository (issue 23), with DVC as the oracle.

Each layout is built in an origin repository (the base on `main`, pushed to a local DVC remote),
then cloned fresh, as CI checks it out: the base's DVC objects are only in the remote. The PR is
made and reproduced in the clone. For every project directory of the layout, `mlgate diff -C DIR`
(run from the top of the clone) equals `dvc metrics diff main` and `dvc params diff main` run in
that directory, and every line mlgate draws equals `dvc plots diff main`'s points there. Then,
in the first directory, a gate on a regressed metric fails and a `min:` bound on a metric new in
the PR passes (no base value unreadable, no base dvc.yaml unresolved).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo
from tests.integration.test_conformance import (
    EVAL_YAML,
    GEN,
    dvc_json,
    dvc_lines,
    mlgate_lines,
    without_pct,
)

pytestmark = pytest.mark.slow

# A stage per item of a `${}` list, with DVC-cached metrics and a step-wise plot per item.
FOREACH_YAML = """stages:
  evaluate:
    foreach: ${datasets}
    do:
      cmd: >-
        python gen.py metrics eval/${item}/metrics.json
        && python gen.py tsv eval/${item}/loss.tsv
      deps: [gen.py]
      params: [scale]
      metrics:
        - eval/${item}/metrics.json
      plots:
        - eval/${item}/loss.tsv:
            x: step
"""

# The metrics path itself is templated from params.yaml, at the top level and in the stage.
TEMPLATED_YAML = """stages:
  train:
    cmd: python gen.py metrics ${paths.out}/metrics.json
    deps: [gen.py]
    params: [scale]
    outs:
      - ${paths.out}
metrics:
  - ${paths.out}/metrics.json
"""


def init_git(path: Path) -> Repo:
    path.mkdir(parents=True, exist_ok=True)
    r = Repo(path)
    r.git("init", "--quiet", "--initial-branch=main")
    return r


def init_dvc(r: Repo, sub: str, remote: Path) -> Repo:
    """A DVC project in `sub` ("" for the top) with its own local remote."""
    p = Repo(r.path / sub) if sub else r
    p.path.mkdir(parents=True, exist_ok=True)
    p.dvc("init", "--quiet", *(["--subdir"] if sub else []))
    p.dvc("config", "core.analytics", "false")
    p.dvc("remote", "add", "--default", "store", str(remote))
    p.write("gen.py", GEN)
    return p


def push_and_clone(origin: Repo, projects: list[Repo], clone: Path) -> Repo:
    """Reproduce and push every project, commit the base, and clone it fresh on branch `pr`."""
    for p in projects:
        p.dvc("repro", "--quiet")
        p.dvc("push", "--quiet")
    origin.commit("base")
    subprocess.run(["git", "clone", "--quiet", f"file://{origin.path}", str(clone)], check=True)
    c = Repo(clone)
    c.git("checkout", "--quiet", "-b", "pr")
    return c


def one_stage(p: Repo, args: str, metrics: str) -> None:
    """params.yaml with `scale`, and one stage `python gen.py ARGS` declaring one metrics file."""
    p.write("params.yaml", "scale: 1.0\n")
    p.write(
        "dvc.yaml",
        f"stages:\n  train:\n    cmd: python gen.py {args}\n    deps: [gen.py]\n"
        f"    params: [scale]\n    metrics:\n      - {metrics}\n",
    )


def set_scale(p: Repo, scale: str, extra: str = "") -> None:
    text = (p.path / "params.yaml").read_text().replace("scale: 1.0", f"scale: {scale}")
    p.write("params.yaml", text + extra)
    p.dvc("repro", "--quiet")


# -- the layouts: each returns the clone and its project directories --------------------------


def subdirectory(tmp: Path) -> tuple[Repo, list[str]]:
    """The git repository's only DVC project is `proj/` (`dvc init --subdir`): a directory
    output with metrics, two ROC files in one plot and an image."""
    origin = init_git(tmp / "origin")
    p = init_dvc(origin, "proj", tmp / "remote")
    p.write("params.yaml", "scale: 1.0\n")
    p.write("dvc.yaml", EVAL_YAML)
    c = push_and_clone(origin, [p], tmp / "clone")
    assert not (c.path / "proj/.dvc/cache").exists()
    set_scale(Repo(c.path / "proj"), "0.9")
    return c, ["proj"]


def subrepo(tmp: Path) -> tuple[Repo, list[str]]:
    """The top of the git repository is a DVC project with its own pipeline, and `proj/` is a
    DVC subrepo with its own `.dvc/`: a `foreach` over a `${}` list that grows in the PR."""
    origin = init_git(tmp / "origin")
    top = init_dvc(origin, "", tmp / "remote-top")
    one_stage(top, "metrics top.json", "top.json:\n          cache: false")
    p = init_dvc(origin, "proj", tmp / "remote-proj")
    p.write("params.yaml", "scale: 1.0\ndatasets: [a, b]\n")
    p.write("dvc.yaml", FOREACH_YAML)
    c = push_and_clone(origin, [top, p], tmp / "clone")
    set_scale(Repo(c.path), "0.95")
    proj = Repo(c.path / "proj")
    proj.write("params.yaml", "scale: 1.0\ndatasets: [a, b, c]\n")
    set_scale(proj, "0.9")
    return c, ["proj", "."]


def side_by_side(tmp: Path) -> tuple[Repo, list[str]]:
    """Two DVC projects side by side, `a/` with its metrics path templated from params.yaml."""
    origin = init_git(tmp / "origin")
    a = init_dvc(origin, "a", tmp / "remote-a")
    a.write("params.yaml", "scale: 1.0\npaths:\n  out: results\n")
    a.write("dvc.yaml", TEMPLATED_YAML)
    b = init_dvc(origin, "b", tmp / "remote-b")
    one_stage(b, "yaml scores.yaml", "scores.yaml")
    c = push_and_clone(origin, [a, b], tmp / "clone")
    set_scale(Repo(c.path / "a"), "0.8")
    set_scale(Repo(c.path / "b"), "1.1")
    return c, ["a", "b"]


LAYOUTS: dict[str, Callable[[Path], tuple[Repo, list[str]]]] = {
    f.__name__: f for f in (subdirectory, subrepo, side_by_side)
}


# A metric each layout's PR adds in its first project directory (None: the test adds a file)
NEW_IN_PR = {"subrepo": "eval/c/metrics.json:acc"}  # the new item of the `${}` list


def add_metrics_file(p: Repo) -> str:
    """The PR declares a new git-tracked metrics file at the top level of its dvc.yaml."""
    text = (p.path / "dvc.yaml").read_text()
    p.write("dvc.yaml", text.replace("\nmetrics:\n  - ", "\nmetrics:\n  - extra.json\n  - "))
    p.write("extra.json", {"recall": 0.7})
    return "extra.json:recall"


def agrees_with_dvc(cli: Any, top: Path, directory: str) -> None:
    here = Repo(top / directory)
    res = cli("diff", "-C", directory, "--base", "main", "--json")
    assert res.code == 0, res.err
    ours = without_pct(json.loads(res.out))
    assert ours == dvc_json(here, "metrics", "diff", "main"), directory
    assert ours, f"{directory}: the layout must change at least one metric"
    assert all(v["old"] is not None for f in ours.values() for v in f.values() if "diff" in v)

    res = cli("diff", "-C", directory, "--base", "main", "--params", "--json")
    assert res.code == 0, res.err
    assert without_pct(json.loads(res.out)) == dvc_json(here, "params", "diff", "main")

    assert mlgate_lines(here) == dvc_lines(here), directory


def gates_hold(cli: Any, top: Path, directory: str, new: str) -> None:
    """A regression fails its gate; a `min:` bound on a metric new in the PR passes."""
    Repo(top / directory).write(
        ".mlgate.yml",
        f'gates:\n  - metric: acc\n    max_drop: 0.01\n  - metric: "{new}"\n    min: 0.5\n',
    )
    res = cli("report", "-C", directory, "--base", "main", "--out", "out")
    assert res.code == 1, res.err
    out = top / directory / "out"
    result = json.loads((out / "result.json").read_text())
    gates = {g["metric"]: g for g in result["gates"]}
    assert gates[new]["outcome"] == "pass"
    assert re.fullmatch(r".* is new \(0\.(81|7)\); no base to compare", gates[new]["message"])
    regressed = [g for g in result["gates"] if g["outcome"] == "fail"]
    assert regressed and all(g["message"].startswith("acc fell") for g in regressed)
    assert all(g["old"] == 0.9 for g in regressed)  # read from the DVC remote at base
    assert not result["errors"]["base"]
    assert "cannot" not in (out / "report.md").read_text()  # no base dvc.yaml left unresolved


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_project_directory_agrees_with_dvc_and_gates(
    layout: str, tmp_path: Path, cli, chdir
) -> None:  # type: ignore[no-untyped-def]
    clone, dirs = LAYOUTS[layout](tmp_path)
    chdir(clone.path)
    for directory in dirs:
        agrees_with_dvc(cli, clone.path, directory)
    new = NEW_IN_PR.get(layout) or add_metrics_file(Repo(clone.path / dirs[0]))
    gates_hold(cli, clone.path, dirs[0], new)
