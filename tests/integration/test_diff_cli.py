"""`mlgate diff` on real git + DVC repositories, checked against `dvc metrics diff` itself."""

import json
import math
import subprocess
import sys

import pytest

from tests.conftest import DVC, Repo

DVC_YAML = """
stages:
  ev:
    cmd: "true"
    metrics:
      - m.json:
          cache: false
      - sub/m.yaml:
          cache: false
metrics:
  - top.toml
"""


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
    return a == b


@pytest.fixture
def metrics_repo(repo: Repo) -> Repo:
    repo.write("dvc.yaml", DVC_YAML)
    repo.write(
        "m.json",
        {
            "acc": 0.9,
            "nested": {"a": 1, "b": [1, 2]},
            "s": "x",
            "flag": True,
            "gone": 3,
            "same": 5,
            "n": None,
        },
    )
    repo.write("sub/m.yaml", "loss: 0.5\nauc: 0.7\n")
    repo.write("top.toml", "[eval]\nf1 = 0.8\n")
    repo.write("params.yaml", "lr: 0.1\nmodel:\n  depth: 3\nlayers: [1, 2]\nname: a\n")
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "feature")
    repo.write(
        "m.json",
        {
            "acc": 0.95,
            "nested": {"a": 2, "b": [1, 3]},
            "s": "y",
            "flag": False,
            "new": 1,
            "same": 5,
            "n": 3,
        },
    )
    repo.write("sub/m.yaml", "loss: .nan\nauc: 0.7\n")
    repo.write("top.toml", "[eval]\nf1 = 0.81\n")
    repo.write("params.yaml", "lr: 0.2\nmodel:\n  depth: 3\nlayers: [1, 3]\nname: b\nextra: 1\n")
    return repo


@pytest.mark.parametrize("flags", [[], ["--all"]])
@pytest.mark.parametrize("kind", ["metrics", "params"])
def test_json_agrees_with_dvc_key_for_key(metrics_repo: Repo, cli, chdir, flags, kind) -> None:  # type: ignore[no-untyped-def]
    chdir(metrics_repo.path)
    dvc_out = json.loads(metrics_repo.run(DVC, kind, "diff", "main", "--json", *flags))
    extra = ["--params"] if kind == "params" else []
    res = cli("diff", "--base", "main", "--json", *flags, *extra)
    assert res.code == 0, res.err
    ours = json.loads(res.out)
    assert dvc_out, "the fixture should produce changes"
    assert set(ours) == set(dvc_out)
    for path, entries in dvc_out.items():
        assert set(ours[path]) == set(entries), path
        for key, entry in entries.items():
            for field, value in entry.items():
                assert _same(ours[path][key][field], value), (path, key, field)


TABLE = """\
Path        Metric    main    workspace    Change
top.toml    eval.f1   0.8     0.81         0.01
m.json      acc       0.9     0.95         0.05
m.json      nested.a  1       2            1
m.json      s         x       y            -
m.json      flag      True    False        -1
m.json      new       -       1            -
m.json      n         -       3            -
m.json      gone      3       -            -
sub/m.yaml  loss      0.5     nan          nan
"""

MARKDOWN = """\
| Path       | Metric   | main   | workspace   | Change   |
|------------|----------|--------|-------------|----------|
| top.toml   | eval.f1  | 0.8    | 0.81        | 0.01     |
| m.json     | acc      | 0.9    | 0.95        | 0.05     |
| m.json     | nested.a | 1      | 2           | 1        |
| m.json     | s        | x      | y           | \\-       |
| m.json     | flag     | True   | False       | \\-1      |
| m.json     | new      | \\-     | 1           | \\-       |
| m.json     | n        | \\-     | 3           | \\-       |
| m.json     | gone     | 3      | \\-          | \\-       |
| sub/m.yaml | loss     | 0.5    | nan         | nan      |
"""

PARAMS = """\
Path         Param    main    workspace    Change
params.yaml  lr       0.1     0.2          0.1
params.yaml  layers   [1, 2]  [1, 3]       -
params.yaml  name     a       b            -
params.yaml  extra    -       1            -
"""


def test_table_markdown_and_params_output_exactly(metrics_repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    chdir(metrics_repo.path)
    res = cli("diff", "--base", "main")
    assert (res.code, res.out, res.err) == (0, TABLE, "")
    res = cli("diff", "--base", "main", "--md")
    assert (res.code, res.out, res.err) == (0, MARKDOWN, "")
    res = cli("diff", "--base", "main", "--params")
    assert (res.code, res.out, res.err) == (0, PARAMS, "")
    res = cli("diff", "--base", "main", "--all")
    unchanged = {line.split()[1] for line in res.out.splitlines()} - {
        line.split()[1] for line in TABLE.splitlines()
    }
    assert unchanged == {"same", "auc"}  # --all adds exactly the unchanged values


def test_no_changes_says_so(metrics_repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    metrics_repo.git("checkout", "--quiet", "--", ".")
    metrics_repo.git("stash", "--quiet")
    chdir(metrics_repo.path)
    res = cli("diff", "--base", "main")
    assert (res.code, res.out) == (0, "no metric changes against main\n")


def test_base_defaults_to_remote_head_branch(metrics_repo: Repo, cli, chdir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # a clone whose origin/HEAD names `main`: no --base, no config
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(metrics_repo.path), str(clone)], check=True)
    chdir(clone)
    (clone / "m.json").write_text(json.dumps({"acc": 0.5}))
    res = cli("diff", "--json")
    assert res.code == 0, res.err
    assert json.loads(res.out)["m.json"]["acc"] == {
        "old": 0.9,
        "new": 0.5,
        "diff": -0.4,
        "diff_pct": pytest.approx(-44.444, 1e-3),
    }


def test_unknown_base_is_exit_2_with_the_fix(repo: Repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    chdir(repo.path)
    res = cli("diff", "--base", "does-not-exist")
    assert res.code == 2
    # issue 20: diagnosed (no such branch, the branches there), not the shallow-clone advice
    assert res.err.strip() == (
        "error: no branch 'does-not-exist' here, and no remote `origin` to fetch it from; "
        "branches: main"
    )
    assert "Traceback" not in res.err


def test_no_git_repo_is_exit_2(tmp_path, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    chdir(tmp_path)
    res = cli("diff")
    assert res.code == 2
    assert len(res.err.strip().splitlines()) == 1


def test_help_imports_no_heavy_library() -> None:
    code = (
        "import sys\n"
        "from mlgate.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('dvc', 'matplotlib', 'pandas', 'github', 'sklearn', 'numpy') "
        "if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
