"""A param that is `null` reads `null`; `-` stays the mark of a param a revision lacks
(issue 25)."""

from __future__ import annotations

from mlgate.compare import Snapshot, diff
from mlgate.metrics import load_params
from mlgate.render.metrictables import params_table


def test_a_null_param_shows_as_null_and_a_missing_one_as_a_dash() -> None:
    base = Snapshot({"params.yaml": load_params("seed: null\nlr: 0.1\nold: 1\n", "params.yaml")})
    head = Snapshot({"params.yaml": load_params("seed: 3\nlr: null\nnew: 2\n", "params.yaml")})
    rows = {
        line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:4]]
        for line in params_table(diff(base, head).changes, "main", show_path=False).splitlines()
        if line.startswith("| ") and "Param" not in line
    }
    assert rows["seed"] == ["null", "3"]
    assert rows["lr"] == ["0.1", "null"]
    assert rows["new"] == ["\\-", "2"]  # `-` escaped for Markdown
    assert rows["old"] == ["1", "\\-"]
