from pathlib import Path

import pytest

from mlgate.errors import UsageError
from mlgate.settings import Settings


def test_from_environ_reads_inputs_with_hyphens_and_token_fallback() -> None:
    env = {
        "INPUT_BASE": "develop",
        "INPUT_COMMENT": "new",
        "INPUT_STATUS-CONTEXT": "ml/gate",
        "INPUT_FAIL-ON-REGRESSION": "false",
        "INPUT_CHECK-RUN": "true",
        "INPUT_WORKING-DIRECTORY": "models/a",
        "INPUT_REPORT-DIR": "",
        "GITHUB_TOKEN": "ghs_secret",
        "HOME": "/root",
    }
    s = Settings.from_environ(env)
    assert s.base == "develop"
    assert s.comment == "new"
    assert s.status_context == "ml/gate"
    assert s.fail_on_regression is False
    assert s.check_run is True
    assert s.working_directory == Path("models/a")
    assert s.report_dir == Path("mlgate-report")
    assert s.github_token == "ghs_secret"
    assert "ghs_secret" not in repr(s)


def test_explicit_token_input_wins() -> None:
    s = Settings.from_environ({"INPUT_GITHUB-TOKEN": "a", "GITHUB_TOKEN": "b"})
    assert s.github_token == "a"


@pytest.mark.parametrize("var", ["INPUT_GITHUB-TOKEN", "INPUT_GITHUB_TOKEN"])
def test_inputs_with_underscores_as_the_in_job_action_passes_them(var: str) -> None:
    # before: INPUT_GITHUB_TOKEN lost to GITHUB_TOKEN (two spellings of one input, last wins)
    s = Settings.from_environ({var: "a", "GITHUB_TOKEN": "b", "INPUT_TIMEOUT_MINUTES": "5"})
    assert s.github_token == "a" and s.timeout_minutes == 5
    with pytest.raises(UsageError, match="input 'fail-on-regression'"):
        Settings.from_environ({"INPUT_FAIL_ON_REGRESSION": "maybe"})


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"comment": "sometimes"}, "input 'comment': expected one of update, new, off"),
        ({"fail-on-regression": "maybe"}, "expected true or false"),
        ({"base": "--upload-pack=evil"}, "not a valid branch"),
        ({"plots": "imgur"}, "expected one of assets, summary, mermaid, off"),
        ({"colour": "red"}, "unknown input 'colour'"),
    ],
)
def test_bad_inputs_name_the_input(raw: dict[str, str], needle: str) -> None:
    with pytest.raises(UsageError) as info:
        Settings.from_mapping(raw)
    assert needle in str(info.value)


def test_lists_accept_newlines_and_commas() -> None:
    s = Settings.from_mapping({"metrics": "a.json\nb.json, c.json"})
    assert s.metrics == ("a.json", "b.json", "c.json")
