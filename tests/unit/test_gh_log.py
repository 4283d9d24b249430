"""The log cannot be turned into workflow commands by text mlgate prints (issue 11, item 5)."""

from __future__ import annotations

import io
import re

import pytest

from mlgate.log import Log, neutralize

OWN = re.compile(r"^::(add-mask|group|endgroup|error|warning)( title=[^:]*)?::")


def printed(*messages: str) -> list[str]:
    out = io.StringIO()
    log = Log(actions=True, stream=out)
    for m in messages:
        log(m)
    return out.getvalue().splitlines()


@pytest.mark.parametrize(
    "text",
    [
        "acc\n::stop-commands::x",
        "acc\n::error file=.github/workflows/x.yml,line=1::owned",
        "::set-output name=passed::true",
        "  ::warning::indented",
        "a\r::error::carriage return starts a line for the runner",
        "a\u2028::error::line separator",
        "\x1b[2K\r::error::erase the line first",
        "##[error]the old syntax, anywhere in a line",
        "::add-mask::hide-this-word",
    ],
)
def test_no_line_can_start_a_command(text: str) -> None:
    for line in printed(text):
        assert not line.lstrip().startswith("::"), line
        assert "##[" not in line


def test_terminal_escapes_are_stripped() -> None:
    [line] = printed("\x1b[31mred\x1b[0m \x1b]8;;https://evil.example\x07link\x1b]8;;\x07 \x07bell")
    assert line == "red link bell"


def test_ordinary_text_is_unchanged() -> None:
    assert neutralize("pass: acc rose 0.01 (1.1%) from 0.9 to 0.91") == (
        "pass: acc rose 0.01 (1.1%) from 0.9 to 0.91"
    )
    assert printed("a: b\n  c::d") == ["a: b", "  c::d"]


def test_own_commands_still_work_with_their_data_escaped() -> None:
    out = io.StringIO()
    log = Log(actions=True, stream=out)
    log.error("acc fell\n::error::x", title="mlgate gate failed: a,b::c")
    log.warning("careful\r\n::warning::y")
    log.mask("ghs_secret_value")
    with log.group("Training: python train.py\n::stop-commands::z"):
        log("inside")
    lines = out.getvalue().splitlines()
    assert lines == [
        "::error title=mlgate gate failed%3A a%2Cb%3A%3Ac::acc fell%0A::error::x",
        "::warning::careful%0A::warning::y",
        "::add-mask::ghs_secret_value",
        "::group::Training: python train.py%0A::stop-commands::z",
        "inside",
        "::endgroup::",
    ]
    assert all(OWN.match(line) for line in lines if line.startswith("::"))
