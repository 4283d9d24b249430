"""The catalogue of bad inputs for `mlgate report` and `mlgate diff` (issue 12, the CLI half).

Each case is a pull request's files (or a flag) on a real git repository, run through the real
CLI in-process, with its exact exit code and its exact one-line message: exit 2 for every bad
input, naming the file or key, never a traceback, never exit 4. The GitHub/Actions half of the
catalogue (event payloads, bundles, API faults) lives with the Actions code.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from mlgate import limits
from mlgate.cli import main

BASE_CONFIG = "metrics: [metrics.json]\ngates:\n  - metric: acc\n    max_drop: 0.01\n"


def laughs(levels: int = 9) -> str:
    """The billion-laughs document: nine levels of nine aliases each."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def nested_json(depth: int) -> str:
    return '{"a": ' * depth + "1" + "}" * depth


HUGE = "1" + "0" * 5000  # past Python's 4,300-digit limit for int()
BEYOND_FLOAT = "1" + "0" * 400  # an int Python reads, but no float holds
NOT_A_LIST = "gates: expected a list of gate rules (`- metric: ...`), got"
DIGITS = "beyond the range of a floating-point number (about 1.8e308); write it as a float"
OUT_HINT = "choose another --out / `report-dir`"


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str | bytes]  # written in the workspace (the PR), over the base's files
    message: str  # the whole last line on stderr; `{root}` is the repository
    args: tuple[str, ...] = ("report", "--base", "main")
    code: int = 2
    setup: Callable[[Path], None] | None = None
    report_has: str | None = None  # for inputs that become a note in the report, not an exit 2
    extra: dict[str, str] = field(default_factory=dict)


def _link(name: str, target: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).symlink_to(target)

    return make


def _file_at(name: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        (root / name).write_text("not a directory\n")

    return make


def _full_dir(name: str) -> Callable[[Path], None]:
    def make(root: Path) -> None:
        (root / name).mkdir()
        (root / name / "notes.txt").write_text("mine\n")

    return make


M = "metrics.json"
CASES = [
    # --- numbers ------------------------------------------------------------------------------
    Case(
        "int-5000-digits-json",
        {M: '{"acc": ' + HUGE + "}"},
        f"{M}: an integer of more than 4,300 digits is {DIGITS}",
    ),
    Case(
        "int-above-1e308-json",
        {M: '{"acc": ' + BEYOND_FLOAT + "}"},
        f"{M}: an integer of about 401 digits is {DIGITS}",
    ),
    Case(
        "int-5000-digits-yaml",
        {"m.yaml": "acc: " + HUGE + "\n", ".mlgate.yml": "metrics: [m.yaml]\n"},
        f"m.yaml: an integer of more than 4,300 digits is {DIGITS}",
    ),
    Case(
        "hex-int-above-1e308-yaml",
        {"m.yaml": "acc: 0x1" + "0" * 300 + "\n", ".mlgate.yml": "metrics: [m.yaml]\n"},
        f"m.yaml: an integer of about 362 digits is {DIGITS}",
    ),
    Case(
        "int-5000-digits-toml",
        {"m.toml": "acc = " + HUGE + "\n", ".mlgate.yml": "metrics: [m.toml]\n"},
        f"m.toml: an integer of more than 4,300 digits is {DIGITS}",
    ),
    Case(
        "gate-min-above-1e308",
        {
            ".mlgate.yml": "metrics: [metrics.json]\ngates:\n  - metric: acc\n    min: "
            + BEYOND_FLOAT
            + "\n"
        },
        f".mlgate.yml: an integer of about 401 digits is {DIGITS}",
    ),
    Case(
        "gate-min-infinite",
        {".mlgate.yml": "metrics: [metrics.json]\ngates:\n  - metric: acc\n    min: 1.0e+400\n"},
        ".mlgate.yml: gates[0].min: expected a finite number, got inf",
    ),
    Case(
        "params-int-5000-digits",
        {"params.yaml": "lr: " + HUGE + "\n"},
        f"params.yaml: an integer of more than 4,300 digits is {DIGITS}",
    ),
    # --- nesting, size, aliases ---------------------------------------------------------------
    Case(
        "json-nested-1000",
        {M: nested_json(1000)},
        f"{M}: nested too deeply to read (mlgate's limit is 100 levels)",
    ),
    Case(
        "json-nested-150",
        {M: nested_json(150)},
        f"{M}: nested more than 100 levels deep, above mlgate's limit",
    ),
    Case(
        "yaml-nested-1000",
        {"m.yaml": "[" * 1000 + "]" * 1000 + "\n", ".mlgate.yml": "metrics: [m.yaml]\n"},
        "m.yaml: nested too deeply to read (mlgate's limit is 100 levels)",
    ),
    Case(
        "metrics-alias-bomb",
        {"m.yaml": laughs(), ".mlgate.yml": "metrics: [m.yaml]\n"},
        "m.yaml: expands to more than 100,000 values through YAML aliases (`&name`/`*name`), "
        "above mlgate's limit; write the values out",
    ),
    Case(
        "params-alias-bomb",
        {"params.yaml": laughs()},
        "params.yaml: expands to more than 100,000 values through YAML aliases (`&name`/`*name`), "
        "above mlgate's limit; write the values out",
    ),
    Case(
        "config-alias-bomb",
        {".mlgate.yml": laughs()},
        ".mlgate.yml: expands to more than 100,000 values through YAML aliases (`&name`/`*name`), "
        "above mlgate's limit; write the values out",
    ),
    Case(
        "dvc-yaml-alias-bomb",
        {"dvc.yaml": laughs()},
        "dvc.yaml: expands to more than 100,000 values through YAML aliases (`&name`/`*name`), "
        "above mlgate's limit; write the values out",
    ),
    Case(
        "yaml-recursive-alias",
        {"m.yaml": "a: &a [*a]\n", ".mlgate.yml": "metrics: [m.yaml]\n"},
        "m.yaml: a YAML alias refers to itself (a recursive structure)",
    ),
    Case(
        "yaml-too-many-aliases",
        {
            "m.yaml": "x: &x 1\ny: [" + ", ".join(["*x"] * 1001) + "]\n",
            ".mlgate.yml": "metrics: [m.yaml]\n",
        },
        "m.yaml: more than 1,000 YAML aliases (`*name`), above mlgate's limit; "
        "write the values out",
    ),
    Case(
        "file-over-10mb",
        {M: '{"acc": 0.9}' + " " * (10 * 1024 * 1024)},
        f"{M}: file is 10.0 MB, above mlgate's limit of 10.0 MB for a metrics, params or "
        "configuration file; write summary values only (plots take series)",
    ),
    Case(
        "over-100000-values",
        {M: json.dumps({f"k{i}": i for i in range(100_001)})},
        f"{M}: more than 100,000 values, above mlgate's limit for a metrics, params or "
        "configuration file; write summary values only",
    ),
    # --- encoding and shape -------------------------------------------------------------------
    Case(
        "metrics-not-utf8",
        {M: b'{"acc": "\xff"}'},
        f"{M}: not UTF-8 text (invalid start byte at byte 9)",
    ),
    Case(
        "params-not-utf8",
        {"params.yaml": b"lr: \xfe\n"},
        "params.yaml: not UTF-8 text (invalid start byte at byte 4)",
    ),
    Case(
        "config-not-utf8",
        {".mlgate.yml": b"base: \xff\n"},
        ".mlgate.yml: not UTF-8 text (invalid start byte at byte 6)",
    ),
    Case(
        "metrics-a-list",
        {M: "[1, 2]"},
        f"{M}: expected a mapping of names to values at the top level, got list",
    ),
    Case(
        "metrics-a-number",
        {M: "5"},
        f"{M}: expected a mapping of names to values at the top level, got int",
    ),
    Case(
        "metrics-bad-json",
        {M: '{"acc": 0.9,'},
        f"{M}: invalid JSON at line 1: Expecting property name enclosed in double quotes",
    ),
    Case(
        "metrics-bad-toml",
        {"m.toml": "acc = = 1\n", ".mlgate.yml": "metrics: [m.toml]\n"},
        "m.toml: invalid TOML: Invalid value (at line 1, column 7)",
    ),
    Case(
        "dvc-yaml-bad-yaml",
        {"dvc.yaml": "stages: [\n"},
        "dvc.yaml: invalid YAML at line 2: expected the node content, but found '<stream end>'",
    ),
    Case(
        "dvc-yaml-not-utf8",
        {"dvc.yaml": b"stages: \xff\n"},
        "dvc.yaml: not UTF-8 text (invalid start byte at byte 8)",
    ),
    # --- .mlgate.yml types and keys -----------------------------------------------------------
    Case(
        "gates-a-mapping",
        {".mlgate.yml": "metrics: [metrics.json]\ngates: {}\n"},
        f".mlgate.yml: {NOT_A_LIST} a mapping",
    ),
    Case(
        "gates-zero",
        {".mlgate.yml": "metrics: [metrics.json]\ngates: 0\n"},
        f".mlgate.yml: {NOT_A_LIST} 0",
    ),
    Case("gates-text", {".mlgate.yml": "gates: acc\n"}, f'.mlgate.yml: {NOT_A_LIST} "acc"'),
    Case(
        "gate-max-drop-text",
        {
            ".mlgate.yml": "gates:\n  - metric: f1\n  - metric: loss\n"
            "  - metric: acc\n    max_drop: abc\n"
        },
        '.mlgate.yml: gates[2].max_drop: expected a number, got "abc"',
    ),
    Case(
        "gate-unknown-key",
        {".mlgate.yml": "gates:\n  - metric: acc\n    max_dorp: 1\n"},
        ".mlgate.yml: gates[0]: unknown key 'max_dorp' (did you mean 'max_drop'?); accepted "
        "keys: metric, direction, "
        "max_drop, max_drop_pct, min, max, on_missing, on_missing_base, significance, ci, "
        "per_example, positive, predictions, on_no_paired_data, slices, bins, min_slice_rows, "
        "max_drop_sigma, history, on_no_history",
    ),
    Case(
        "top-unknown-key",
        {".mlgate.yml": "gaets: []\n"},
        ".mlgate.yml: top level: unknown key 'gaets' (did you mean 'gates'?); accepted keys: "
        "base, metrics, params, "
        "plots, gates, title, template, data, base_run, links, projects",
    ),
    Case(
        "config-a-list",
        {".mlgate.yml": "- metric: acc\n"},
        ".mlgate.yml: top level: expected a mapping (keys: base, metrics, params, plots, gates, "
        "title, template, data, base_run, links, projects), got a list",
    ),
    Case(
        "gate-direction",
        {".mlgate.yml": "gates:\n  - metric: acc\n    direction: up\n"},
        '.mlgate.yml: gates[0].direction: expected one of higher, lower, got "up"',
    ),
    Case(
        "gate-on-missing-base",
        {".mlgate.yml": "gates:\n  - metric: acc\n    on_missing_base: pass\n"},
        '.mlgate.yml: gates[0].on_missing_base: expected one of fail, warn, ignore, got "pass"',
    ),
    Case(
        "gate-without-metric",
        {".mlgate.yml": "gates:\n  - direction: higher\n"},
        ".mlgate.yml: gates[0].metric: required: a metric name, glob or path:name",
    ),
    Case(
        "config-metrics-a-number",
        {".mlgate.yml": "metrics: 5\n"},
        ".mlgate.yml: metrics: expected a file path or a list of file paths, got 5",
    ),
    Case(
        "config-plots-a-number",
        {".mlgate.yml": "plots: 5\n"},
        ".mlgate.yml: plots: expected a file path or a list of file paths, got 5",
    ),
    Case(
        "config-bad-yaml",
        {".mlgate.yml": "gates: [\n"},
        ".mlgate.yml: invalid YAML at line 2: expected the node content, but found '<stream end>'",
    ),
    # --- templates ----------------------------------------------------------------------------
    Case(
        "template-absolute",
        {".mlgate.yml": "template: /etc/passwd\n"},
        "/etc/passwd: an absolute template path (.mlgate.yml `template:`); give a path inside "
        "the repository, e.g. ci/report.md.j2",
    ),
    Case(
        "template-dotdot",
        {".mlgate.yml": "template: ../../etc/hostname\n"},
        "../../etc/hostname: a template path may not contain `..` (.mlgate.yml `template:`)",
    ),
    Case(
        "template-symlink-out",
        {".mlgate.yml": "template: t.md.j2\n"},
        "t.md.j2: a symbolic link leading outside the repository (.mlgate.yml `template:`)",
        setup=_link("t.md.j2", "/etc/hostname"),
    ),
    Case(
        "template-missing",
        {".mlgate.yml": "template: ci/nope.md.j2\n"},
        "ci/nope.md.j2: template not found (.mlgate.yml `template:`)",
    ),
    Case(
        "template-include-git-config",
        {".mlgate.yml": "template: t.md.j2\n", "t.md.j2": '{% include ".git/config" %}\n'},
        "{root}/t.md.j2: template error: '.git/config' is not a template mlgate may read (only "
        "files ending in .j2, .jinja, .jinja2, .md, .tmpl, .txt inside the template's "
        'directory, or "mlgate/<name>")',
    ),
    Case(
        "template-syntax-error",
        {".mlgate.yml": "template: t.md.j2\n", "t.md.j2": "{% if %}\n"},
        "{root}/t.md.j2:1: template syntax error: "
        "Expected an expression, got 'end of statement block'",
    ),
    Case(
        "template-divides-by-zero",
        {".mlgate.yml": "template: t.md.j2\n", "t.md.j2": "{{ 1 / 0 }}\n"},
        "{root}/t.md.j2: template error: ZeroDivisionError: division by zero",
    ),
    Case(
        "template-range-too-big",
        {".mlgate.yml": "template: t.md.j2\n", "t.md.j2": "{{ range(10 ** 6) | list }}\n"},
        "{root}/t.md.j2: template error: OverflowError: Range too big. The sandbox blocks "
        "ranges larger than MAX_RANGE (100000).",
    ),
    Case(
        "template-loops-for-ever",
        {
            ".mlgate.yml": "metrics: [metrics.json]\ntemplate: t.md.j2\n",
            "t.md.j2": "{% for a in range(100000) %}{% for b in range(100000) %}"
            "{% endfor %}{% endfor %}\n",
        },
        "",
        code=0,
        report_has="your template t.md.j2 was not used: rendering took longer than mlgate's "
        "limit of 1 s; this is mlgate's default report",
    ),
    Case(
        "template-renders-100-mb",
        {
            ".mlgate.yml": "metrics: [metrics.json]\ntemplate: t.md.j2\n",
            "t.md.j2": '{% for a in range(100000) %}{{ "x" * 1000 }}{% endfor %}\n',
        },
        "",
        code=0,
        report_has="your template t.md.j2 was not used: the template produced more than 5.0 MB, "
        "mlgate's limit; this is mlgate's default report",
    ),
    # --- the report directory -----------------------------------------------------------------
    Case(
        "report-dir-is-a-file",
        {},
        "{root}/out: exists and is not a directory, so it cannot be the report directory "
        "(choose another --out / `report-dir`)",
        args=("report", "--base", "main", "--out", "out"),
        setup=_file_at("out"),
    ),
    Case(
        "report-dir-not-mlgates",
        {},
        "{root}/out: directory exists, is not empty and holds no earlier mlgate report (no "
        f".mlgate-report file); mlgate will not write into it: {OUT_HINT} or remove it",
        args=("report", "--base", "main", "--out", "out"),
        setup=_full_dir("out"),
    ),
    Case(
        "report-dir-a-symlink",
        {},
        "{root}/mlgate-report: is a symbolic link; mlgate writes only into its own report "
        f"directory and never through a symbolic link (remove it, or {OUT_HINT})",
        setup=_link("mlgate-report", ".git"),
    ),
    Case(
        "report-md-symlink-to-git-config",
        {},
        "{root}/mlgate-report: directory exists, is not empty and holds no earlier mlgate report "
        f"(no .mlgate-report file); mlgate will not write into it: {OUT_HINT} or remove it",
        setup=_link("mlgate-report/report.md", "../.git/config"),
    ),
    # --- flags and settings -------------------------------------------------------------------
    Case(
        "timeout-not-a-number",
        {},
        "input 'timeout-minutes': expected a number of minutes above 0 (at most a week), got 'abc'",
        args=("report", "--timeout-minutes", "abc"),
    ),
    Case(
        "timeout-negative",
        {},
        "input 'timeout-minutes': expected a number of minutes above 0 (at most a week), got '-5'",
        args=("report", "--timeout-minutes=-5"),
    ),
    Case(
        "base-not-a-ref",
        {},
        "input 'base': 'a b' is not a valid branch or git ref name",
        args=("report", "--base", "a b"),
    ),
    Case(
        "base-not-found",
        {},
        # issue 20: diagnosed, not the fetch-depth advice of a shallow clone
        "no branch 'nope' here, and no remote `origin` to fetch it from; branches: main, pr",
        args=("diff", "--base", "nope"),
    ),
    Case(
        "workdir-missing",
        {},
        "nowhere: no such directory (--working-directory)",
        args=("report", "-C", "nowhere"),
    ),
    Case(
        "config-flag-missing",
        {},
        "ci/gates.yml: config file not found (input `config`)",
        args=("report", "--config", "ci/gates.yml"),
    ),
    Case(
        "unknown-flag",
        {},
        "mlgate: error: unrecognized arguments: --colour (see `mlgate --help`)",
        args=("report", "--colour"),
    ),
    Case(
        "bad-plots-choice",
        {},
        "mlgate: error: argument --plots: invalid choice: 'pictures' (choose from 'assets', "
        "'summary', 'mermaid', 'off') (see `mlgate report --help`)",
        args=("report", "--plots", "pictures"),
    ),
    # --- issue 14: base-run, the results branch, text metrics files -------------------------
    Case(
        "base-run-bad-choice",
        {},
        "mlgate: error: argument --base-run: invalid choice: 'sometimes' (choose from 'auto', "
        "'always', 'never') (see `mlgate report --help`)",
        args=("report", "--base-run", "sometimes"),
    ),
    Case(
        "base-run-always-without-command",
        {},
        "base-run: always needs a training command: set input `run` (--command) or "
        "`repro: true` (--repro)",
        args=("report", "--base-run", "always"),
    ),
    Case(
        "base-run-bad-in-config",
        {".mlgate.yml": "base_run: sometimes\n"},
        '.mlgate.yml: base_run: expected one of auto, always, never, got "sometimes"',
    ),
    Case(
        "results-depth-not-a-number",
        {},
        "input 'results-depth': expected a number of commits from 0 to 10000, got 'ten'",
        args=("report", "--results-depth", "ten"),
    ),
    Case(
        "metrics-txt-not-name-value",
        {"metrics.txt": "Accuracy = 0.83\n", ".mlgate.yml": "metrics: [metrics.txt]\n"},
        "metrics.txt: expected a mapping of names to values at the top level, got str; a metrics "
        "file with another suffix (metrics.txt) is read as YAML: write one `name: value` per "
        "line, e.g. `Accuracy: 0.832`",
    ),
    # --- `mlgate diff` meets the same inputs --------------------------------------------------
    Case(
        "diff-int-5000-digits",
        {M: '{"acc": ' + HUGE + "}"},
        f"{M}: an integer of more than 4,300 digits is {DIGITS}",
        args=("diff", "--base", "main"),
    ),
    Case(
        "diff-json-alias-bomb",
        {"params.yaml": laughs()},
        "params.yaml: expands to more than 100,000 values through YAML aliases (`&name`/`*name`), "
        "above mlgate's limit; write the values out",
        args=("diff", "--base", "main", "--json", "--params"),
    ),
    Case(
        "diff-gates-a-mapping",
        {".mlgate.yml": "gates: {}\n"},
        f".mlgate.yml: {NOT_A_LIST} a mapping",
        args=("diff", "--base", "main"),
    ),
    Case(
        "diff-nested-1000",
        {M: nested_json(1000)},
        f"{M}: nested too deeply to read (mlgate's limit is 100 levels)",
        args=("diff", "--base", "main", "--md"),
    ),
    # --- gates that fail, not inputs that are bad: exit 1 -------------------------------------
    Case(
        "metric-missing-at-head",
        {M: '{"loss": 0.1}'},
        "error: acc is missing on head (on_missing: fail)",
        code=1,
    ),
    Case("nan-at-head", {M: '{"acc": NaN}'}, "error: acc is NaN on head", code=1),
]


@pytest.fixture
def base_repo(tmp_path: Path) -> Path:
    """A plain git repository (no DVC: faster) whose `main` has metrics and one gate."""
    root = tmp_path / "repo"
    root.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "--quiet", "--initial-branch=main")
    (root / M).write_text('{"acc": 0.9}')
    (root / ".mlgate.yml").write_text(BASE_CONFIG)
    git("add", "-A")
    git("commit", "--quiet", "-m", "base")
    git("checkout", "--quiet", "-b", "pr")
    return root


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(
    case: Case,
    base_repo: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(limits, "MAX_RENDER_SECONDS", 1.0)
    for name, content in case.files.items():
        file = base_repo / name
        file.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            file.write_bytes(content)
        else:
            file.write_text(content)
    if case.setup:
        case.setup(base_repo)
    monkeypatch.chdir(base_repo)
    code, err = run_cli(list(case.args), capsys)
    assert code == case.code, err
    assert "Traceback" not in err
    assert "internal error" not in err
    lines = err.strip().splitlines()
    if case.report_has is not None:
        text = (base_repo / "mlgate-report" / "report.md").read_text().replace("\\", "")
        assert f"- {case.report_has}" in text
        return
    expected = case.message.format(root=base_repo)
    if not expected.startswith(("mlgate: error:", "error:")):
        expected = f"error: {expected}"
    assert lines[-1] == expected
    errors = [line for line in lines if line.startswith(("error:", "mlgate: error:"))]
    assert len(errors) == 1 if case.code == 2 else errors, err


def test_the_catalogue_is_large_enough() -> None:
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
