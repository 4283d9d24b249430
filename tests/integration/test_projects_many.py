"""Several DVC projects in one repository, one report, one comment, one status (issue 23,
item 2), with DVC as the oracle.

The origin holds `projects/a` and `projects/b`, each its own DVC project (`dvc init --subdir`)
with DVC-cached metrics pushed to its own local remote, and one `.mlgate.yml` at the top naming
both. Tests work in a fresh clone, as CI checks it out: the base's objects are only in the
remotes. Each project's rows in `result.json` equal `dvc metrics diff main` and `dvc params diff
main` run in that project's directory.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo
from tests.fake_github import FakeGitHub
from tests.integration.test_conformance import dvc_json, without_pct
from tests.integration.test_conformance_projects import (
    init_dvc,
    init_git,
    one_stage,
    push_and_clone,
)
from tests.integration.test_github import Runner, github  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

A, B = "projects/a", "projects/b"
CONFIG = f"""projects: [{A}, {B}]
gates:
  - metric: acc            # in each project, on its own
    max_drop: 0.01
  - metric: "{B}:nested.f1"
    min: 0.5
"""


def monorepo(tmp: Path, config: str = CONFIG, extra: str = "") -> Repo:
    """The two projects at scale 1.0 on `main`, cloned fresh on branch `pr`."""
    origin = init_git(tmp / "origin")
    projects = []
    for d in (A, B):
        p = init_dvc(origin, d, tmp / f"remote-{d[-1]}")
        one_stage(p, "metrics metrics.json", "metrics.json")
        projects.append(p)
    origin.write(".mlgate.yml", config)
    if extra:  # a third project that has never been run at base: no dvc.lock, no metrics
        p = init_dvc(origin, extra, tmp / "remote-c")
        one_stage(p, "metrics metrics.json", "metrics.json")
    clone = push_and_clone(origin, projects, tmp / "clone")
    assert not (clone.path / A / ".dvc/cache").exists()  # the base only in the remotes
    return clone


def scale(clone: Repo, d: str, value: str) -> None:
    """The project's params.yaml at `scale: value`, reproduced."""
    p = Repo(clone.path / d)
    p.write("params.yaml", f"scale: {value}\n")
    p.dvc("repro", "--quiet")


def rows_of(result: dict[str, Any], d: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """One project's metrics and params in result.json, as `dvc metrics/params diff --json`
    in its directory shows them (changed values only, paths relative to the project)."""
    metrics: dict[str, Any] = {}
    for r in result["metrics"]:
        if r["path"].startswith(d + "/") and r["status"] != "unchanged":
            entry = {"old": r["old"], "new": r["new"]}
            if r["diff"] is not None:
                entry["diff"] = r["diff"]
            metrics.setdefault(r["path"][len(d) + 1 :], {})[r["metric"]] = entry
    params: dict[str, Any] = {}
    for c in result["params"]:
        if c["path"].startswith(d + "/"):
            params.setdefault(c["path"][len(d) + 1 :], {})[c["param"]] = {
                "old": c["old"],
                "new": c["new"],
            }
    return metrics, params


def old_new(result: object) -> dict[str, Any]:
    """`dvc params diff --json` without its `diff` (result.json keeps a param's two values)."""
    assert isinstance(result, dict)
    return {
        path: {key: {"old": e["old"], "new": e["new"]} for key, e in keys.items()}
        for path, keys in result.items()
    }


def report(cli: Any, clone: Repo) -> tuple[int, dict[str, Any], str, str]:
    res = cli("report", "--base", "main", "--out", "out")
    out = clone.path / "out"
    if res.code == 2:
        return res.code, {}, "", res.err
    return (
        res.code,
        json.loads((out / "result.json").read_text()),
        (out / "report.md").read_text(),
        res.err,
    )


def test_two_projects_one_report_read_as_dvc_reads_each(tmp_path: Path, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    clone = monorepo(tmp_path)
    chdir(clone.path)
    scale(clone, A, "1.1")
    scale(clone, B, "1.05")
    code, result, text, err = report(cli, clone)
    assert code == 0, err
    assert result["passed"] and result["verdict"] == "all 3 gates passed"
    assert [p["dir"] for p in result["projects"]] == [A, B]
    for d in (A, B):
        metrics, params = rows_of(result, d)
        here = Repo(clone.path / d)
        assert metrics == without_pct(dvc_json(here, "metrics", "diff", "main")), d
        assert params == old_new(dvc_json(here, "params", "diff", "main")), d
        assert metrics["metrics.json"]["acc"]["old"] == 0.9  # read from the project's remote
    assert f"### ✅ Project `{A}`: all 1 gate passed" in text
    assert f"### ✅ Project `{B}`: all 2 gates passed" in text
    for d in (A, B):  # each project's chart in its own directory of the report
        assert (clone.path / "out/plots" / d.replace("/", "_") / "plots").is_dir()

    scale(clone, A, "0.8")  # project a regresses; b is as good as before
    code, result, text, err = report(cli, clone)
    assert code == 1, err
    assert result["verdict"].startswith(f"1 of 3 gates failed: {A}: acc fell 0.18")
    assert {p["dir"]: p["passed"] for p in result["projects"]} == {A: False, B: True}
    [failed] = [g for g in result["gates"] if g["outcome"] == "fail"]
    assert failed["metric"] == f"{A}/metrics.json:acc"
    assert f"### ❌ Project `{A}`: 1 of 1 gate failed" in text
    metrics, _ = rows_of(result, A)
    assert metrics == without_pct(dvc_json(Repo(clone.path / A), "metrics", "diff", "main"))

    # a gate on a project the report does not have is a mistake: exit 2, the closest named
    clone.write(".mlgate.yml", f"projects: [{A}, {B}]\ngates:\n  - metric: 'projects/bb:acc'\n")
    code, _result, _text, err = report(cli, clone)
    assert code == 2
    assert "'projects/bb:acc' names no project of this report (did you mean 'projects/b'?)" in err
    assert "Traceback" not in err
    res = cli("report", "--base", "main", "--out", "out", "--project", "projects/c")
    assert res.code == 2
    assert "'projects/c' is not a directory of the repository" in res.err


def test_a_project_whose_base_has_no_results_fails_by_itself(tmp_path: Path, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    config = CONFIG.replace(f"[{A}, {B}]", f"[{A}, {B}, projects/c]")
    clone = monorepo(tmp_path, config, extra="projects/c")
    chdir(clone.path)
    for d in (A, B, "projects/c"):  # c is trained in the PR only
        scale(clone, d, "1.0")
    code, result, _text, err = report(cli, clone)
    assert code == 1, err
    by_dir = {p["dir"]: p["passed"] for p in result["projects"]}
    assert by_dir == {A: True, B: True, "projects/c": False}
    [failed] = [g for g in result["gates"] if g["outcome"] == "fail"]
    # on_missing_base, as for one project: fail closed, the project and the fix named
    assert failed["message"].startswith("projects/c: acc: base value unreadable: metrics.json")
    assert failed["message"].endswith("or set `on_missing_base: warn` on this gate")


def test_one_comment_and_one_red_status_naming_the_project(  # type: ignore[no-untyped-def]
    tmp_path: Path,
    github: FakeGitHub,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    events: Callable[[str], dict[str, Any]],
) -> None:
    clone = monorepo(tmp_path)
    scale(clone, A, "0.8")
    scale(clone, B, "1.05")
    clone.commit("a regresses")
    sha = clone.git("rev-parse", "HEAD").strip()
    github.state.add_pull(7, sha, head_ref="pr")
    runner = Runner(clone, github, tmp_path, monkeypatch, capsys, events)
    runner.env(runner.pr_event())
    assert runner.run() == 1, runner.err
    [status] = github.state.statuses
    assert status["state"] == "failure" and status["sha"] == sha
    assert status["description"].startswith(f"1 of 3 gates failed: {A}: acc fell")
    [comment] = github.state.comments[7]
    body = comment["body"]
    assert f"### ❌ Project `{A}`" in body and f"### ✅ Project `{B}`" in body
    assert "## ❌ mlgate report: 1 of 3 gates failed" in body
    charts = re.findall(r"!\[[^\]]*\]\(([^)]*)\)", body)
    assert len(charts) == 2 and all(c.startswith("https://") for c in charts)  # uploaded
