"""GitLab CI's context from `CI_*` variables: which commit is the head, which inputs are read,
and GitLab's metrics report. No network (the API is in integration/test_gitlab.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from mlgate.errors import UsageError
from mlgate.gitlab.ci import GitLabContext, settings_from_environ, unknown_variables
from mlgate.log import Log

HEAD = "a" * 40
MERGE = "c" * 40


def env(tmp_path: Path, **changes: str) -> dict[str, str]:
    values = {
        "GITLAB_CI": "true",
        "CI_API_V4_URL": "https://gitlab.example.com/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_PROJECT_PATH": "ml/model",
        "CI_PROJECT_DIR": str(tmp_path),
        "CI_PIPELINE_SOURCE": "merge_request_event",
        "CI_MERGE_REQUEST_IID": "7",
        "CI_COMMIT_SHA": HEAD,
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_JOB_URL": "https://gitlab.example.com/ml/model/-/jobs/1",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v}


def test_detached_pipeline_head_is_the_commit(tmp_path: Path) -> None:
    ctx = GitLabContext.from_environ(env(tmp_path))
    target = ctx.target()
    assert (target.head_sha, target.pr_number, target.base_ref) == (HEAD, 7, "main")
    assert ctx.server_url == "https://gitlab.example.com" and ctx.run_url.endswith("/jobs/1")


def test_merged_results_head_is_the_source_branch_commit_not_the_merge(tmp_path: Path) -> None:
    ctx = GitLabContext.from_environ(
        env(tmp_path, CI_COMMIT_SHA=MERGE, CI_MERGE_REQUEST_SOURCE_BRANCH_SHA=HEAD)
    )
    assert ctx.target().head_sha == HEAD and ctx.commit_sha == MERGE


def test_base_falls_back_to_the_diff_base_sha(tmp_path: Path) -> None:
    base = "b" * 40
    ctx = GitLabContext.from_environ(
        env(tmp_path, CI_MERGE_REQUEST_TARGET_BRANCH_NAME="", CI_MERGE_REQUEST_DIFF_BASE_SHA=base)
    )
    assert ctx.target().base_ref == base


def test_token_from_either_variable_and_out_of_repr(tmp_path: Path) -> None:
    ctx = GitLabContext.from_environ(env(tmp_path, GITLAB_TOKEN="glpat-second-choice"))
    assert ctx.gitlab_token == "glpat-second-choice"
    ctx = GitLabContext.from_environ(
        env(tmp_path, GITLAB_TOKEN="glpat-second", MLGATE_GITLAB_TOKEN="glpat-first")
    )
    assert ctx.gitlab_token == "glpat-first" and "glpat" not in repr(ctx)


def test_inputs_are_mlgate_variables_and_github_only_ones_are_refused() -> None:
    settings = settings_from_environ(
        {"MLGATE_REPRO": "true", "MLGATE_COMMENT_ID": "gpu", "MLGATE_GITLAB_RETRIES": "3"}
    )
    assert settings.repro is True and settings.comment_id == "gpu"
    with pytest.raises(UsageError, match="MLGATE_ASSETS_BRANCH: `assets-branch` is a GitHub"):
        settings_from_environ({"MLGATE_ASSETS_BRANCH": "x"})
    assert unknown_variables({"MLGATE_METRIC": "m", "MLGATE_IMAGE": "i", "MLGATE_RUN": "r"}) == [
        "MLGATE_METRIC"
    ]


def test_metrics_report_has_finite_numbers_only(tmp_path: Path) -> None:
    ctx = GitLabContext.from_environ(env(tmp_path))
    result = {
        "passed": False,
        "metrics": [
            {"path": "m.json", "metric": "acc", "new": 0.9},
            {"path": "m.json", "metric": "loss curve", "new": 3},
            {"path": "m.json", "metric": "nan", "new": math.nan},
            {"path": "m.json", "metric": "flag", "new": True},
            {"path": "m.json", "metric": "label", "new": "big"},
            {"path": "m.json", "metric": "gone", "new": None},
        ],
    }
    ctx.after_report(result, tmp_path, Log())
    assert (tmp_path / "metrics.txt").read_text() == (
        "m.json:acc 0.9\nm.json:loss_curve 3\nmlgate_passed 0\n"
    )
