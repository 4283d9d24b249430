"""`mlgate demo`: real git, real DVC pipeline, real scikit-learn training, no network."""

import json

from PIL import Image


def test_demo_builds_the_flow_and_writes_the_report(tmp_path, cli) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "demo"
    res = cli("demo", "--out", str(out))
    assert res.code == 0, res.err
    assert f"report:  {out / 'report.md'}" in res.out
    text = (out / "report.md").read_text()
    # the PR makes the trees shallower: log-loss fails, ROC AUC holds, and the accuracy drop
    # (two rows of 171) is within noise by the exact McNemar test on the confusion plot's rows
    assert "## ❌ mlgate report: 1 of 3 gates failed: log\\_loss" in text
    (accuracy,) = [line for line in text.splitlines() if "metrics.json:accuracy" in line]
    assert accuracy.startswith("| ✅ |")
    assert "| accuracy −1.2 pts, 95% CI \\[" in accuracy
    assert (
        "McNemar p = 0.62 \\(3 of 171 rows right only at base, 1 only at head\\): within noise"
        in text
    )
    assert "| ✅ | metrics.json:roc\\_auc" in text
    assert "train.max\\_depth | 6" in text
    assert "model/model.pkl" in text  # the DVC-cached model changed
    result = json.loads((out / "result.json").read_text())
    assert result["passed"] is False
    assert len(result["plots"]) == 5
    for rel in result["plots"]:
        assert f"]({rel})" in text
        with Image.open(out / rel) as img:
            assert img.width >= 600 and img.height >= 250
    assert "<table>" in (out / "report.html").read_text()
