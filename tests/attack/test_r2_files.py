"""Issue 21, Seen 5, 8 and 9: files a training leaves in the workspace that hang, exhaust or
crash the job (a FIFO, one 30 MB data row, 20,000 plots, 3,000 classes, a file name that is not
UTF-8, a metric name with a line break), and paths dropped without a note.

`mlgate report` in a fresh interpreter with a deadline and an address-space limit: a hang or a
blow-up fails the test, not the machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.attack.r2 import DEADLINE
from tests.attack.r2 import report as _report
from tests.conftest import Repo

GATE = "gates:\n  - metric: acc\n    max_drop: 0.5\n"


def report(repo: Repo) -> tuple[int, str, str, float]:
    """The report's text without Markdown's backslash escapes, to read it as a reader would."""
    code, text, err, seconds = _report(repo)
    return code, text.replace("\\", ""), err, seconds


@pytest.fixture
def base(repo: Repo) -> Repo:
    repo.write("metrics.json", {"acc": 0.9})
    repo.write("params.yaml", "lr: 0.1\n")
    repo.write("data/train.csv", "a,b\n1,2\n3,4\n")
    repo.write(".mlgate.yml", "metrics: [metrics.json]\nparams: [params.yaml]\n" + GATE)
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "pr")
    return repo


# FIFOs left where mlgate reads ------------------------------------------------------------------
@pytest.mark.parametrize("what", ["metrics.json", "params.yaml", "loss.csv", ".mlgate.yml"])
def test_a_fifo_where_a_file_should_be_neither_hangs_nor_passes(base: Repo, what: str) -> None:
    if what == "loss.csv":
        base.write(".mlgate.yml", "metrics: [metrics.json]\nplots: [loss.csv]\n" + GATE)
    (base.path / what).unlink(missing_ok=True)
    os.mkfifo(base.path / what)
    if what == ".mlgate.yml":
        proc = subprocess.run(
            [sys.executable, "-m", "mlgate.cli", "report", "--base", "main"],
            cwd=base.path,
            capture_output=True,
            text=True,
            timeout=DEADLINE,
            check=False,
        )
        assert proc.returncode == 2, proc.stderr
        assert "not a regular file (a FIFO)" in proc.stderr
        return
    code, text, err, seconds = report(base)
    assert seconds < 60
    assert f"{what}: not a regular file (a FIFO)" in text, err
    if what == "metrics.json":
        assert code == 1  # the gated metric is unreadable at head: never a pass


# Data: one enormous row, too many columns -------------------------------------------------------
ROWS = {
    "30MB-row": ("data/train.csv", b"a,b\n1,2\n" + b"1," * 15_000_000 + b"\n"),
    "30MB-field": ("data/train.csv", b"a,b\n1," + b"x" * 30_000_000 + b"\n"),
    "20k-columns": ("data/train.csv", b",".join(b"c%d" % i for i in range(20_000)) + b"\n"),
    "jsonl-30MB": ("data/train.jsonl", b'{"a": "' + b"y" * 30_000_000 + b'"}\n'),
}


@pytest.mark.parametrize("how", list(ROWS))
def test_a_data_file_with_an_enormous_line_is_refused_with_a_reason(base: Repo, how: str) -> None:
    path, data = ROWS[how]
    base.write(".mlgate.yml", f"metrics: [metrics.json]\ndata:\n  - path: {path}\n" + GATE)
    base.commit("rules")
    base.git("checkout", "--quiet", "main")
    base.git("merge", "--quiet", "pr")
    base.git("checkout", "--quiet", "pr")
    (base.path / path).write_bytes(data)
    code, text, err, seconds = report(base)
    assert code == 1, err  # its rules cannot be checked: the data gate fails
    assert seconds < 60
    assert "mlgate's limit" in text, text[-2000:]
    assert "Traceback" not in err


# Charts: how many, and how many classes -----------------------------------------------------------
def test_twenty_thousand_plot_files_are_capped_with_a_note(base: Repo) -> None:
    base.write(".mlgate.yml", "metrics: [metrics.json]\nplots: [curves]\n" + GATE)
    (base.path / "curves").mkdir()
    for i in range(20_000):
        (base.path / "curves" / f"c{i:05d}.csv").write_text(f"step,v\n0,{i}\n1,{i + 1}\n")
    code, text, err, seconds = report(base)
    assert code == 0, err
    assert seconds < 100
    assert "19,950 plots not drawn (mlgate draws at most 50 per report)" in text
    assert len(list((base.path / "mlgate-report" / "plots").glob("*.png"))) <= 52


def test_a_confusion_matrix_of_3000_classes_shows_the_top_classes_and_other(base: Repo) -> None:
    rows = "".join(f"c{i % 3000},c{(i * 7) % 3000}\n" for i in range(6000))
    base.write("confusion.csv", "actual,predicted\n" + rows)
    base.write(
        "dvc.yaml",
        "metrics: [metrics.json]\nplots:\n  - confusion.csv:\n      template: confusion\n"
        "      x: actual\n      y: predicted\n",
    )
    code, text, err, seconds = report(base)
    assert code == 0, err
    assert seconds < 60
    assert "3,000 classes: the 20 most frequent are shown, the other 2,980 as 'other'" in text


# Names no text layout can take ------------------------------------------------------------------
def test_a_file_name_that_is_not_utf8_and_a_metric_name_with_a_line_break(base: Repo) -> None:
    base.write(".mlgate.yml", "metrics: [metrics.json]\nplots: [curves]\n" + GATE)
    (base.path / "curves").mkdir()
    (base.path / "curves" / "ok.csv").write_text("step,v\n0,1\n1,2\n")
    (base.path / os.fsdecode(b"curves/bad\xff.csv")).write_text("step,v\n0,1\n")
    base.write("metrics.json", {"acc": 0.91, "loss\nwith a break": 0.2, "tab\tbed\r": 0.1})
    code, text, err, _seconds = report(base)
    assert code == 0, err
    assert "internal error" not in err
    assert "curves/badxff.csv: a file name that is not UTF-8 text; not read" in text


# Nothing dropped without a note (Seen 9) --------------------------------------------------------
def test_refused_params_and_data_paths_are_said(base: Repo, tmp_path: object) -> None:
    outside = base.path.parent / "outside"
    outside.mkdir()
    (outside / "p.yaml").write_text("secret_lr: 9\n")
    (outside / "d.csv").write_text("a\n1\n")
    base.write(
        ".mlgate.yml",
        "metrics: [metrics.json]\nparams: [params.yaml, /etc/hostname, linked.yaml]\n"
        "data:\n  - path: data/linked.csv\n" + GATE,
    )
    base.commit("rules")
    base.git("checkout", "--quiet", "main")
    base.git("merge", "--quiet", "pr")
    base.git("checkout", "--quiet", "pr")
    (base.path / "linked.yaml").symlink_to(outside / "p.yaml")
    (base.path / "data" / "linked.csv").symlink_to(outside / "d.csv")
    code, text, err, _seconds = report(base)
    assert code == 1, err  # the data rule cannot be checked: it fails
    assert "params file /etc/hostname at head: /etc/hostname: not read: absolute paths" in text
    assert (
        "params file linked.yaml at head: linked.yaml: not read: a symbolic link leading out"
        in text
    )
    assert (
        "data/linked.csv: not read: a symbolic link leading out of the repository; its data "
        "rules cannot be checked" in err + text
    )
    assert "is not at head" not in text
    assert "secret_lr" not in text
    json.loads((base.path / "mlgate-report" / "result.json").read_text())
