"""The command line explains itself (issue 25, item 5): each subcommand has a description, and
`mlgate run --help` lists the environment it reads and links the docs."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from mlgate import cli, clihelp

SRC = Path(cli.__file__).parent
# the modules that read `mlgate run`'s environment: inputs, both CI runtimes, both API clients
READERS = [
    "settings.py",
    "actions.py",
    "hosts.py",
    "gitlab/ci.py",
    "gitlab/host.py",
    "github/client.py",
    "anyci.py",
]
VARIABLE = re.compile(r"""["']((?:GITHUB|CI|GITLAB|MLGATE|INPUT)_[A-Z0-9_]*)["']""")


def subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in cli.parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def help_of(*argv: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        cli.main([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out


def test_every_subcommand_has_a_description(capsys: pytest.CaptureFixture[str]) -> None:
    commands = subcommands()
    assert set(commands) == {"diff", "report", "run", "publish", "record", "demo"}
    for name, sub in commands.items():
        assert sub.description, name
        assert len(sub.description) > 60, name  # a sentence, not a label
        shown = " ".join(help_of(name, capsys=capsys).split())
        assert " ".join(sub.description.split()) in shown, name


def test_run_help_lists_every_variable_mlgate_run_reads(capsys: pytest.CaptureFixture[str]) -> None:
    read = {
        name
        for module in READERS
        for name in VARIABLE.findall((SRC / module).read_text())
        if name not in ("INPUT_", "MLGATE_")  # prefixes: INPUT_<NAME>, MLGATE_<INPUT>
    }
    assert {"GITHUB_EVENT_PATH", "CI_MERGE_REQUEST_IID", "MLGATE_GITLAB_TOKEN"} <= read
    shown = help_of("run", capsys=capsys)
    # gitlab/ci.py's KNOBS name MLGATE_ variables without their prefix (GITLAB_RETRIES)
    missing = sorted(n for n in read if not re.search(rf"\b(MLGATE_)?{n}\b", shown))
    assert missing == []
    assert "INPUT_<NAME>" in shown and "MLGATE_<INPUT>" in shown
    assert "https://github.com/mlgate/mlgate#inputs-and-outputs" in shown
    assert "/docs/gitlab.md" in shown
    assert "exit codes: 0 all gates passed" in shown


def test_the_docs_run_links_to_exist() -> None:
    root = SRC.parents[1]
    links = re.findall(r"/blob/main/(docs/[\w.-]+)", clihelp.RUN_ENVIRONMENT)
    assert links
    for link in links:
        assert (root / link).is_file(), link
    assert "## Inputs and outputs" in (root / "README.md").read_text()
