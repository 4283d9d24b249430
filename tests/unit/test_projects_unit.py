"""DVC projects anywhere in the repository (issue 23), the pure parts: finding the project's
root as DVC does, leaving subrepos out, dvclive's layout in data checks, and chart labels and
markers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlgate import report
from mlgate.compare import Snapshot, diff
from mlgate.pipeline import PlotDef
from mlgate.plotdata import parse_table
from mlgate.render import plots, summary
from mlgate.render.labels import distinct_parts, metric_labels
from mlgate.sources.datafiles import dvclive_dirs
from mlgate.sources.dvcfiles import dvc_files
from mlgate.sources.project import find_project, subrepos

# --- where the project is ------------------------------------------------------------------------


def test_the_project_root_is_the_nearest_dvc_directory_up_to_the_git_root(tmp_path: Path) -> None:
    (tmp_path / ".dvc").mkdir()
    (tmp_path / "proj/.dvc").mkdir(parents=True)
    (tmp_path / "proj/src").mkdir()
    (tmp_path / "models/a").mkdir(parents=True)
    sub = find_project(tmp_path / "proj/src", tmp_path)
    assert (sub.root, sub.prefix, sub.git_path) == (tmp_path / "proj", "src", "proj")
    top = find_project(tmp_path / "models/a", tmp_path)
    assert (top.root, top.prefix, top.git_path) == (tmp_path, "models/a", "")
    assert find_project(tmp_path / "proj", tmp_path).prefix == ""


def test_no_project_above_the_git_root(tmp_path: Path) -> None:
    (tmp_path / ".dvc").mkdir()
    (tmp_path / "repo/sub").mkdir(parents=True)
    assert find_project(tmp_path / "repo/sub", tmp_path / "repo").root is None


def test_dvc_files_of_a_subrepo_are_not_the_outer_projects() -> None:
    names = [
        ".dvc/config",
        "dvc.yaml",
        "data.dvc",
        "proj/.dvc/config",
        "proj/dvc.yaml",
        "proj/data/raw.dvc",
        "project2/dvc.yaml",
    ]
    assert subrepos(names) == ["proj"]
    assert dvc_files(names) == (["dvc.yaml", "project2/dvc.yaml"], ["data.dvc"])


# --- data checks leave out dvclive's layout --------------------------------------------------


def test_dvclive_directories_are_found_by_their_layout() -> None:
    files = [
        "eval/metrics.json",
        "eval/plots/metrics/mse.tsv",
        "eval/predictions.csv",
        "data/plots/samples.csv",  # a `plots` directory without dvclive's metrics.json beside it
    ]
    assert dvclive_dirs(files) == ["dvclive", "eval"]


# --- chart labels ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paths", "parts"),
    [
        (["eval/a/metrics.json", "eval/b/metrics.json"], ["a", "b"]),
        (["a/x/m.json", "b/y/m.json"], ["a/x", "b/y"]),
        (["m_a.json", "m_b.json"], ["m_a.json", "m_b.json"]),
        (["a/m.json", "a/b/m.json"], ["a/m.json", "a/b/m.json"]),  # nothing shorter tells them
        (["only.json"], [""]),
    ],
)
def test_the_distinguishing_part_of_paths(paths: list[str], parts: list[str]) -> None:
    assert list(distinct_parts(paths).values()) == parts


def test_a_metric_name_repeated_across_files_is_labelled_by_its_path() -> None:
    names = [
        ("eval/a/metrics.json", "f1"),
        ("eval/b/metrics.json", "f1"),
        ("eval/a/metrics.json", "loss"),
        ("eval/c/metrics.json", "f1"),
    ]
    assert metric_labels(names) == ["f1 (a)", "f1 (b)", "loss", "f1 (c)"]


def _report(base: dict[str, Any], head: dict[str, Any]) -> report.Report:
    return report.build(
        title="mlgate report",
        base_ref="main",
        base_sha="a" * 40,
        head_label="feature",
        head_sha="b" * 40,
        metrics=diff(Snapshot(base), Snapshot(head)),
        params=diff(Snapshot({}), Snapshot({})),
        rules=[],
    )


def test_the_metric_changes_chart_and_its_table_tell_repeated_names_apart(tmp_path: Path) -> None:
    base = {f"eval/{d}/metrics.json": {"f1": 0.8} for d in "abc"}
    head = {
        f"eval/{d}/metrics.json": {"f1": v} for d, v in zip("abc", (0.7, 0.9, 0.8), strict=True)
    }
    entry = summary.summary_chart(_report(base, head).metrics, tmp_path, mermaid=True)
    assert entry is not None and entry.mermaid is not None
    rows = [line.split("|")[1].strip() for line in entry.data_table.splitlines()[2:]]
    assert rows == ["f1 \\(a\\)", "f1 \\(b\\)", "f1 \\(c\\)"]
    assert '"f1 (a)", "f1 (b)", "f1 (c)"' in entry.mermaid


# --- one-point series ------------------------------------------------------------------------


def test_a_series_of_one_point_is_drawn_with_a_marker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[list[str]] = []
    real_save = plots.save

    def keep_markers(fig: Any, out_dir: Path, rel: str) -> None:  # the figure, then the file
        drawn.append([str(line.get_marker()) for line in fig.axes[0].get_lines()])
        real_save(fig, out_dir, rel)

    monkeypatch.setattr(plots, "save", keep_markers)
    plot = PlotDef(id="eval/plots/metrics/mse.tsv", sources=(), x="step", y=("mse",))
    one = parse_table(b"step\tmse\n0\t0.25\n", "mse.tsv")
    many = parse_table(b"step\tmse\n0\t0.25\n1\t0.2\n", "mse.tsv")
    plots.Drawer(tmp_path, mermaid=False).lines(plot, one, one, ("mse.tsv", "mse.tsv"))
    plots.Drawer(tmp_path, mermaid=False).lines(plot, many, many, ("mse.tsv", "mse.tsv"))
    assert drawn == [["o", "o"], ["", ""]]
    assert (tmp_path / plots.Drawer(tmp_path, mermaid=False).image_path(plot.id)).is_file()
