"""Data checks on real DVC repositories: `dvc add`ed data, a changed pipeline dependency, data
only in the DVC remote (a fresh clone), and bad data files; the table, the histograms and the
rule verdicts in the same gate as metrics."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.conftest import Repo

pytestmark = pytest.mark.slow

RULES = """gates: []
data:
  - path: data/train.csv
    required: [age, label]
    columns:
      age: {type: int, min: 0, max: 120}
      label: {allowed: [0, 1], max_missing: 0}
      id: {unique: true}
    max_psi: 0.25
"""


def table(n: int, shift: float = 0.0, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    ages = np.clip(rng.normal(40 + shift, 10, n).round(), 0, 120).astype(int)
    labels = rng.integers(0, 2, n)
    return "id,age,label\n" + "".join(
        f"{i},{a},{b}\n" for i, (a, b) in enumerate(zip(ages, labels, strict=True))
    )


def report(repo: Repo, cli: Any, chdir: Any) -> tuple[int, str, dict[str, Any]]:
    chdir(repo.path)
    res = cli("report", "--base", "main", "--out", "out")
    assert "Traceback" not in res.err
    out = repo.path / "out"
    return res.code, (out / "report.md").read_text(), json.loads((out / "result.json").read_text())


def test_dvc_added_data_only_in_the_remote_is_compared_and_gated(
    repo: Repo, tmp_path: Path, cli, chdir
) -> None:  # type: ignore[no-untyped-def]
    repo.dvc("remote", "add", "-d", "store", str(tmp_path / "remote"))
    repo.write("data/train.csv", table(2000))
    repo.dvc("add", "--quiet", "data/train.csv")
    repo.write(".mlgate.yml", RULES)
    repo.dvc("push", "--quiet")
    repo.commit("data on main")
    work = Repo(tmp_path / "ci")
    subprocess.run(["git", "clone", "--quiet", f"file://{repo.path}", str(work.path)], check=True)
    work.git("checkout", "--quiet", "-b", "pr")
    work.write("data/train.csv", table(1500, shift=15, seed=1))  # older patients, fewer rows
    work.dvc("add", "--quiet", "data/train.csv")
    code, text, result = report(work, cli, chdir)
    assert code == 1
    [data] = result["data"]
    assert data["path"] == "data/train.csv" and data["status"] == "modified"
    assert data["rows"] == {"base": 2000, "head": 1500}
    age = next(c for c in data["columns"] if c["name"] == "age")
    assert age["psi"] > 0.25 and age["ks"] > 0.3
    failed = [g["message"] for g in result["gates"] if g["outcome"] == "fail"]
    assert any(m.startswith("data/train.csv: age drifted: PSI ") for m in failed), failed
    assert "### Data checks" in text and "| data/train.csv | modified | 2,000 → 1,500 |" in text
    assert any("data-data-train-csv-age" in p for p in result["plots"])  # the histogram


def test_a_changed_pipeline_dependency_and_its_output_are_checked(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    repo.write("raw.csv", table(500))
    repo.write(
        "clean.py",
        "import pandas as pd\npd.read_csv('raw.csv').dropna().to_csv('clean.csv', index=False)\n",
    )
    repo.write(
        "dvc.yaml",
        "stages:\n  clean:\n    cmd: python clean.py\n"
        "    deps: [clean.py, raw.csv]\n    outs: [clean.csv]\n",
    )
    repo.dvc("repro", "--quiet")
    repo.commit("pipeline")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("raw.csv", table(500).replace(",1\n", ",\n", 40))  # some labels go missing
    repo.dvc("repro", "--quiet")
    code, _text, result = report(repo, cli, chdir)
    assert code == 0  # no rules: shown, not gated
    paths = {d["path"]: d for d in result["data"]}
    assert set(paths) == {"raw.csv", "clean.csv"}
    label = next(c for c in paths["raw.csv"]["columns"] if c["name"] == "label")
    assert label["missing"]["base"] == 0.0 and label["missing"]["head"] == pytest.approx(40 / 500)
    assert paths["clean.csv"]["rows"]["head"] == 460


@pytest.mark.parametrize(
    ("head", "message"),
    [
        ('id,age,label\n1,"40,1\n', "data/train.csv: cannot be read as a table"),
        ("\x00\x01\x02binary\xff", "data/train.csv: cannot be read as a table"),
        ("id,years,label\n1,40,1\n", "data/train.csv: required column 'age' is missing"),
        (
            "id,age,label\n1,-4,1\n2,40,7\n2,41,0\n",
            "age: 1 value(s) fail greater_than_or_equal_to(0.0) (e.g. -4)",
        ),
        ("id,age,label\n1,40.5,1\n", "age: 1 value(s) fail coerce_dtype('Int64')"),
    ],
)
def test_bad_data_is_a_reason_in_the_report_never_a_crash(
    repo: Repo, cli, chdir, head: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    repo.write("data/train.csv", table(50))
    repo.write(".mlgate.yml", RULES)
    repo.commit("data in git")
    repo.git("checkout", "--quiet", "-b", "pr")
    (repo.path / "data/train.csv").write_bytes(head.encode("latin-1"))
    code, _text, result = report(repo, cli, chdir)
    assert code == 1
    failed = [g["message"] for g in result["gates"] if g["outcome"] == "fail"]
    assert any(message in m for m in failed), failed


def test_a_file_over_the_size_limit_is_said_not_read(
    repo: Repo, cli, chdir, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    # Stated stand-in: the limit is 4 GiB; a file that large cannot be made here, so it is lowered.
    from mlgate.sources import tables

    monkeypatch.setattr(tables, "MAX_BYTES", 100)
    repo.write("data/train.csv", table(50))
    repo.write(".mlgate.yml", RULES)
    repo.commit("data")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("data/train.csv", table(60))
    code, _text, result = report(repo, cli, chdir)
    assert code == 1
    assert "GiB limit" in result["data"][0]["violations"][0] or "limit" in str(result["data"])
