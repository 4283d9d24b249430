"""Every chart kind drawn at 2, 3 and 10 classes or series, checked with matplotlib's own
bounding boxes: no title or label overlaps another, none leaves the figure (issue 25)."""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from mlgate.pipeline import PlotDef
from mlgate.plotdata import Table
from mlgate.render.charts import TEMPLATES, base, unknown_template
from mlgate.render.charts.base import Canvas, Layer

T = TypeVar("T")
NAMES = ["cat", "dog", "bird", "horse", "sheep", "cow", "elephant", "bear", "zebra", "giraffe"]


def _lines(n: int) -> tuple[PlotDef, list[Layer]]:
    ys = tuple(f"metric_{i}" for i in range(n))
    table: Table = {
        "step": list(range(20)),
        **{y: [i * k / 10 for i in range(20)] for k, y in enumerate(ys)},
    }
    plot = PlotDef(
        id="curves.csv",
        sources=tuple(("curves.csv", y) for y in ys),
        x="step",
        y=ys,
        title="Training curves of the model",
    )
    return plot, [Layer(side, "curves.csv", "", table, ys) for side in ("base", "head")]


def _classes(n: int, template: str) -> tuple[PlotDef, list[Layer]]:
    actual = [NAMES[i % n] for i in range(40 * n)]
    layers = []
    for side, shift in (("base", 1), ("head", 2)):
        predicted = [NAMES[(i + (i % 7 == 0) * shift) % n] for i in range(40 * n)]
        layers.append(
            Layer(side, "classes.csv", "", {"actual": actual, "predicted": predicted}, (None,))
        )
    plot = PlotDef(
        id="classes.csv",
        sources=(("classes.csv", None),),
        template=template,
        title="Confusion matrix of the classifier",
    )
    return plot, layers


def _bars(n: int) -> tuple[PlotDef, list[Layer]]:
    layers = [
        Layer(
            side,
            "importance.csv",
            "",
            {
                "name": [f"feature_{NAMES[i]}" for i in range(n)],
                "value": [(i + k) / n for i in range(n)],
            },
            (None,),
        )
        for k, side in enumerate(("base", "head"))
    ]
    plot = PlotDef(
        id="importance.csv",
        sources=(("importance.csv", None),),
        template="bar_horizontal",
        title="Feature importance",
    )
    return plot, layers


# one maker per chart kind: a new kind's module adds its maker here
MAKERS: dict[str, Callable[[int], tuple[PlotDef, list[Layer]]]] = {
    "lines": _lines,
    "scatter": _lines,
    "confusion": lambda n: _classes(n, "confusion"),
    "confusion_normalized": lambda n: _classes(n, "confusion_normalized"),
    "bars": _bars,
    "bars_sorted": _bars,
}


def test_every_chart_kind_has_a_layout_test() -> None:
    assert set(TEMPLATES.values()) == set(MAKERS)


def drawn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, draw: Callable[[], T]
) -> tuple[T, list[Figure]]:
    figures: list[Figure] = []
    real = base.save

    def keep(fig: Figure, out_dir: Path, rel: str) -> None:
        real(fig, out_dir, rel)  # the PNG as written: constrained layout has run
        figures.append(fig)

    monkeypatch.setattr(base, "save", keep)
    return draw(), figures


def _drawn_ticks(ax: Any) -> Iterator[Text]:
    """The tick labels matplotlib draws: those of ticks inside the view (it lists more)."""
    for labels, (lo, hi), at in (
        (ax.get_xticklabels(), sorted(ax.get_xlim()), 0),
        (ax.get_yticklabels(), sorted(ax.get_ylim()), 1),
    ):
        span = (hi - lo) * 1e-9
        yield from (t for t in labels if lo - span <= t.get_position()[at] <= hi + span)


def _texts(fig: Figure) -> Iterator[tuple[str, Text]]:
    """Every title, axis label, tick label and legend text, named for the failure message."""
    for t in fig.texts:
        yield "figure text", t
    for i, ax in enumerate(fig.axes):
        yield f"axes {i} title", ax.title
        yield f"axes {i} x label", ax.xaxis.label
        yield f"axes {i} y label", ax.yaxis.label
        for t in _drawn_ticks(ax):
            yield f"axes {i} tick", t
        legend = ax.get_legend()
        for t in legend.get_texts() if legend else []:
            yield f"axes {i} legend", t


def defects(fig: Figure) -> list[str]:
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    page = fig.bbox
    boxes = []
    for name, text in _texts(fig):
        if not text.get_visible() or not text.get_text().strip():
            continue
        box = text.get_window_extent(renderer)
        boxes.append((name, text.get_text(), box))
    found = []
    for name, label, box in boxes:
        if (
            box.x0 < page.x0 - 1
            or box.y0 < page.y0 - 1
            or box.x1 > page.x1 + 1
            or box.y1 > page.y1 + 1
        ):
            found.append(f"{name} {label!r} leaves the figure: {box.bounds} in {page.bounds}")
    for (n1, l1, b1), (n2, l2, b2) in itertools.combinations(boxes, 2):
        if "tick" in n1 and n1 == n2:
            continue  # tick labels of one axes are placed by matplotlib along the axis
        if (
            b1.overlaps(b2)
            and (min(b1.x1, b2.x1) - max(b1.x0, b2.x0)) > 1
            and (min(b1.y1, b2.y1) - max(b1.y0, b2.y0)) > 1
        ):
            found.append(f"{n1} {l1!r} overlaps {n2} {l2!r}")
    return found


def _kind(name: str) -> Any:
    return importlib.import_module(f"mlgate.render.charts.{name}").KIND


@pytest.mark.parametrize("n", [2, 3, 10])
@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_no_title_or_label_overlaps_or_is_clipped(
    kind: str, n: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plot, layers = MAKERS[kind](n)
    entry, figures = drawn(
        monkeypatch, tmp_path, lambda: _kind(kind).draw(plot, layers, Canvas(tmp_path))
    )
    assert entry.image and (tmp_path / entry.image).is_file()
    assert len(figures) == 1
    assert defects(figures[0]) == []


def test_the_layout_check_sees_a_clipped_label_and_an_overlap() -> None:
    """The check itself can fail: the two defects of issue 25, made on purpose."""
    fig, ax = base.figure()
    fig.set_layout_engine("none")  # no constrained layout to mend them
    ax.set_title("head")
    ax.set_xlabel("predicted")
    ax.xaxis.set_label_coords(0.5, -0.4)  # below the figure's edge
    fig.suptitle("Confusion matrix", y=0.905)  # on the axes title
    base.png_bytes(fig)
    found = defects(fig)
    assert any("'predicted' leaves the figure" in d for d in found)
    assert any("'Confusion matrix' overlaps axes 0 title 'head'" in d for d in found)


def test_an_unknown_template_is_named_with_the_known_ones() -> None:
    assert unknown_template("linear") is None
    why = unknown_template("my_vega.json")
    assert why is not None and "'my_vega.json'" in why and "confusion" in why


# --- predictions -----------------------------------------------------------------------------


def _predictions(actual: list[Any], shift: float) -> list[Layer]:
    return [
        Layer(
            side,
            "predictions.csv",
            "",
            {"actual": actual, "predicted": [a + k * shift for a in actual]}
            if shift
            else {"actual": actual, "predicted": actual[::-1]},
            (None,),
        )
        for k, side in enumerate(("base", "head"), start=1)
    ]


def test_regression_predictions_are_drawn_against_actual(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plot = PlotDef(id="predictions.csv", sources=(("predictions.csv", None),))
    layers = _predictions([0.5 * i for i in range(50)], 0.3)
    entry, figures = drawn(
        monkeypatch, tmp_path, lambda: _kind("lines").draw(plot, layers, Canvas(tmp_path))
    )
    [fig] = figures
    ax = fig.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("actual", "predicted")
    assert len(ax.collections) == 2  # base and head as points, not lines over the row index
    [perfect] = [line for line in ax.get_lines() if line.get_label() == "perfect"]
    assert list(perfect.get_xdata()) == list(perfect.get_ydata())
    assert "predicted against actual" in entry.caption
    assert "| base" in entry.data_table and "0.3" in entry.data_table  # mean abs error
    assert defects(fig) == []


def test_class_predictions_are_a_confusion_matrix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plot = PlotDef(id="predictions.csv", sources=(("predictions.csv", None),))
    layers = _predictions([NAMES[i % 3] for i in range(30)], 0)
    entry, figures = drawn(
        monkeypatch, tmp_path, lambda: _kind("lines").draw(plot, layers, Canvas(tmp_path))
    )
    [fig] = figures
    assert [ax.get_title() for ax in fig.axes][:2] == ["base", "head"]
    assert entry.data_table.splitlines()[0].startswith("| actual \\\\ predicted")


def test_a_line_plot_with_an_x_stays_lines() -> None:
    from mlgate.render.charts import predictions

    layers = _predictions([1.0, 2.0], 0.1)
    with_x = PlotDef(id="p.csv", sources=(("p.csv", None),), x="actual")
    assert not predictions.claims(with_x, layers)
    assert predictions.claims(PlotDef(id="p.csv", sources=(("p.csv", None),)), layers)


# --- bars ------------------------------------------------------------------------------------


def _bar_layers(base_cats: list[str], head_cats: list[str]) -> list[Layer]:
    return [
        Layer(
            side,
            "f.csv",
            "",
            {"name": cats, "value": [float(i + 1) for i in range(len(cats))]},
            (None,),
        )
        for side, cats in (("base", base_cats), ("head", head_cats))
    ]


def test_a_bar_category_at_one_revision_keeps_its_place(tmp_path: Path) -> None:
    plot = PlotDef(id="f.csv", sources=(("f.csv", None),), template="bar_horizontal")
    layers = _bar_layers(["alpha", "beta", "gamma", "delta"], ["alpha", "gamma", "delta", "eps"])
    entry = _kind("bars").draw(plot, layers, Canvas(tmp_path))
    body = [line.split("|")[1:-1] for line in entry.data_table.splitlines()[2:]]
    assert [[c.strip() for c in row] for row in body] == [
        ["alpha", "1", "1"],
        ["beta", "2", "-"],
        ["gamma", "3", "2"],
        ["delta", "4", "3"],
        ["eps", "-", "4"],
    ]
    assert "nan" not in entry.data_table


def test_sorted_bars_put_head_largest_first(tmp_path: Path) -> None:
    plot = PlotDef(id="f.csv", sources=(("f.csv", None),), template="bar_horizontal_sorted")
    entry = _kind("bars_sorted").draw(
        plot, _bar_layers(["a", "b"], ["a", "b", "c"]), Canvas(tmp_path)
    )
    assert [line.split("|")[1].strip() for line in entry.data_table.splitlines()[2:]] == [
        "c",
        "b",
        "a",
    ]


# --- confusion data table ------------------------------------------------------------------


def test_a_ten_class_matrix_table_is_the_matrix_as_rows(tmp_path: Path) -> None:
    plot, layers = _classes(10, "confusion")
    entry = _kind("confusion").draw(plot, layers, Canvas(tmp_path))
    lines = entry.data_table.splitlines()
    assert len(lines) == 2 + 10  # header, rule, a row per actual class
    assert all(line.count("|") == 12 for line in lines)  # 11 columns, not 101
    assert " → " in entry.data_table  # a changed cell reads base → head
    assert lines[2].split("|")[1].strip() == "bear"  # classes sorted, rows named


# --- the pipeline refuses a template no kind draws ------------------------------------------


def test_the_pipeline_refuses_an_unknown_template_with_a_note() -> None:
    from mlgate.pipeline import parse_dvc_yaml

    doc = {
        "plots": [{"loss.csv": {"template": "linear"}}, {"roc.json": {"template": "my_vega.json"}}],
        "stages": {
            "train": {
                "cmd": "python train.py",
                "plots": [{"cm.csv": {"template": "confusion"}}, {"p.csv": {"template": "pie"}}],
            }
        },
    }
    found = parse_dvc_yaml(doc, "", "dvc.yaml")
    assert [p.id for p in found.plots] == ["loss.csv", "cm.csv"]
    assert [n.split(": template")[0] for n in found.notes] == [
        "dvc.yaml: plot 'roc.json'",
        "dvc.yaml: plot 'p.csv'",
    ]
    assert all("is not one mlgate draws" in n for n in found.notes)
    assert "p.csv" in {o.path for o in found.outs}  # still an output DVC tracks


def test_a_data_check_histogram_keeps_its_long_title_inside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import numpy as np

    from mlgate.datacheck import ColumnChange, TableChange
    from mlgate.render.charts.histograms import histograms

    rng = np.random.default_rng(0)
    column = ColumnChange(
        "customer_lifetime_value_in_euros",
        "float",
        "float",
        0.0,
        0.0,
        ks=0.31,
        psi=0.42,
        base_sample=rng.normal(0, 1, 500),
        head_sample=rng.normal(0.5, 1, 500),
    )
    table = TableChange(
        "data/processed/customers_with_features.csv", "modified", 500, 500, (column,)
    )
    entries, figures = drawn(monkeypatch, tmp_path, lambda: histograms([table], tmp_path))
    assert len(entries) == 1 and len(figures) == 1
    assert defects(figures[0]) == []


@pytest.mark.parametrize("n", [2, 3, 10])
def test_a_slice_chart_keeps_its_labels_inside(
    n: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlgate.render import slicechart

    rows: list[Any] = [
        {
            "slice": f"region = {NAMES[i]}_{'north' * (i % 3)}",
            "rows": 1000 + i,
            "status": "failed" if i == 1 else "passed",
            "base": 0.8,
            "head": 0.78 - i / 100,
            "ci": [-0.05, 0.01],
        }
        for i in range(n)
    ]
    title = "accuracy: per_example_correct by customer_region_of_residence"
    _entry, figures = drawn(
        monkeypatch,
        tmp_path,
        lambda: slicechart.png(title, rows, "per_example_correct", tmp_path, "plots/s.png"),
    )
    assert defects(figures[0]) == []
