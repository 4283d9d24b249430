"""A pull request's files reach nothing outside the repository: every path mlgate reads from the
workspace or a revision is refused, with a reason in the report, when it is absolute, leads out
with `..`, goes through a symlink out of the repository, names git's own files, or carries a
control character. Each attack starts from a PR made only of files (a real git repository, the
real CLI); each asserts the attack fails and the report is still produced."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Repo

SECRET = "TOP-SECRET-0123456789"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the repository that a PR would like to publish."""
    file = tmp_path / "outside" / "secret.json"
    file.parent.mkdir()
    file.write_text(json.dumps({"stolen": SECRET, "acc": 0.99}))
    return file


def produce(repo: Repo, cli: Any, chdir: Any) -> tuple[int, str]:
    chdir(repo.path)
    res = cli("report", "--base", "main", "--out", "out")
    assert "Traceback" not in res.err
    out = repo.path / "out"
    text = "".join(
        p.read_text(errors="replace") for p in out.rglob("*") if p.is_file() and p.suffix != ".png"
    )
    assert SECRET not in text and SECRET not in res.out + res.err
    return res.code, (out / "report.md").read_text()


def base(repo: Repo, dvc_yaml: str = "metrics:\n  - metrics.json\n") -> None:
    repo.write("dvc.yaml", dvc_yaml)
    repo.write("metrics.json", {"acc": 0.9})
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "pr")


def test_a_symlinked_metrics_file_leading_out_is_refused(
    repo: Repo, outside: Path, cli, chdir
) -> None:  # type: ignore[no-untyped-def]
    base(repo)
    (repo.path / "metrics.json").unlink()
    os.symlink(outside, repo.path / "metrics.json")
    repo.commit("metrics are a link")
    code, text = produce(repo, cli, chdir)
    assert "a symbolic link leading out of the repository" in text
    assert code == 0  # no gate: the row is the refusal


def test_a_symlink_to_the_root_is_not_followed(repo: Repo, outside: Path, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    base(repo, "metrics:\n  - metrics.json\n  - root/" + str(outside)[1:] + "\n")
    os.symlink("/", repo.path / "root")
    repo.commit("a link to /")
    _code, text = produce(repo, cli, chdir)
    assert "a symbolic link leading out of the repository" in text


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("ABS", "absolute paths are not read"),
        ("../../outside/secret.json", "leads out of the repository"),
        (".git/config", "git's own files are never read"),
        ("sub/../.git/config", "git's own files are never read"),
        (".dvc/config.local", "DVC's local configuration"),
    ],
)
def test_paths_in_dvc_yaml_that_leave_the_repository_are_refused(
    repo: Repo, outside: Path, cli, chdir, path: str, why: str
) -> None:  # type: ignore[no-untyped-def]
    path = str(outside) if path == "ABS" else path
    base(repo)
    repo.write(
        "dvc.yaml",
        f"metrics:\n  - metrics.json\n  - {path}\nplots:\n  - {path}:\n      y: acc\n",
    )
    repo.git("config", "http.extraheader", f"AUTHORIZATION: basic {SECRET}")
    _code, text = produce(repo, cli, chdir)
    assert why in text


def test_a_gate_on_a_refused_file_fails_closed(repo: Repo, outside: Path, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    base(repo)
    repo.write(".mlgate.yml", "gates:\n  - metric: 'metrics.json:acc'\n")
    (repo.path / "metrics.json").unlink()
    os.symlink(outside, repo.path / "metrics.json")
    code, _text = produce(repo, cli, chdir)
    assert code == 1


def test_a_symlink_committed_at_base_is_not_followed(repo: Repo, outside: Path, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    repo.write("dvc.yaml", "metrics:\n  - metrics.json\n")
    os.symlink(outside, repo.path / "metrics.json")
    repo.write(".mlgate.yml", "gates:\n  - metric: acc\n")
    repo.commit("base whose metrics are a link")
    repo.git("checkout", "--quiet", "-b", "pr")
    (repo.path / "metrics.json").unlink()
    repo.write("metrics.json", {"acc": 0.5})
    code, text = produce(repo, cli, chdir)
    assert "is a symbolic link at main; links are not followed" in text
    assert code == 1  # the base value is unreadable: the gate fails closed


def test_a_newline_in_a_path_cannot_substitute_another_blob(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    """`git cat-file --batch` takes one request per line; a path with a newline once injected a
    second request naming any blob. Paths are never sent to cat-file now, only object ids."""
    repo.write("decoy.json", {"acc": 0.1})
    base(repo, 'metrics:\n  - "metrics.json\\nHEAD:decoy.json"\n')
    _code, text = produce(repo, cli, chdir)
    assert "control character" in text
    assert "0.1" not in text.split("### Metrics", 1)[1].split("###", 1)[0]


def test_a_metrics_file_whose_name_has_a_space_is_read(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    base(repo, "metrics:\n  - metrics.json\n  - my metrics.json\n")
    repo.write("my metrics.json", {"f1": 0.7})
    repo.commit("the PR adds it")  # added by the PR: new (issue 20: else no baseline)
    code, text = produce(repo, cli, chdir)
    assert code == 0
    assert "| f1 " in text and "new" in text
