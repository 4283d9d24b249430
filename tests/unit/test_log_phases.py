"""The log's phases (issue 25, item 4): never nested on GitHub or GitLab, each saying what it
did after its group, GitLab's collapsible sections balanced."""

from __future__ import annotations

import io
import re

from mlgate.log import Log, elapsed, ticking

SECTION = re.compile(
    r"^\x1b\[0Ksection_(start|end):(\d+):([A-Za-z0-9_.-]+)(\[collapsed=true\])?\r\x1b\[0K(.*)$"
)


def nested(log: Log) -> None:
    with log.group("Reading metrics and params") as outer:
        log("reading")
        with log.group("Base training: main (abc1234)") as base:
            log("training the base")
            with log.group("Training: sh train.sh") as inner:
                log("$ sh train.sh")
                inner.done("exit code 0")
            base.done("exit code 0; 1 file(s) kept")
        log("read the base")
        outer.done("2 metrics files read")


def group_depths(lines: list[str]) -> None:
    """GitHub's rule: a group opens only outside one, and every group is closed."""
    open_ = False
    for line in lines:
        if line.startswith("::group::"):
            assert not open_, lines
            open_ = True
        elif line == "::endgroup::":
            assert open_, lines
            open_ = False
    assert not open_


def test_a_phase_inside_another_ends_its_group_and_the_outer_one_continues() -> None:
    out = io.StringIO()
    nested(Log(actions=True, stream=out))
    lines = out.getvalue().splitlines()
    group_depths(lines)
    # the inner phases' summaries are outside any group; an outer group that prints nothing
    # more is not opened again (no empty "(continued)" groups)
    assert [re.sub(r"\(\d+\.\d s\)", "(T)", line) for line in lines] == [
        "::group::Reading metrics and params",
        "reading",
        "::endgroup::",
        "::group::Reading metrics and params › Base training: main (abc1234)",
        "training the base",
        "::endgroup::",
        "::group::Base training: main (abc1234) › Training: sh train.sh",
        "$ sh train.sh",
        "::endgroup::",
        "Training: sh train.sh: exit code 0 (T)",
        "Base training: main (abc1234): exit code 0; 1 file(s) kept (T)",
        "::group::Reading metrics and params (continued)",
        "read the base",
        "::endgroup::",
        "Reading metrics and params: 2 metrics files read (T)",
    ]


def test_gitlab_sections_are_balanced_collapsed_and_never_nested() -> None:
    out = io.StringIO()
    log = Log(sections=True, stream=out)
    nested(log)
    with log.group("Title with\x1b[31m escapes\r\nand lines"):
        log("inside\x1b[0Ksection_end:1:mlgate_1\r\x1b[0K")  # a training cannot end a section
    open_: str | None = None
    names: list[str] = []
    for line in out.getvalue().split("\n"):
        m = SECTION.match(line)
        if m is None:
            assert "\x1b" not in line and "\r" not in line, repr(line)
            continue
        kind, _ts, name, collapsed, title = m.groups()
        if kind == "start":
            assert open_ is None and collapsed and name not in names, repr(line)
            assert "\x1b" not in title and "\r" not in title
            open_ = name
            names.append(name)
        else:
            assert open_ == name and title == "", repr(line)
            open_ = None
    assert open_ is None and len(names) == 5
    assert "Title with escapes and lines" in out.getvalue()


def test_outside_a_ci_only_the_summaries_are_printed() -> None:
    out = io.StringIO()
    nested(Log(stream=out))
    text = out.getvalue()
    assert "::" not in text and "section_" not in text
    assert "Base training: main (abc1234): exit code 0; 1 file(s) kept (" in text


def test_elapsed_reads_at_a_glance() -> None:
    assert [elapsed(s) for s in (4.25, 65, 3725)] == ["4.2 s", "1 min 05 s", "1 h 02 min"]


def test_work_in_this_process_gets_a_heartbeat_until_it_ends() -> None:
    import time

    out = io.StringIO()
    log = Log(stream=out)
    with ticking(log, "reading DVC-tracked files at main", interval=0.1):
        time.sleep(0.45)
    time.sleep(0.2)  # and none after
    lines = out.getvalue().splitlines()
    assert 3 <= len(lines) <= 5, lines
    assert all(
        re.fullmatch(r"… still running after 0\.\d s: reading DVC-tracked files at main", x)
        for x in lines
    ), lines
