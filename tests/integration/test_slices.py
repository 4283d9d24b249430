"""Slice regressions end to end (issue 26): a real git repository, a real scikit-learn model's
predictions written with the three pandas lines of docs/slices.md at two revisions, and
`mlgate report`: the comment, result.json and the charts."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split

from tests.conftest import Repo

CONFIG = """
base: main
metrics: [metrics.json]
gates:
  - metric: accuracy
    significance: 0.05
    predictions: predictions.csv
    slices: [region, age]
"""
ROWS = 2000


@functools.cache
def trained() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Test rows (features, a region the model never sees, an age), labels, predictions."""
    x, y = make_classification(
        n_samples=2 * ROWS, n_features=10, n_informative=5, flip_y=0.1, random_state=0
    )
    cols = [f"f{i}" for i in range(10)]
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=ROWS, random_state=0)
    model = LogisticRegression(max_iter=1000).fit(pd.DataFrame(x_tr, columns=cols), y_tr)
    x_test = pd.DataFrame(x_te, columns=cols, index=[f"r{i}" for i in range(ROWS)])
    x_test["region"] = np.array(list("ABCD"))[np.arange(ROWS) % 4]
    x_test["age"] = np.random.default_rng(0).integers(18, 90, ROWS)
    return x_test, y_te, model.predict(x_test[cols])


def planted(y: np.ndarray, pred: np.ndarray, region: np.ndarray, drop: float) -> np.ndarray:
    """`drop` of region C's rows turned wrong, as many wrong rows elsewhere turned right: the
    overall accuracy is exactly the same."""
    rng = np.random.default_rng(1)
    out = pred.copy()
    c = region == "C"
    turn = rng.choice(np.flatnonzero(c & (out == y)), round(drop * c.sum()), replace=False)
    fix = rng.choice(np.flatnonzero(~c & (out != y)), len(turn), replace=False)
    out[turn] = 1 - out[turn]
    out[fix] = 1 - out[fix]
    return out


def write(repo: Repo, x_test: pd.DataFrame, y_test: np.ndarray, predicted: np.ndarray) -> None:
    """The predictions file as docs/slices.md says to write it, and the metrics."""
    preds = x_test[["region", "age"]].assign(actual=y_test, predicted=predicted)
    preds.index.name = "id"
    preds.to_csv(repo.path / "predictions.csv")
    repo.write("metrics.json", {"accuracy": accuracy_score(y_test, predicted)})


@pytest.fixture
def project(repo: Repo) -> Repo:
    x_test, y, pred = trained()
    repo.write(".mlgate.yml", CONFIG)
    write(repo, x_test, y, pred)
    repo.commit("base model")
    repo.git("checkout", "--quiet", "-b", "pr")
    return repo


def report(repo: Repo, cli: Callable[..., Any], chdir: Callable[..., None], *args: str) -> Any:
    chdir(repo.path)
    res = cli("report", "--out", "out", *args)
    assert "Traceback" not in res.out + res.err
    res.text = (repo.path / "out" / "report.md").read_text()
    res.result = json.loads((repo.path / "out" / "result.json").read_text())
    return res


def test_a_planted_drop_in_one_of_four_regions_fails_naming_it(project: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    x_test, y, pred = trained()
    head = planted(y, pred, x_test["region"].to_numpy(), 0.15)
    assert accuracy_score(y, head) == accuracy_score(y, pred)  # overall: unchanged
    write(project, x_test, y, head)
    res = report(project, cli, chdir)
    assert res.code == 1
    verdict = res.out.splitlines()[0]
    assert verdict.startswith("mlgate: FAILED: 1 of 1 gate failed: accuracy in region=C fell 15.0")
    assert "McNemar p = " in verdict
    assert "Holm-adjusted p = " in verdict
    assert "(1 of 8 slices failed); overall: accuracy +0.0 pts" in verdict
    assert verdict.endswith(": not worse")
    (gate,) = res.result["gates"]
    found = gate["evidence"]["slices"]
    assert (found["tested"], found["failed"], found["worst"]) == (8, 1, "region=C")
    assert found["correction"] == "holm"
    assert len(found["slices"]) == 8  # every slice's evidence
    first = found["slices"][0]
    assert (first["column"], first["slice"], first["status"], first["rows"]) == (
        "region",
        "C",
        "failed",
        500,
    )
    assert first["delta"] == pytest.approx(-0.15)
    assert first["p"] < first["p_holm"] <= 8 * first["p"]
    assert first["ci"][0] <= first["delta"] <= first["ci"][1]
    assert {s["status"] for s in found["slices"][1:]} <= {"not worse", "within noise"}
    table = res.text[res.text.index("### Slices") : res.text.index("### Metrics")]
    assert "| ❌ | region=C" in table
    assert "Holm's correction over 8 slices at 0.05" in table
    charts = sorted((project.path / "out" / "plots").glob("slices-*.png"))
    assert len(charts) == 2  # one per column
    for png in charts:
        with Image.open(png) as img:
            assert img.width >= 600
        assert f"]({png.relative_to(project.path / 'out')})" in res.text


def test_the_same_data_with_no_drop_passes(project: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    x_test, y, pred = trained()
    head = pred.copy()
    wrong = np.flatnonzero(head != y)[:3]  # a retrained model: three rows change
    head[wrong] = 1 - head[wrong]
    write(project, x_test, y, head)
    res = report(project, cli, chdir)
    assert res.code == 0, res.text
    message = res.result["gates"][0]["message"]
    assert message.endswith(
        "; slices: no slice significantly worse after Holm's correction (8 tested)"
    )
    assert res.result["gates"][0]["evidence"]["slices"]["failed"] == 0


def test_a_twelve_row_slice_is_listed_and_not_gated(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    x_test, y, pred = trained()
    x_test = x_test.copy()
    x_test.loc[x_test.index[:12], "region"] = "E"  # 12 rows of a fifth region
    repo.write(".mlgate.yml", CONFIG)
    write(repo, x_test, y, pred)
    repo.commit("base")
    head = pred.copy()
    right = np.flatnonzero(head[:12] == y[:12])[:4]
    head[right] = 1 - head[right]  # 4 of region E's 12 rows go wrong: too few rows to judge
    write(repo, x_test, y, head)
    res = report(repo, cli, chdir)
    assert res.code == 0, res.text
    found = res.result["gates"][0]["evidence"]["slices"]
    (e,) = [s for s in found["slices"] if s["slice"] == "E"]
    assert (e["status"], e["rows"], e["p_holm"]) == ("too few rows", 12, None)
    assert found["tested"] == 8  # A-D and four age bins
    assert "| region=E" in res.text
    assert "too few rows \\(12 row\\(s\\), fewer than min\\_slice\\_rows \\(30\\)\\)" in res.text


def test_a_numeric_column_is_binned(project: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    x_test, y, pred = trained()
    write(project, x_test, y, pred)
    res = report(project, cli, chdir)
    assert res.code == 0, res.text
    columns = res.result["gates"][0]["evidence"]["slices"]["columns"]
    age = columns[1]
    assert (age["name"], age["binned"], len(age["slices"])) == ("age", True, 4)
    assert age["slices"][0].startswith("[18, ") and age["slices"][-1].endswith(", 89]")
    assert columns[0] == {"name": "region", "binned": False, "slices": ["A", "B", "C", "D"]}
    every = res.result["gates"][0]["evidence"]["slices"]["slices"]
    assert sum(s["rows"] for s in every if s["column"] == "age") == ROWS  # each row in one bin


def edit_predictions(repo: Repo, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    path = repo.path / "predictions.csv"
    change(pd.read_csv(path)).to_csv(path, index=False)


def drop_column(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=["region"], errors="ignore")


def move_one_row(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.iloc[::-1].copy()  # head writes its rows in another order, and
    frame.loc[frame["id"] == "r5", "region"] = "A"  # row r5 moves from region B to A
    return frame


@pytest.mark.parametrize(
    ("base_change", "head_change", "message"),
    [
        (
            drop_column,
            drop_column,
            "slices not tested: predictions.csv has no `region` column to slice by (columns: "
            "id, age, actual, predicted)",
        ),
        (
            None,
            drop_column,
            "slices not tested: slice column `region` of predictions.csv is at base only, "
            "not at both revisions",
        ),
        (
            None,
            move_one_row,
            "slices not tested: slice column `region` of predictions.csv differs between base "
            "and head at 1 of 2,000 rows (same id)",
        ),
        (
            lambda f: f.assign(region=f["id"]),
            lambda f: f.assign(region=f["id"]),
            "slices not tested: slice column `region` has 2,000 distinct values: more than "
            "1,000 slices; slice by a coarser column, or write it as numbers and cut it into "
            "quantile bins with `bins`",
        ),
    ],
)
def test_slices_that_cannot_be_formed_fail_the_gate_naming_the_column(  # type: ignore[no-untyped-def]
    repo: Repo, cli, chdir, base_change, head_change, message
) -> None:
    x_test, y, pred = trained()
    repo.write(".mlgate.yml", CONFIG)
    write(repo, x_test, y, pred)
    if base_change:
        edit_predictions(repo, base_change)
    repo.commit("base")
    edit_predictions(repo, head_change)
    res = report(repo, cli, chdir)
    assert res.code == 1
    gate = res.result["gates"][0]
    assert gate["outcome"] == "fail"
    assert gate["message"].startswith(message), gate["message"]
    assert "or set `on_no_paired_data: plain`" in gate["message"]
    assert "; overall: accuracy " in gate["message"]  # the overall comparison still shown

    repo.write(".mlgate.yml", CONFIG + "    on_no_paired_data: plain\n")
    repo.git("commit", "--quiet", "-m", "plain", ".mlgate.yml")  # the base's gates apply
    res = report(repo, cli, chdir)
    assert res.code == 0, res.text
    assert f"({message}" in res.result["gates"][0]["message"]  # the gate without slices


def test_missing_values_are_their_own_slice(project: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    x_test, y, pred = trained()
    x_test = x_test.copy()
    x_test["region"] = x_test["region"].where(np.arange(ROWS) % 10 != 0)  # every 10th: none
    project.git("checkout", "--quiet", "main")
    write(project, x_test, y, pred)
    project.commit("regions with gaps")
    project.git("checkout", "--quiet", "-B", "pr")
    write(project, x_test, y, planted(y, pred, x_test["region"].to_numpy(), 0.15))
    assert ",," in (project.path / "predictions.csv").read_text()  # written as empty cells
    res = report(project, cli, chdir)
    assert res.code == 1
    found = res.result["gates"][0]["evidence"]["slices"]
    assert found["columns"][0]["slices"] == ["A", "B", "C", "D", "(missing)"]
    (gap,) = [s for s in found["slices"] if s["slice"] == "(missing)"]
    assert gap["rows"] == ROWS // 10
    assert found["worst"] == "region=C"


def test_inline_charts_with_mermaid(project: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    x_test, y, pred = trained()
    write(project, x_test, y, planted(y, pred, x_test["region"].to_numpy(), 0.15))
    res = report(project, cli, chdir, "--plots", "mermaid")
    assert res.code == 1
    # the chart's own title names it; no heading repeats it (issue 25)
    assert 'horizontal\n    title "metrics.json:accuracy: accuracy by region"' in res.text
    assert "```mermaid\nxychart-beta" in res.text
    assert "#### " not in res.text
    assert 'x-axis ["A", "B", "C", "D"]' in res.text
    age = res.text[res.text.index('accuracy by age"') :]
    assert 'x-axis ["18 to ' in age
    assert not list((project.path / "out" / "plots").glob("slices-*.png"))
