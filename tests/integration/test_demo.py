"""`mlgate demo`: real git, real DVC pipeline, real scikit-learn training, no network."""

import json
import re

from PIL import Image


def test_demo_builds_the_flow_and_writes_the_report(tmp_path, cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "demo"
    res = cli("demo", "--out", str(out))
    assert res.code == 0, res.err
    assert f"report:  {out / 'report.md'}" in res.out
    text = (out / "report.md").read_text()
    # the PR makes the trees shallower and shifts a feature of the training data: accuracy,
    # log-loss and the data drift gates fail, ROC AUC holds
    assert "## ❌ mlgate report: 3 of 4 gates failed" in text
    assert "| ❌ | metrics.json:accuracy" in text
    assert "| ❌ | data: data/train.csv: mean radius: max\\_psi" in text
    assert "| data/train.csv | modified | 398 → 358 |" in text
    assert "| ✅ | metrics.json:roc\\_auc" in text
    assert re.search(r"\| train\.max\\_depth +\| 6 +\| 2 +\|", text)
    assert "model/model.pkl" in text  # the DVC-cached model changed
    result = json.loads((out / "result.json").read_text())
    assert result["passed"] is False
    assert len(result["plots"]) == 8  # 5 charts + 3 histograms of the most drifted columns
    for rel in result["plots"]:
        assert f"]({rel})" in text
        with Image.open(out / rel) as img:
            assert img.width >= 600 and img.height >= 250
    assert "<table>" in (out / "report.html").read_text()
