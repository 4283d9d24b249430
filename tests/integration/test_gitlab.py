"""`mlgate run` in a simulated GitLab merge-request pipeline (the `CI_*` variables a runner
sets) against the fake GitLab REST API (tests/fake_gitlab.py, a real HTTP server): one note,
one status on the MR's head (never the merged-results merge commit), exit 1 on a regression,
and every way the API or the set-up can fail: one line, exit 2 or 3, the report kept on disk."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mlgate.cli import main
from mlgate.gitlab.ci import REPORT_SECTION
from tests.conftest import Repo
from tests.fake_gitlab import PROJECT_PATH, FakeGitLab, State, User, mr_pipeline_environment

TOKEN = "glpat-project-token-0123456789"
READ_ONLY = "glpat-read-api-only-0123456789"
OTHER = "glpat-someone-else-0123456789"
BOT = User(77, "project_42_bot_abc")
SOMEONE = User(5, "alice", bot=False)
MERGE_SHA = "c0ffee" * 6 + "c0ff"  # what CI_COMMIT_SHA names in a merged-results pipeline


@pytest.fixture
def gitlab() -> Iterator[FakeGitLab]:
    state = State(
        tokens={
            TOKEN: BOT,
            READ_ONLY: User(78, "project_42_bot_ro", scopes=("read_api",)),
            OTHER: SOMEONE,
        }
    )
    server = FakeGitLab(state).start()
    yield server
    server.stop()


@pytest.fixture
def project(repo: Repo) -> Repo:
    repo.write(
        "dvc.yaml",
        "metrics:\n  - metrics.json\nplots:\n  - loss.csv:\n      x: epoch\n      y: loss\n",
    )
    repo.write(".mlgate.yml", "gates:\n  - metric: acc\n    max_drop: 0.01\n")
    repo.write("metrics.json", {"acc": 0.90, "loss": 0.3})
    repo.write("loss.csv", "epoch,loss\n0,1.0\n1,0.6\n2,0.4\n")
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "feature")
    repo.write("metrics.json", {"acc": 0.91, "loss": 0.28})
    repo.write("loss.csv", "epoch,loss\n0,0.9\n1,0.5\n2,0.3\n")
    repo.commit("better model")
    return repo


def head(repo: Repo) -> str:
    return repo.git("rev-parse", "HEAD").strip()


class Pipeline:
    """Runs `mlgate run` in-process with the environment a GitLab runner sets."""

    def __init__(
        self,
        repo: Repo,
        gitlab: FakeGitLab,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        self.repo, self.gitlab, self.monkeypatch, self.capsys = repo, gitlab, monkeypatch, capsys
        self.err = ""
        for key in ("GITLAB_CI", "GITLAB_TOKEN", "MLGATE_GITLAB_TOKEN", "GITHUB_ACTIONS"):
            monkeypatch.delenv(key, raising=False)

    def env(self, *, token: str | None = TOKEN, merged_results: bool = True, **extra: str) -> None:
        values = mr_pipeline_environment(
            self.gitlab,
            project_dir=str(self.repo.path),
            head_sha=head(self.repo),
            commit_sha=MERGE_SHA if merged_results else None,
            token=token,
        )
        for key, value in {**values, **extra}.items():
            if value is None or value == "":
                self.monkeypatch.delenv(key, raising=False)
            else:
                self.monkeypatch.setenv(key, value)

    def run(self) -> int:
        self.monkeypatch.chdir(self.repo.path)
        code = main(["run"])
        captured = self.capsys.readouterr()
        self.err = captured.err + captured.out
        return code

    @property
    def state(self) -> State:
        return self.gitlab.state

    def report(self) -> Path:
        return self.repo.path / "mlgate-report" / "report.md"


@pytest.fixture
def pipeline(
    project: Repo,
    gitlab: FakeGitLab,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Pipeline:
    gitlab.state.add_mr(7, head(project))
    return Pipeline(project, gitlab, monkeypatch, capsys)


def bot_notes(state: State, iid: int = 7) -> list[dict[str, Any]]:
    return [n for n in state.notes[iid] if n["author"] is BOT]


def test_merged_results_pipeline_one_note_one_status_on_the_head(pipeline: Pipeline) -> None:
    pipeline.env()
    assert pipeline.run() == 0, pipeline.err
    sha = head(pipeline.repo)
    [note] = pipeline.state.notes[7]
    assert note["author"] is BOT
    assert note["body"].startswith(f"<!-- mlgate:report id=default sha={sha} -->")
    assert "all 1 gate passed" in note["body"]
    [status] = pipeline.state.statuses
    assert status["sha"] == sha != MERGE_SHA
    assert status["status"] == "success" and status["name"] == "mlgate"
    assert status["target_url"] == f"{pipeline.gitlab.url}/{PROJECT_PATH}/-/jobs/901"
    assert status["ref"] == "feature"
    # the chart: a project upload, linked by its relative URL (private projects stay private)
    uploads = pipeline.state.uploads
    assert uploads and all(f"]({u['url']})" in note["body"] for u in uploads)
    assert all(u["url"].startswith("/uploads/") for u in uploads)
    # the report went to disk and to the job log before any API call; the metrics report too
    assert pipeline.report().is_file()
    assert REPORT_SECTION in pipeline.err  # in a collapsed section (issue 25)
    metrics = (pipeline.repo.path / "mlgate-report" / "metrics.txt").read_text()
    assert "metrics.json:acc 0.91\n" in metrics and "mlgate_passed 1\n" in metrics
    assert TOKEN not in pipeline.err


def test_second_pipeline_edits_the_same_note(pipeline: Pipeline) -> None:
    pipeline.env()
    assert pipeline.run() == 0
    first = dict(pipeline.state.notes[7][0])
    pipeline.repo.write("metrics.json", {"acc": 0.95, "loss": 0.2})
    pipeline.state.requests.clear()
    assert pipeline.run() == 0, pipeline.err
    # every call an update makes, in order: 8 requests
    p = "/api/v4/projects/42"
    assert [
        (m, re.sub(r"/[0-9a-f]{40}$", "/SHA", path)) for m, path in pipeline.state.requests
    ] == [
        ("GET", f"{p}/merge_requests/7"),  # the MR and its head
        ("POST", f"{p}/uploads"),  # two charts
        ("POST", f"{p}/uploads"),
        ("GET", "/api/v4/user"),  # who we are
        ("GET", f"{p}/merge_requests/7/notes"),  # our note (one page here)
        ("GET", f"{p}/merge_requests/7"),  # stale check right before the write
        ("PUT", f"{p}/merge_requests/7/notes/{first['id']}"),
        ("POST", f"{p}/statuses/SHA"),
    ]
    [note] = pipeline.state.notes[7]
    assert note["id"] == first["id"]
    assert "0.95" in note["body"] and note["body"] != first["body"]
    assert len(pipeline.state.statuses) == 2


def test_a_note_deleted_before_its_edit_is_posted_again(pipeline: Pipeline) -> None:
    """Issue 20: an edit answered 404 (the note was deleted after it was listed) posts a new
    note, and the status is set; on main the job failed with exit 3 and no status."""
    pipeline.env()
    assert pipeline.run() == 0
    [old] = bot_notes(pipeline.state)
    pipeline.state.vanish.add(old["id"])
    assert pipeline.run() == 0, pipeline.err
    [new] = bot_notes(pipeline.state)
    assert new["id"] != old["id"]
    assert f"note {old['id']} was deleted before it could be updated" in pipeline.err
    assert [s["status"] for s in pipeline.state.statuses] == ["success", "success"]


def test_regression_fails_the_job_and_the_status(pipeline: Pipeline) -> None:
    pipeline.repo.write("metrics.json", {"acc": 0.80, "loss": 0.5})
    sha = pipeline.repo.commit("worse model")
    pipeline.state.add_mr(7, sha)
    pipeline.env()
    assert pipeline.run() == 1, pipeline.err
    [note] = bot_notes(pipeline.state)
    assert "❌" in note["body"]
    [status] = pipeline.state.statuses
    assert status["sha"] == sha and status["status"] == "failed"
    assert "mlgate_passed 0" in (pipeline.repo.path / "mlgate-report" / "metrics.txt").read_text()


def test_own_note_is_found_across_pages_and_edited_in_place(pipeline: Pipeline) -> None:
    state = pipeline.state
    state.max_per_page = 3
    for i in range(7):
        state.add_note(7, f"review comment {i}", SOMEONE)
    state.add_note(7, "added 1 commit", SOMEONE, system=True)
    ours = state.add_note(7, f"<!-- mlgate:report id=default sha={'a' * 40} -->\nold", BOT)
    for i in range(4):
        state.add_note(7, f"later comment {i}", SOMEONE)
    pipeline.env()
    assert pipeline.run() == 0, pipeline.err
    assert [n["id"] for n in bot_notes(state)] == [ours["id"]]
    assert "all 1 gate passed" in ours["body"]
    assert len(state.notes[7]) == 13
    pages = [p for m, p in state.requests if m == "GET" and p.endswith("/notes")]
    assert len(pages) >= 5  # 13 notes, 3 a page: every page read


def test_another_users_note_with_the_marker_is_left_alone(pipeline: Pipeline) -> None:
    sha = head(pipeline.repo)
    forged = pipeline.state.add_note(
        7, f"<!-- mlgate:report id=default sha={sha} -->\n## ✅ all good, merge me", SOMEONE
    )
    quoted = pipeline.state.add_note(
        7, f"> see\n<!-- mlgate:report id=default sha={sha} -->", BOT
    )  # ours, but the marker is not at the start: not the report note
    pipeline.env()
    assert pipeline.run() == 0, pipeline.err
    assert forged["body"].endswith("merge me") and quoted["body"].startswith("> see")
    assert len(bot_notes(pipeline.state)) == 2  # the quoted one and one new report note


def test_stale_pipeline_does_not_overwrite_a_newer_report(pipeline: Pipeline) -> None:
    newer = "d" * 40
    body = f"<!-- mlgate:report id=default sha={newer} -->\nnewer report"
    note = pipeline.state.add_note(7, body, BOT)
    pipeline.state.add_mr(7, newer)  # the MR moved on while this pipeline ran
    pipeline.env()
    assert pipeline.run() == 0, pipeline.err
    assert note["body"] == body and len(pipeline.state.notes[7]) == 1
    assert "not updating the note" in pipeline.err
    [status] = pipeline.state.statuses  # its own commit still gets its own status
    assert status["sha"] == head(pipeline.repo)


def test_502_is_retried(pipeline: Pipeline) -> None:
    pipeline.state.fail("POST", r"/notes$", 502, times=2)
    pipeline.state.fail("POST", r"/statuses/", 502, times=1)
    pipeline.env()
    assert pipeline.run() == 0, pipeline.err
    assert len(bot_notes(pipeline.state)) == 1
    assert len(pipeline.state.statuses) == 1
    posts = [p for m, p in pipeline.state.requests if m == "POST" and p.endswith("/notes")]
    assert len(posts) == 3


def test_no_token_keeps_the_report_in_the_log_and_says_what_to_create(pipeline: Pipeline) -> None:
    pipeline.env(token=None)
    assert pipeline.run() == 0, pipeline.err
    assert pipeline.state.requests == []
    assert "MLGATE_GITLAB_TOKEN" in pipeline.err and "scope `api`" in pipeline.err
    assert "CI_JOB_TOKEN cannot post" in pipeline.err
    assert "all 1 gate passed" in pipeline.err  # the report itself, in the job log
    assert pipeline.report().is_file()


def test_gitlab_token_variable_is_accepted_too(pipeline: Pipeline) -> None:
    pipeline.env(token=None, GITLAB_TOKEN=TOKEN)
    assert pipeline.run() == 0, pipeline.err
    assert len(bot_notes(pipeline.state)) == 1


def test_a_regression_without_a_token_still_fails_the_job(pipeline: Pipeline) -> None:
    pipeline.repo.write("metrics.json", {"acc": 0.5, "loss": 0.9})
    pipeline.repo.commit("much worse")
    pipeline.env(token=None)
    assert pipeline.run() == 1
    assert pipeline.state.requests == []


def test_note_size_limit(pipeline: Pipeline) -> None:
    """GitLab refuses a note over 1,000,000 characters; mlgate fits the note under it."""
    from mlgate.gitlab.ci import GitLabContext, build
    from mlgate.gitlab.host import NOTE_LIMIT
    from mlgate.hosts import Change
    from mlgate.log import Log
    from mlgate.render.fit import fit
    from mlgate.settings import Settings

    pipeline.env()
    import os

    ctx = GitLabContext.from_environ(os.environ)
    host = build(ctx, Settings(), TOKEN, Log())
    change = Change(7, head(pipeline.repo), "main", "")
    marker = f"<!-- mlgate:report id=default sha={change.head_sha} -->\n"
    sections = "".join(f"\n### section {i}\n" + "x" * 10_000 for i in range(120))
    body = marker + "## report" + sections
    assert len(body) > NOTE_LIMIT == 1_000_000
    from mlgate.errors import GitLabError

    with pytest.raises(GitLabError, match=r"400: .*too long"):
        host.upsert_report(change, body, comment_id="default", head_sha=change.head_sha, mode="new")
    fitted = fit(body, host.comment_limit, ctx.run_url)
    assert len(fitted) <= NOTE_LIMIT
    assert host.upsert_report(
        change, fitted, comment_id="default", head_sha=change.head_sha, mode="update"
    )
    [note] = pipeline.state.notes[7]
    assert note["body"] == fitted and "Shortened" in fitted


# -- bad input and refusals: one clear line, exit 2 or 3, the report kept when one was made ----
CASES: list[tuple[str, dict[str, Any], int, str, bool]] = [
    # (id, environment changes or a fault, exit code, text of the one line, report on disk)
    ("no-api-url", {"CI_API_V4_URL": ""}, 2, "CI_API_V4_URL is not set", False),
    ("no-project-id", {"CI_PROJECT_ID": ""}, 2, "CI_PROJECT_ID is not set", False),
    ("project-id-not-a-number", {"CI_PROJECT_ID": "ml/model"}, 2, "CI_PROJECT_ID: expected", False),
    ("api-url-not-a-url", {"CI_API_V4_URL": "gitlab.example"}, 2, "CI_API_V4_URL: expected", False),
    (
        "push-pipeline",
        {"CI_PIPELINE_SOURCE": "push", "CI_MERGE_REQUEST_IID": ""},
        2,
        "not a merge-request pipeline (CI_PIPELINE_SOURCE=push",
        False,
    ),
    ("iid-not-a-number", {"CI_MERGE_REQUEST_IID": "7; rm"}, 2, "CI_MERGE_REQUEST_IID", False),
    ("no-commit-sha", {"CI_COMMIT_SHA": ""}, 2, "CI_COMMIT_SHA is not set", False),
    (
        "bad-source-sha",
        {"CI_MERGE_REQUEST_SOURCE_BRANCH_SHA": "HEAD~1"},
        2,
        "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA: expected a commit sha",
        False,
    ),
    ("no-project-dir", {"CI_PROJECT_DIR": "/nonexistent/x"}, 2, "CI_PROJECT_DIR", False),
    ("github-only-input", {"MLGATE_CHECK_RUN": "true"}, 2, "MLGATE_CHECK_RUN", False),
    ("bad-input-value", {"MLGATE_PLOTS": "pictures"}, 2, "input 'plots'", False),
    ("token-without-api-scope", {"MLGATE_GITLAB_TOKEN": READ_ONLY}, 3, "403", True),
    ("revoked-token", {"MLGATE_GITLAB_TOKEN": "glpat-revoked"}, 3, "401", True),
    ("project-404", {"CI_PROJECT_ID": "999"}, 3, "404 (not found)", True),
    ("mr-404", {"CI_MERGE_REQUEST_IID": "8"}, 3, "merge request !8", True),
    ("persistent-502", {"fault": ("POST", r"/notes$", 502, 20)}, 3, "after retries", True),
    ("retry-after-too-long", {"fault": ("GET", r"/user$", 429, 1)}, 3, "Retry-After", True),
    ("status-400", {"fault": ("POST", r"/statuses/", 400, 1)}, 3, "400", True),
]


@pytest.mark.parametrize(
    ("changes", "code", "text", "kept"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_bad_input_catalogue(
    pipeline: Pipeline, changes: dict[str, Any], code: int, text: str, kept: bool
) -> None:
    changes = dict(changes)
    fault = changes.pop("fault", None)
    if fault is not None:
        method, pattern, status, times = fault
        headers = {"Retry-After": "3600"} if status == 429 else None
        pipeline.state.fail(method, pattern, status, times=times, headers=headers)
    pipeline.env(**changes)
    assert pipeline.run() == code, pipeline.err
    errors = [line for line in pipeline.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, pipeline.err
    assert text in errors[0]
    assert "Traceback" not in pipeline.err
    assert pipeline.report().is_file() == kept
    if kept:
        assert REPORT_SECTION in pipeline.err  # the report is in the job log as well
    if kept and fault is None:  # refused before anything was written
        assert bot_notes(pipeline.state) == []
        # issue 20: the status is set whenever there is a verdict, whatever else failed (here,
        # only the merge request's lookup: the commit is known)
        assert len(pipeline.state.statuses) == (1 if "CI_MERGE_REQUEST_IID" in changes else 0)


def test_host_is_picked_from_the_environment() -> None:
    from mlgate import hosts

    assert hosts.module_for({"GITHUB_ACTIONS": "true"}) == "mlgate.actions"
    assert hosts.module_for({"GITLAB_CI": "true"}) == "mlgate.gitlab.ci"
    assert hosts.module_for({}) == "mlgate.actions"


def test_secrets_are_redacted_from_everything_posted(pipeline: Pipeline) -> None:
    """A training command that prints the tokens: the note, the status, the report on disk and
    the report printed in the job log carry `***` instead. (The training's own output streams
    to the job log as it runs: there GitLab's masked variables hide the token.)"""
    pipeline.env(
        MLGATE_RUN='echo "token=$MLGATE_GITLAB_TOKEN job=$CI_JOB_TOKEN"',
    )
    assert pipeline.run() == 0, pipeline.err
    [note] = bot_notes(pipeline.state)
    secrets = (TOKEN, "job-token-cannot-post-notes")
    assert "token=***" in note["body"], note["body"]
    for secret in secrets:
        assert secret not in note["body"]
        assert secret not in pipeline.report().read_text()
        printed = pipeline.err.split(REPORT_SECTION)[1].split("section_end:")[0]
        assert secret not in printed
        assert all(secret not in str(s) for s in pipeline.state.statuses)


def test_duplicate_report_notes_are_merged_into_the_oldest(pipeline: Pipeline) -> None:
    """Two pipelines that both created a note (or an older `comment: new` run): the oldest is
    edited, the other report notes of ours are deleted; nobody else's note is touched."""
    sha = head(pipeline.repo)
    first = pipeline.state.add_note(7, f"<!-- mlgate:report id=default sha={sha} -->\none", BOT)
    pipeline.state.add_note(7, f"<!-- mlgate:report id=default sha={sha} -->\ntwo", BOT)
    other_id = pipeline.state.add_note(7, f"<!-- mlgate:report id=other sha={sha} -->\nx", BOT)
    pipeline.env()
    assert pipeline.run() == 0, pipeline.err
    notes = bot_notes(pipeline.state)
    assert [n["id"] for n in notes] == [first["id"], other_id["id"]]
    assert "all 1 gate passed" in first["body"] and other_id["body"].endswith("\nx")


def test_mermaid_charts_inline_without_uploads(pipeline: Pipeline) -> None:
    pipeline.env(MLGATE_PLOTS="mermaid")
    assert pipeline.run() == 0, pipeline.err
    [note] = bot_notes(pipeline.state)
    assert "```mermaid" in note["body"]
    assert pipeline.state.uploads == []
    assert "/uploads/" not in note["body"]


def test_core_and_commands_import_no_host_client_library() -> None:
    """The seam: PyGithub (`github`) and python-gitlab (`gitlab`) load only in their adapters."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import mlgate.commands.run, mlgate.commands.publish, mlgate.commands.report\n"
        "import mlgate.report, mlgate.gatekinds, mlgate.hosts, mlgate.actions, mlgate.gitlab.ci\n"
        "print(sorted(m for m in ('github', 'gitlab') if m in sys.modules))\n"
        "import mlgate.github.host, mlgate.gitlab.host\n"
        "from mlgate.gitlab.host import build\n"
        "print('github' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines() == ["[]", "True"]


def test_fork_mr_status_names_no_ref_of_this_project(pipeline: Pipeline) -> None:
    """A fork's MR run in the parent project: the source branch is not a ref here, so the
    status names only the commit (GitLab finds its pipeline)."""
    pipeline.env(CI_MERGE_REQUEST_SOURCE_PROJECT_ID="99")
    assert pipeline.run() == 0, pipeline.err
    [status] = pipeline.state.statuses
    assert status["sha"] == head(pipeline.repo) and status["ref"] is None


def test_a_misspelt_input_variable_is_named_not_silently_ignored(pipeline: Pipeline) -> None:
    pipeline.env(MLGATE_METRIC="metrics.json", MLGATE_IMAGE="registry.example/mlgate:v1")
    assert pipeline.run() == 0, pipeline.err
    assert "warning: MLGATE_METRIC is not an mlgate input: ignored" in pipeline.err
    assert "MLGATE_IMAGE" not in pipeline.err


def test_429_with_a_short_retry_after_is_waited_out(pipeline: Pipeline) -> None:
    pipeline.state.fail("GET", r"/user$", 429, times=2, headers={"Retry-After": "0"})
    pipeline.env()
    assert pipeline.run() == 0, pipeline.err
    assert len(bot_notes(pipeline.state)) == 1
    assert [m for m, p in pipeline.state.requests if p.endswith("/user")] == ["GET"] * 3


def test_the_job_log_has_balanced_collapsed_sections_and_the_report_inside_one(
    pipeline: Pipeline,
) -> None:
    """Issue 25: GitLab gets collapsible sections (never nested), the report folded in one
    instead of printed raw into the log."""
    from tests.unit.test_log_phases import SECTION

    pipeline.env(MLGATE_RUN="echo trained")
    assert pipeline.run() == 0, pipeline.err
    open_, titles = None, []
    for line in pipeline.err.split("\n"):
        if m := SECTION.match(line):
            kind, _ts, name, collapsed, title = m.groups()
            assert (open_ is None) == (kind == "start") and (kind == "end" or collapsed), line
            open_ = name if kind == "start" else None
            titles += [title] if kind == "start" else []
        else:
            assert "\x1b" not in line, repr(line)
    assert open_ is None
    assert titles[0] == "Training: echo trained" and REPORT_SECTION in titles, titles
    report = pipeline.err.split(REPORT_SECTION)[1].split("section_end:")[0]
    assert "all 1 gate passed" in report
    assert "Training: echo trained: exit code 0 (" in pipeline.err
