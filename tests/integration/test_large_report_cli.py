"""`mlgate report` on a project with more metrics than the comment shows (issue 17): the comment
has the gated and the largest changes and counts the rest; `all-metrics.md` has every value; the
summary chart draws the top changes with Pillow and says what it leaves out."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import Repo


def test_a_report_on_many_metrics_is_short_and_the_artifact_is_whole(  # type: ignore[no-untyped-def]
    repo: Repo, cli, chdir
) -> None:
    names = [f"class_{i:03}.acc" for i in range(300)]
    base = dict.fromkeys(names, 0.5)
    repo.write("dvc.yaml", "metrics:\n  - metrics.json\n")
    repo.write(".mlgate.yml", "gates:\n  - metric: class_299.acc\n    direction: higher\n")
    repo.write("metrics.json", base)
    repo.commit("base")
    head = {**base, **{n: 0.5 + (i + 1) / 1000 for i, n in enumerate(names[:80])}}
    repo.write("metrics.json", head)
    chdir(repo.path)
    res = cli("report", "--base", "main", "--out", "out")
    assert res.code == 0, res.err
    out = repo.path / "out"
    text = (out / "report.md").read_text()
    section = text.split("### Metrics")[1].split("\n### ")[0]
    table = [line for line in section.splitlines() if line.startswith("| class")]
    assert len(table) == 50
    assert table[0].startswith("| class\\_299.acc ")  # the gated metric leads
    assert table[1].startswith("| class\\_079.acc ")  # then the largest relative change
    assert (
        "*…and 31 more changed and 219 more unchanged metric values: the full table is in the job "
        "summary and in `all-metrics.md` of the report artifact.*" in text
    )
    assert "> the 30 largest of 80 relative changes \\(220 unchanged values not drawn\\)" in text
    full = (out / "all-metrics.md").read_text()
    assert len([line for line in full.splitlines() if line.startswith("| class")]) == 300
    result = json.loads((out / "result.json").read_text())
    assert len(result["metrics"]) == 300
    assert (out / "plots" / "metric-changes.png").read_bytes().startswith(b"\x89PNG")


def test_the_summary_chart_alone_does_not_import_matplotlib(repo: Repo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    repo.write("dvc.yaml", "metrics:\n  - metrics.json\n")
    repo.write("metrics.json", {"acc": 0.5, "loss": 0.3})
    repo.commit("base")
    repo.write("metrics.json", {"acc": 0.6, "loss": 0.2})
    # a fresh interpreter: which modules did `mlgate report` load?
    probe = (
        "import sys\n"
        "from mlgate.cli import main\n"
        f"code = main(['report', '--base', 'main', '--out', {str(tmp_path / 'out')!r}])\n"
        "mods = ('matplotlib', 'pandas', 'tabulate', 'pydantic')\n"
        "print(code, *(m in sys.modules for m in mods))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo.path, capture_output=True, text=True, check=True
    )
    # pydantic (0.1 s) is for GitHub's event payloads: `mlgate run`, not a local report
    assert proc.stdout.split()[-5:] == ["0", "False", "False", "False", "False"]
    assert (tmp_path / "out" / "plots" / "metric-changes.png").is_file()
