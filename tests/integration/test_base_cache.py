"""Issue 25 (item 5): a base cache entry made before the config asked for a file is rebuilt,
not reused without it. A real git repository, a real training command run twice at the base."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Repo, Result

TRAIN = """\
import json, os, sys
depth = 5
with open("metrics.json", "w") as fh:
    json.dump({"acc": 0.5 + depth / 20}, fh)
with open("loss.csv", "w") as fh:
    fh.write("epoch,loss\\n0,%s\\n1,%s\\n" % (1.0 / depth, 0.5 / depth))
with open(sys.argv[1], "a") as fh:
    fh.write(os.getcwd() + "\\n")
"""


def test_a_cache_entry_without_a_newly_declared_plot_is_rebuilt(
    repo: Repo, tmp_path: Path, cli: Callable[..., Result]
) -> None:
    marker = tmp_path / "runs.log"
    repo.write("train.py", TRAIN)
    repo.write(".gitignore", "metrics.json\nloss.csv\n.cache/\nreport/\n")
    repo.write(".mlgate.yml", "metrics: [metrics.json]\n")
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "shallower")
    repo.write("train.py", TRAIN.replace("depth = 5", "depth = 2"))
    repo.commit("shallower")
    command = f'{sys.executable} train.py "{marker}"'
    out = tmp_path / "report"

    first = cli("report", "-C", str(repo.path), "--command", command, "--out", str(out))
    assert first.code == 0, first.err
    assert len(marker.read_text().splitlines()) == 2  # head, then the base in a worktree

    # the config now asks for a plot the cached entry never kept
    repo.write(".mlgate.yml", "metrics: [metrics.json]\nplots: [loss.csv]\n")
    second = cli("report", "-C", str(repo.path), "--command", command, "--out", str(out))
    assert second.code == 0, second.err
    assert len(marker.read_text().splitlines()) == 4  # the base trained again
    result = json.loads((out / "result.json").read_text())
    assert result["baseline"]["kind"] == "trained"
    assert "loss.csv" in second.err or "loss.csv" in (out / "report.md").read_text()
    assert "was made before" in (out / "report.md").read_text() + second.err

    third = cli("report", "-C", str(repo.path), "--command", command, "--out", str(out))
    assert third.code == 0, third.err
    assert len(marker.read_text().splitlines()) == 5  # now the entry has it: cached
    assert json.loads((out / "result.json").read_text())["baseline"]["kind"] == "cached"
