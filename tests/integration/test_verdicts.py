"""Noise-aware gates end to end: a real git repository, real scikit-learn predictions written
at two revisions, the base branch's history in real commits, and `mlgate report`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split

from tests.conftest import Repo

CONFIG = """
base: main
metrics: [metrics.json]
gates:
  - metric: accuracy
    max_drop: 0.005
    significance: 0.05
    predictions: predictions.csv
  - metric: roc_auc
    max_drop: 0.001
    significance: 0.05
    predictions: predictions.csv
"""


def predict(c: float, *, flip: float = 0.0, nan: bool = False) -> tuple[str, dict[str, float]]:
    """Train on breast cancer (sklearn's own data); the test rows' predictions as CSV and the
    metrics. `flip`: share of the correct predictions turned wrong (a planted regression)."""
    x, y = load_breast_cancer(return_X_y=True)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.4, random_state=0)
    model = LogisticRegression(C=c, max_iter=5000).fit(x_tr, y_tr)
    score = model.predict_proba(x_te)[:, 1]
    pred = (score >= 0.5).astype(int)
    if flip:
        rng = np.random.default_rng(1)
        right = np.flatnonzero(pred == y_te)
        turn = rng.choice(right, int(flip * len(right)), replace=False)
        pred[turn] = 1 - pred[turn]
    lines = ["id,actual,predicted,score"]
    lines += [
        f"r{i},{a},{p},{s:.6f}" for i, (a, p, s) in enumerate(zip(y_te, pred, score, strict=True))
    ]
    if nan:
        lines[5] = lines[5].rsplit(",", 1)[0] + ",nan"
    rows = lines[1:]
    rows.reverse()  # head writes its rows in another order: aligned by id
    metrics = {"accuracy": accuracy_score(y_te, pred), "roc_auc": roc_auc_score(y_te, score)}
    return "\n".join([lines[0], *rows]) + "\n", metrics


@pytest.fixture
def project(repo: Repo) -> Repo:
    repo.write(".mlgate.yml", CONFIG)
    body, metrics = predict(1.0)
    repo.write("predictions.csv", body)
    repo.write("metrics.json", metrics)
    repo.commit("base model")
    repo.git("checkout", "--quiet", "-b", "pr")
    return repo


def run(repo: Repo, cli: Callable[..., Any], chdir: Callable[..., None]) -> tuple[Any, str]:
    chdir(repo.path)
    res = cli("report", "--out", "out")
    return res, (repo.path / "out" / "report.md").read_text()


def test_a_small_change_is_within_noise(project: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    body, metrics = predict(0.3)  # a different regularisation: a few rows change
    project.write("predictions.csv", body)
    project.write("metrics.json", metrics)
    res, text = run(project, cli, chdir)
    assert res.code == 0, res.out + res.err
    assert "McNemar p = " in text
    assert "only at head\\): " in text
    assert "95% CI \\[" in text
    result = json.loads((project.path / "out" / "result.json").read_text())
    assert [g["outcome"] for g in result["gates"]] == ["pass", "pass"]
    acc = result["gates"][0]["evidence"]
    assert acc["kind"] == "significance"
    assert (acc["source"], acc["aligned_by"], acc["rows"]) == ("predictions.csv", "id", 228)
    assert 0 < acc["mcnemar_p"] <= 1
    assert acc["ci"][0] <= acc["delta"] <= acc["ci"][1]
    auc = result["gates"][1]["evidence"]
    assert (auc["per_example"], auc["mcnemar_p"]) == ("auc", None)


def test_a_planted_regression_is_significant(project: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    body, metrics = predict(1.0, flip=0.08)
    project.write("predictions.csv", body)
    project.write("metrics.json", metrics)
    res, text = run(project, cli, chdir)
    assert res.code == 1
    assert "significant; beyond the allowed drop" in text
    assert "Traceback" not in res.out + res.err


def test_nan_scores_fail_the_auc_gate_with_the_reason(project: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    body, metrics = predict(1.0, nan=True)
    project.write("predictions.csv", body)
    project.write("metrics.json", {**metrics, "roc_auc": metrics["roc_auc"] - 0.01})
    res, text = run(project, cli, chdir)
    assert res.code == 1
    assert (
        "no paired per-example data: predictions.csv: 1 score value\\(s\\) are NaN or infinite"
        in text
    )


def test_rows_that_do_not_align_fail_closed(project: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    body, metrics = predict(1.0)
    project.write("predictions.csv", body.replace("r3,", "r9999,"))
    project.write("metrics.json", metrics)
    res, text = run(project, cli, chdir)
    assert res.code == 1
    assert "rows do not align: 1 id\\(s\\) only at base, 1 only at head" in text


CONFUSION_DVC = """
stages:
  ev:
    cmd: 'true'
    metrics:
      - metrics.json:
          cache: false
    plots:
      - confusion.csv:
          cache: false
          template: confusion
          x: actual
          y: predicted
"""


def test_the_one_confusion_plot_is_used_with_no_setting(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    repo.write("dvc.yaml", CONFUSION_DVC)
    repo.write(".mlgate.yml", "gates:\n  - metric: accuracy\n    significance: 0.05\n")
    labels = ["cat", "dog"] * 50
    repo.write("confusion.csv", "actual,predicted\n" + "".join(f"{a},{a}\n" for a in labels))
    repo.write("metrics.json", {"accuracy": 1.0})
    repo.commit("base")
    wrong = [("dog" if a == "cat" else "cat") if i < 3 else a for i, a in enumerate(labels)]
    repo.write(
        "confusion.csv",
        "actual,predicted\n" + "".join(f"{a},{p}\n" for a, p in zip(labels, wrong, strict=True)),
    )
    repo.write("metrics.json", {"accuracy": 0.97})
    res, text = run(repo, cli, chdir)
    assert res.code == 0, text
    assert "accuracy −3.0 pts" in text
    assert (
        "McNemar p = 0.25 \\(3 of 100 rows right only at base, 0 only at head\\): within noise"
        in text
    )


def test_history_band_and_trend_chart(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    repo.write(
        ".mlgate.yml",
        "metrics: [metrics.json]\ngates:\n  - metric: accuracy\n    max_drop_sigma: 3\n"
        "    history: 10\n",
    )
    repo.commit("config")  # a commit without metrics.json: a note, not a value
    for acc in (0.950, 0.955, 0.948, 0.952, 0.951, 0.949):
        repo.write("metrics.json", {"accuracy": acc})
        repo.commit(f"model {acc}")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("metrics.json", {"accuracy": 0.946})
    res, text = run(repo, cli, chdir)
    assert res.code == 0, text
    assert "base branch's last 6 values: mean 0.9508, σ 0.002483" in text
    assert "within 3σ: within noise" in text
    assert "history of metrics.json:accuracy: 2 of 8 base-branch commits have the file neither" in (
        text.replace("\\_", "_")
    )
    chart = repo.path / "out" / "plots"
    (png,) = chart.glob("history-*.png")
    with Image.open(png) as img:
        assert img.width >= 600
    assert f"]({png.relative_to(repo.path / 'out')})" in text

    repo.write("metrics.json", {"accuracy": 0.93})
    res, text = run(repo, cli, chdir)
    assert res.code == 1
    assert "accuracy fell 0.019 (2.0%) from 0.949 to 0.93; base branch" in text.replace("\\", "")
    assert "drop 7.7σ, beyond 3σ" in text


def test_history_of_a_dvc_cached_metrics_file(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    """metrics.json cached by DVC (not in git): its values come from the local DVC cache."""
    repo.write(
        "dvc.yaml",
        "stages:\n  ev:\n    cmd: 'true'\n    metrics:\n      - metrics.json\n",
    )
    repo.write(
        ".mlgate.yml", "gates:\n  - metric: accuracy\n    max_drop_sigma: 2\n    history: 5\n"
    )
    for acc in (0.90, 0.91, 0.90, 0.92):
        repo.write("metrics.json", {"accuracy": acc})
        repo.dvc("commit", "--force", "--quiet")
        repo.commit(f"model {acc}")
    assert "metrics.json" in (repo.path / ".gitignore").read_text()  # not in git
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("metrics.json", {"accuracy": 0.80})
    res, text = run(repo, cli, chdir)
    assert res.code == 1, text
    assert "base branch's last 4 values: mean 0.9075, σ 0.009574" in text
    assert "history of metrics.json:accuracy: 1 of 5 base-branch commits have the file neither" in (
        text.replace("\\_", "_")
    )
