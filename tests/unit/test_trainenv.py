"""mlgate.trainenv's pure parts: the training's environment variables, and what pip could not
install named from pip's own output (the texts are pip 24-26's wording; the integration tests
run real pip for the two commonest)."""

from __future__ import annotations

import pytest

from mlgate.trainenv import ACTIVE_VARIABLE, training_environ, unresolved


def test_the_training_environment_comes_first_once_active() -> None:
    base = {"PATH": "/opt/venv/bin:/usr/bin", "VIRTUAL_ENV": "/opt/venv", "PYTHONHOME": "/x"}
    assert training_environ(base) == base  # nothing active: the job's own Python
    env = training_environ({**base, ACTIVE_VARIABLE: "/w/.cache/mlgate/venv"})
    assert env["PATH"] == "/w/.cache/mlgate/venv/bin:/opt/venv/bin:/usr/bin"
    assert env["VIRTUAL_ENV"] == "/w/.cache/mlgate/venv"
    assert "PYTHONHOME" not in env
    assert base["PATH"] == "/opt/venv/bin:/usr/bin"  # the mapping given is not changed


@pytest.mark.parametrize(
    ("output", "named"),
    [
        (
            "Collecting torch==9.0\n"
            "ERROR: Could not find a version that satisfies the requirement torch==9.0 "
            "(from versions: 2.5.0, 2.6.0)\nERROR: No matching distribution found for torch==9.0\n",
            "torch==9.0 (no version on the package index matches)",
        ),
        (
            "ERROR: Cannot install -r requirements.txt (line 1) and numpy==1.20.0 because these "
            "package versions have conflicting dependencies.\n\nThe conflict is caused by:\n"
            "    The user requested numpy==1.20.0\n"
            '    pandas 2.2.3 depends on numpy>=1.23.2; python_version == "3.11"\n\n'
            "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/...\n",
            "conflicting pins: The user requested numpy==1.20.0; pandas 2.2.3 depends on "
            "numpy>=1.23.2",
        ),
        (
            "ERROR: Invalid requirement: 'pandas>>2' (from line 3 of requirements.txt)\n",
            "'pandas>>2' (not a valid requirement)",
        ),
        (
            "Collecting oldpkg==0.1\n  Building wheel for oldpkg (setup.py): finished with "
            "status 'error'\n  ERROR: Failed building wheel for oldpkg\n"
            "ERROR: Failed to build installable wheels for some pyproject.toml based projects\n",
            "oldpkg (it failed to build)",
        ),
        (
            "Collecting cuda-only==1.0\nERROR: HTTP error 403 while getting https://x/y.whl\n",
            "cuda-only==1.0 (HTTP error 403 while getting https://x/y.whl)",
        ),
        ("", "a requirement (see pip's output)"),
    ],
    ids=["no version", "conflict", "invalid line", "build failure", "other", "no output"],
)
def test_what_pip_could_not_install_is_named(output: str, named: str) -> None:
    assert unresolved(output) == named
