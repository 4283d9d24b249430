"""`mlgate demo`: real git, real DVC pipeline, real scikit-learn training, no network."""

import json
import re

from PIL import Image


def test_demo_builds_the_flow_and_writes_the_report(tmp_path, cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "demo"
    res = cli("demo", "--out", str(out))
    assert res.code == 0, res.err
    assert f"report:  {out / 'report.md'}" in res.out
    assert (out / ".gitignore").read_text().splitlines()[-1] == "*"  # `git add -A` leaves it out
    text = (out / "report.md").read_text()
    # The PR makes the trees shallower and shifts a feature of its training data: log-loss and
    # the data drift rule fail, ROC AUC holds, and the accuracy drop (four rows of 171) is
    # within noise by the exact McNemar test on the confusion plot's rows.
    assert "## ❌ mlgate report: 2 of 4 gates failed: log\\_loss" in text
    (accuracy,) = [line for line in text.splitlines() if "metrics.json:accuracy" in line]
    assert accuracy.startswith("| ✅ |")
    assert "| accuracy −1.8 pts, 95% CI \\[" in accuracy
    assert (
        "McNemar p = 0.38 \\(4 of 171 rows right only at base, 1 only at head\\): within noise"
        in text
    )
    assert "| ✅ | metrics.json:roc\\_auc" in text
    assert "| ❌ | data: data/train.csv: mean radius: max\\_psi" in text
    assert "| data/train.csv | modified | 398 → 358 |" in text
    assert re.search(r"\| train\.max\\_depth +\| +6 \| +2 \|", text)  # numbers right-aligned
    assert "model/model.pkl" in text  # the DVC-cached model changed
    result = json.loads((out / "result.json").read_text())
    assert result["passed"] is False
    assert len(result["plots"]) == 8  # 5 charts + histograms of the 3 most drifted columns
    for rel in result["plots"]:
        assert f"]({rel})" in text
        with Image.open(out / rel) as img:
            assert img.width >= 600 and img.height >= 250
    assert "<table>" in (out / "report.html").read_text()
