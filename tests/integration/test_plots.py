"""Charts from real DVC plot definitions in a temp repo at two revisions, drawn by matplotlib."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import Repo


def pixels(path: Path) -> np.ndarray:  # type: ignore[type-arg]
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def test_every_template_renders_with_base_and_head(plots_repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    chdir(plots_repo.path)
    res = cli("report", "--base", "main", "--out", "out")
    assert res.code == 0, res.err
    out = plots_repo.path / "out"
    text = (out / "report.md").read_text()
    images = json.loads((out / "result.json").read_text())["plots"]
    assert len(images) == 10  # 8 charts + the pipeline's image + the metric summary
    for rel in images:
        assert f"]({rel})" in text
        assert (out / rel).is_file()
    for rel in images:
        if rel.endswith(".png") and "picture" not in rel:
            px = pixels(out / rel)
            assert px.shape[1] >= 600
            assert len(np.unique(px.reshape(-1, 3), axis=0)) > 10  # not blank
    assert "(AUC " not in text  # AUC is in the legend of the image, not the text
    assert "![Training loss](" in text and "#### " not in text  # its title is in the image
    assert "<details><summary>Data</summary>" in text


def test_base_and_head_are_told_apart_in_pixels(plots_repo: Repo, cli, chdir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The same plot drawn with only base data and only head data differs in pixels."""
    from mlgate.pipeline import PlotDef
    from mlgate.plotdata import parse_table
    from mlgate.render.plots import Drawer

    plot = PlotDef(id="loss.csv", sources=(("loss.csv", "loss"),), x="epoch", y=("loss",))
    data = parse_table((plots_repo.path / "loss.csv").read_bytes(), "loss.csv")
    drawer = Drawer(tmp_path, mermaid=False)
    base_only = drawer.lines(plot, data, None, ("a", "b"))
    base_px = pixels(tmp_path / base_only.image)  # type: ignore[operator]
    head_only = drawer.lines(plot, None, data, ("a", "b"))
    head_px = pixels(tmp_path / head_only.image)  # type: ignore[operator]
    assert base_px.shape == head_px.shape
    assert (base_px != head_px).any()
    blue = (head_px[..., 2] > 150) & (head_px[..., 0] < 60)
    assert blue.sum() > 100  # head is drawn in the strong colour
    assert ((base_px[..., 2] > 150) & (base_px[..., 0] < 60)).sum() < blue.sum() / 10


def test_output_is_byte_identical_on_rerun(plots_repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    chdir(plots_repo.path)
    assert cli("report", "--base", "main", "--out", "a").code == 0
    assert cli("report", "--base", "main", "--out", "b").code == 0
    a_files = sorted((plots_repo.path / "a" / "plots").iterdir())
    assert a_files
    for f in a_files:
        assert f.read_bytes() == (plots_repo.path / "b" / "plots" / f.name).read_bytes(), f.name


def report_md(repo: Repo, cli, chdir) -> str:  # type: ignore[no-untyped-def]
    """`mlgate report` against main in `repo`, which must succeed; its report.md."""
    chdir(repo.path)
    res = cli("report", "--base", "main", "--out", "out")
    assert res.code == 0, res.err
    return (repo.path / "out" / "report.md").read_text()


def test_plot_missing_on_base_shows_head_only_with_a_note(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    repo.commit("nothing yet")
    repo.write("dvc.yaml", "plots:\n  - loss.csv:\n      x: epoch\n      y: loss\n")
    repo.write("loss.csv", "epoch,loss\n0,1\n1,0.5\n")
    text = report_md(repo, cli, chdir)
    assert "> loss.csv is not at base; head only" in text
    assert "![loss.csv](plots/" in text


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("epoch,loss\n0,high\n", "field 'loss' is not numeric \\(e.g. 'high'\\)"),
        ("step,loss\n0,1\n", "no field 'epoch' \\(fields: step, loss\\)"),
        ("", "the file is empty \\(at head\\)"),
    ],
)
def test_bad_plot_data_is_a_note_not_a_crash(repo: Repo, cli, chdir, content, needle) -> None:  # type: ignore[no-untyped-def]
    repo.write("dvc.yaml", "plots:\n  - loss.csv:\n      x: epoch\n      y: loss\n")
    repo.write("loss.csv", content)
    chdir(repo.path)
    res = cli("report", "--base", "main", "--out", "out")
    assert res.code == 0, res.err
    lines = (repo.path / "out" / "report.md").read_text().splitlines()
    # under the plot's heading, and again among the notes (escaped Markdown, exactly)
    why = f"not drawn: loss.csv: {needle}; loss.csv is not at base; head only"
    assert f"> {why}" in lines
    assert f"- plot 'loss.csv' {why}" in lines


def test_mermaid_mode_inlines_line_and_bar_charts(plots_repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    chdir(plots_repo.path)
    res = cli("report", "--base", "main", "--out", "out", "--plots", "mermaid")
    assert res.code == 0, res.err
    text = (plots_repo.path / "out" / "report.md").read_text()
    assert text.count("```mermaid\nxychart-beta") >= 6
    assert "line [" in text and "bar [" in text
    assert "lines in order: base, head" in text and "bars in order: base, head" in text


def test_mermaid_has_no_nan_values() -> None:
    from mlgate.plotdata import Series
    from mlgate.render.charts.mermaid import lines as mermaid_lines

    x = np.arange(5, dtype=np.float64)
    y = np.array([1.0, np.nan, 3.0, np.inf, 5.0])
    block = mermaid_lines("t", [("head", Series(x, y, 5))], bar=False)
    assert "nan" not in block and "inf" not in block
    assert block.splitlines()[-1] == "    line [1, 2, 3, 4, 5]"


def test_an_unknown_template_is_a_note_not_lines(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    """Issue 22: a template no chart kind draws was drawn as lines without a word."""
    repo.write(
        "dvc.yaml",
        "plots:\n  - loss.csv:\n      template: my_vega.json\n  - acc.csv:\n      y: acc\n",
    )
    repo.write("loss.csv", "step,loss\n0,1\n1,0.5\n")
    repo.write("acc.csv", "step,acc\n0,0.5\n1,0.7\n")
    repo.commit("base")
    text = report_md(repo, cli, chdir)
    assert "template 'my\\_vega.json' is not one mlgate draws" in text
    assert "![acc.csv](plots/" in text and "![loss.csv]" not in text


def test_a_predictions_file_is_drawn_against_actual(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    """Issue 25: `actual,predicted` rows were a line over the row index."""
    repo.write("dvc.yaml", "plots:\n  - predictions.csv\n")
    rows = "\n".join(f"{i / 10},{i / 10 + 0.05 * (i % 3)}" for i in range(30))
    repo.write("predictions.csv", "actual,predicted\n" + rows + "\n")
    repo.commit("base")
    better = "\n".join(f"{i / 10},{i / 10 + 0.01 * (i % 3)}" for i in range(30))
    repo.write("predictions.csv", "actual,predicted\n" + better + "\n")
    text = report_md(repo, cli, chdir)
    assert "predicted against actual" in text
    assert "mean abs error" in text
