"""Green by accident, third round: paths a new user and an attacker found on main at f00f005
after issue 20 (each case passed a worse model there). Real git repositories, real DVC, `mlgate
report` on the command line; stale head results are checked against `dvc status` itself.

- scikit-learn's `neg_*` scorers were read as errors (lower is better): a worse model passed;
- a name whose family word is qualified (`accuracy_drop`, `error_reduction`, `drift_score`,
  `1-accuracy`) took the family's direction: now it needs `direction:` (exit 2);
- a metric on a small scale (mse 1e-12 -> 5e-10) was within the gate's absolute float allowance;
- `per_example:` gates ignored `min:`/`max:`;
- a PR that changed its pipeline's inputs without re-running it compared the old numbers.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo, Result
from tests.integration.test_no_green_by_accident import main_then_pr as commit_main_then_pr

pytestmark = pytest.mark.slow
Cli = Callable[..., Result]


def report(repo: Repo, cli: Cli, *args: str) -> tuple[Result, dict[str, Any]]:
    res = cli("report", "-C", str(repo.path), "--out", str(repo.path / "out"), *args)
    assert "Traceback" not in res.err, res.err
    result = repo.path / "out" / "result.json"
    return res, (json.loads(result.read_text()) if result.is_file() else {})


def main_then_pr(repo: Repo, main: dict[str, Any], pr: dict[str, Any]) -> None:
    """`test_no_green_by_accident.main_then_pr`, with the report directory ignored."""
    commit_main_then_pr(repo, {".gitignore": "out/\n", **main}, pr)


def gate(metric: str, extra: str = "    max_drop: 0.01\n") -> str:
    return f"metrics: [m.json]\ngates:\n  - metric: {metric}\n{extra}"


def test_negated_scorer_is_higher_is_better(repo: Repo, cli: Cli) -> None:
    name = "test_neg_log_loss"  # cross_validate's key for scoring="neg_log_loss"
    main_then_pr(
        repo,
        {".mlgate.yml": gate(name), "m.json": {name: -0.10}},
        {"m.json": {name: -0.50}},
    )
    res, result = report(repo, cli)
    assert res.code == 1, res.err
    assert result["gates"][0]["outcome"] == "fail"
    assert "better" not in result["gates"][0]["message"]


def test_qualified_family_needs_a_direction(repo: Repo, cli: Cli) -> None:
    name = "accuracy_drop"
    main_then_pr(repo, {".mlgate.yml": gate(name), "m.json": {name: 0.3}}, {"m.json": {name: 0.2}})
    res, _ = report(repo, cli)
    assert res.code == 2, res.err
    assert "direction" in res.err and "'drop'" in res.err
    assert len(res.err.strip().splitlines()) == 1


def test_qualified_family_with_a_direction_is_gated(repo: Repo, cli: Cli) -> None:
    cfg = gate("accuracy_drop", "    direction: lower\n    max_drop: 0.01\n")
    main_then_pr(
        repo,
        {".mlgate.yml": cfg, "m.json": {"accuracy_drop": 0.01}},
        {"m.json": {"accuracy_drop": 0.2}},
    )
    res, result = report(repo, cli)
    assert res.code == 1 and result["gates"][0]["outcome"] == "fail"


@pytest.mark.parametrize("extra", ["    max_drop_pct: 5\n", "    direction: lower\n"])
def test_small_scale_metric_is_not_swallowed(repo: Repo, cli: Cli, extra: str) -> None:
    main_then_pr(
        repo,
        {".mlgate.yml": gate("mse", extra), "m.json": {"mse": 1e-12}},
        {"m.json": {"mse": 5e-10}},
    )
    res, result = report(repo, cli)
    assert res.code == 1, result
    assert result["gates"][0]["outcome"] == "fail"


def test_float_noise_still_within_an_exact_allowance(repo: Repo, cli: Cli) -> None:
    """0.9 - 0.85 = 0.05000000000000004 must not fail `max_drop: 0.05` (the relative allowance)."""
    cfg = gate("acc", "    max_drop: 0.05\n")
    main_then_pr(repo, {".mlgate.yml": cfg, "m.json": {"acc": 0.9}}, {"m.json": {"acc": 0.85}})
    res, _ = report(repo, cli)
    assert res.code == 0, res.err


def preds(n: int, right: float, seed: int) -> str:
    rng = random.Random(seed)
    rows = ["id,actual,predicted"]
    for i in range(n):
        actual = i % 2
        rows.append(f"{i},{actual},{actual if rng.random() < right else 1 - actual}")
    return "\n".join(rows) + "\n"


def test_per_example_gate_applies_its_minimum(repo: Repo, cli: Cli) -> None:
    cfg = (
        "gates:\n  - metric: per_example:accuracy\n    significance: 0.05\n"
        "    predictions: preds.csv\n    min: 0.9\n"
    )
    main_then_pr(
        repo,
        {".mlgate.yml": cfg, "preds.csv": preds(20, 0.55, 1)},
        {"preds.csv": preds(20, 0.5, 2)},
    )
    res, result = report(repo, cli)
    assert res.code == 1, result
    assert "below the minimum 0.9" in result["gates"][0]["message"]


# --- stale head results, against `dvc status` --------------------------------------------------

TRAIN = """import json, pathlib
depth = int(pathlib.Path("params.yaml").read_text().split(":")[1])
pathlib.Path("metrics.json").write_text(json.dumps({"acc": 0.9 if depth > 2 else 0.5}))
"""
PREPARE = """import pathlib
pathlib.Path("data.txt").write_text(pathlib.Path("raw.txt").read_text())
"""
EVAL = """import json, pathlib
pathlib.Path("eval.json").write_text(json.dumps({"f1": 0.8}))
"""
DVC_YAML = """stages:
  prepare:
    cmd: python prepare.py
    deps: [prepare.py, raw.txt]
    outs: [data.txt]
  train:
    cmd: python train.py
    deps: [train.py, data.txt]
    params: [depth]
    metrics:
      - metrics.json:
          cache: false
  evaluate:
    cmd: python eval.py
    deps: [eval.py]
    metrics:
      - eval.json:
          cache: false
"""


def pipeline(repo: Repo) -> None:
    repo.write(".gitignore", "out/\n")
    repo.write("train.py", TRAIN)
    repo.write("eval.py", EVAL)
    repo.write("prepare.py", PREPARE)
    repo.write("raw.txt", "rows\n")
    repo.write("params.yaml", "depth: 5\n")
    repo.write("dvc.yaml", DVC_YAML)
    repo.write(
        ".mlgate.yml",
        "gates:\n  - metric: acc\n    max_drop: 0.01\n  - metric: f1\n    max_drop: 0.01\n",
    )
    repo.dvc("repro", "--quiet")
    repo.commit("main")
    repo.git("checkout", "--quiet", "-b", "pr")


def dvc_changed(repo: Repo) -> set[str]:
    """The stages `dvc status` reports as changed: the oracle."""
    return set(json.loads(repo.dvc("status", "--json") or "{}"))


def outcomes(result: dict[str, Any]) -> dict[str, str]:
    return {g["metric"].rpartition(":")[2]: g["outcome"] for g in result["gates"]}


@pytest.mark.parametrize(
    ("change", "stale_stage"),
    [
        (lambda r: r.write("train.py", TRAIN + "# faster\n"), "train"),
        (lambda r: r.write("params.yaml", "depth: 1\n"), "train"),
        (lambda r: r.write("raw.txt", "other rows\n"), "prepare"),  # upstream of train
        (lambda r: r.write("README.md", "docs only\n"), None),
        # found by a probe of the finished work: a changed command, a new dependency, and
        # line endings that DVC 3 hashes as bytes
        (
            lambda r: r.write("dvc.yaml", DVC_YAML.replace("train.py\n", "train.py --fast\n")),
            "train",
        ),
        (
            lambda r: (
                r.write("extra.txt", "more\n"),
                r.write(
                    "dvc.yaml",
                    DVC_YAML.replace("[train.py, data.txt]", "[train.py, data.txt, extra.txt]"),
                ),
            ),
            "train",
        ),
        (lambda r: r.write("train.py", TRAIN.replace("\n", "\r\n")), "train"),
    ],
    ids=[
        "dep-modified",
        "param-modified",
        "upstream-modified",
        "unrelated",
        "command-changed",
        "dependency-added",
        "crlf",
    ],
)
def test_stale_head_results_fail_like_dvc_status_says(
    repo: Repo, cli: Cli, change: Callable[[Repo], Any], stale_stage: str | None
) -> None:
    pipeline(repo)
    change(repo)
    repo.commit("changed, not re-run")
    changed = dvc_changed(repo)
    res, result = report(repo, cli)
    if stale_stage is None:
        assert changed == set()
        assert res.code == 0, result
        return
    assert stale_stage in changed  # the oracle agrees the PR's results are stale
    got = outcomes(result)
    assert got["acc"] == "fail" and got["f1"] == "pass"  # evaluate's inputs did not change
    acc = next(g for g in result["gates"] if g["metric"].endswith(":acc"))
    assert "stale" in acc["message"] and "dvc repro" in acc["message"]
    assert res.code == 1


def test_rerun_pipeline_is_not_stale(repo: Repo, cli: Cli) -> None:
    pipeline(repo)
    repo.write("params.yaml", "depth: 1\n")
    repo.dvc("repro", "--quiet")
    repo.commit("re-run")
    assert dvc_changed(repo) == set()
    res, result = report(repo, cli)
    assert outcomes(result)["acc"] == "fail"  # a real regression (0.9 -> 0.5), not staleness
    assert "stale" not in json.dumps(result["gates"])
    assert res.code == 1


def test_results_rewritten_outside_dvc_are_not_called_stale(repo: Repo, cli: Cli) -> None:
    """Training by `python train.py` in a workflow step rewrites the results without updating
    dvc.lock: the numbers are new, so they are compared, not called stale."""
    pipeline(repo)
    repo.write("params.yaml", "depth: 4\n")
    repo.write("metrics.json", {"acc": 0.91})
    repo.commit("trained outside DVC")
    res, result = report(repo, cli)
    assert outcomes(result)["acc"] == "pass", result
    assert res.code == 0


def test_mlgate_trained_head_is_not_checked(repo: Repo, cli: Cli) -> None:
    pipeline(repo)
    repo.write("train.py", TRAIN + "# faster\n")
    repo.commit("changed, not re-run")
    res, result = report(repo, cli, "--repro")
    assert res.code == 0, result
    assert "stale" not in json.dumps(result["gates"])


def test_stale_is_also_a_note(repo: Repo, cli: Cli) -> None:
    pipeline(repo)
    repo.write("params.yaml", "depth: 1\n")
    repo.commit("changed, not re-run")
    report(repo, cli)
    md = (Path(repo.path) / "out" / "report.md").read_text()
    assert "metrics.json: stale at head" in md


def test_data_rules_only_verdict_names_them(repo: Repo, cli: Cli) -> None:
    """A project gated by data rules alone: the verdict said "no metrics found and no gates
    configured" and stderr warned of no gates, though the rules were checked."""
    cfg = "data:\n  - path: data.csv\n    required: [age]\n    columns:\n      age: {min: 0}\n"
    rows = "".join(f"{i},{20 + i % 50}\n" for i in range(100))
    main_then_pr(
        repo,
        {".mlgate.yml": cfg, "data.csv": "id,age\n" + rows},
        {"data.csv": "id,age\n" + rows[::-1]},
    )
    res, result = report(repo, cli)
    assert res.code == 0, result
    assert result["verdict"].startswith("data rules held on 1 file")
    assert "no gates configured" not in res.err
