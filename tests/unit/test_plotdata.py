import numpy as np
import pytest

from mlgate.plotdata import PlotDataError, column, minmax_downsample, numeric, parse_table


def test_formats() -> None:
    assert parse_table(b"a,b\n1,x\n2,y\n", "p.csv") == {"a": [1, 2], "b": ["x", "y"]}
    assert parse_table(b"a\tb\n1\t2.5\n", "p.tsv") == {"a": [1], "b": [2.5]}
    assert parse_table(b'{"roc": [{"fpr": 0, "tpr": 1}]}', "p.json") == {"fpr": [0], "tpr": [1]}
    assert parse_table(b"- {x: 1}\n- {x: 2}\n", "p.yaml") == {"x": [1, 2]}


def test_large_csv_is_read_into_arrays() -> None:
    body = "step,loss\n" + "".join(f"{i},{i / 3:.6f}\n" for i in range(200_000))
    table = parse_table(body.encode(), "big.csv")
    assert isinstance(table["loss"], np.ndarray) and len(table["loss"]) == 200_000
    assert numeric(table["loss"], "loss", "big.csv")[3] == 1.0


@pytest.mark.parametrize(
    ("data", "path", "needle"),
    [
        (b"", "p.csv", "empty"),
        (b"a,b\n", "p.csv", "no rows"),
        (b"{", "p.json", "cannot parse"),
        (b"[1, 2]", "p.json", "list of records"),
        (b'{"a": 1}', "p.json", "no list"),
    ],
)
def test_bad_data_raises_plot_data_error(data: bytes, path: str, needle: str) -> None:
    with pytest.raises(PlotDataError, match=needle):
        parse_table(data, path)


def test_missing_field_and_non_numeric() -> None:
    records = {"x": [1], "y": ["high"]}
    with pytest.raises(PlotDataError, match="no field 'z'"):
        column(records, "z", "p.csv")
    with pytest.raises(PlotDataError, match="'y' is not numeric"):
        numeric(column(records, "y", "p.csv"), "y", "p.csv")


def test_minmax_downsample_keeps_extremes() -> None:
    x = np.arange(1_000_000, dtype=np.float64)
    y = np.sin(x / 10_000)
    y[123_456] = 50.0  # a spike must survive
    s = minmax_downsample(x, y, buckets=1000)
    assert s.original_points == 1_000_000
    assert len(s.x) == 2000
    assert s.y.max() == 50.0
    assert np.all(np.diff(s.x) >= 0)
