"""Issue 21, Seen 2 (credentials not named like credentials reach the MR note and the log) and
issue 20, item 6 (credential names matched by parts; mlgate's marker never redacted, so a
variable holding a common word cannot multiply the comment).

`mlgate run` in a simulated GitLab merge-request pipeline against the fake GitLab API, and on a
pull_request event against the fake GitHub API; the training is a shell command printing its
environment, as a careless (or hostile) script would."""

from __future__ import annotations

import base64
import json
import sys

import pytest

from mlgate import redact
from tests.integration.test_github import (  # noqa: F401  (fixtures)
    Runner,
    bot_comments,
    github,
    head,
    runner,
)
from tests.integration.test_gitlab import (  # noqa: F401  (fixtures)
    Pipeline,
    gitlab,
    pipeline,
    project,
)


def _jwt(claims: dict[str, object]) -> str:
    def part(doc: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'kid': 'k'})}.{part(claims)}.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


JWT = _jwt({"sub": "project_path:o/r:ref_type:branch:ref:main", "aud": "https://vault"})
GITLAB_SECRETS = {
    "CI_JOB_JWT": JWT,
    "CI_JOB_JWT_V1": JWT + "v1",
    "CI_JOB_JWT_V2": _jwt({"sub": "v2", "iss": "https://gitlab.example"}),
    "DATABASE_URL": "postgres://ml:s3cret-db-pass@db.internal/x",
}
# Values whose variable names say nothing: recognized by their shape alone
SHAPED = {
    "MY_SETTING": "ghp_" + "a1B2c3D4e5" * 4,
    "UPLOAD_TO": "glpat-" + "Zz09Yy18Xx27Ww36Vv45",
    "S3_WHO": "AKIA" + "ABCDEFGHIJKLMNOP",
    "HUB": "hf_" + "q" * 34,
    "PIP_INDEX_URL": "https://build:p1p-pa55word@pypi.internal/simple",
    "VAULT": _jwt({"sub": "vault"}),
    "PEM": (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE\n"
        "-----END OPENSSH PRIVATE KEY-----"
    ),
}
HIDDEN = {
    "s3cret-db-pass",
    JWT,
    GITLAB_SECRETS["CI_JOB_JWT_V2"],
    "p1p-pa55word",
    "b3BlbnNzaC1rZXktdjE",
    *(v for k, v in SHAPED.items() if k not in ("PIP_INDEX_URL", "PEM")),
}
PRINT_ENV = (
    f"{sys.executable} -c \"import os; [print(k + '=' + v) for k, v in os.environ.items()]\""
)


def test_gitlab_credentials_and_shaped_secrets_reach_neither_the_note_nor_the_log(
    pipeline: Pipeline,
) -> None:
    pipeline.env(MLGATE_RUN=f"{PRINT_ENV}; echo 'Authorization: Bearer abcdefghijklmnop1234'")
    for key, value in {**GITLAB_SECRETS, **SHAPED}.items():
        pipeline.monkeypatch.setenv(key, value)
    assert pipeline.run() == 0, pipeline.err
    [note] = pipeline.state.notes[7]
    report_dir = pipeline.repo.path / "mlgate-report"
    written = {
        "note": note["body"],
        "log": pipeline.err,
        "status": json.dumps(pipeline.state.statuses),
        **{p.name: p.read_text() for p in report_dir.glob("*.*") if p.suffix in (".md", ".json")},
    }
    for where, text in written.items():
        for secret in HIDDEN:
            assert secret not in text, (where, secret[:12])
        assert "abcdefghijklmnop1234" not in text, where
    assert "DATABASE_URL=postgres://ml:***@db.internal/x" in pipeline.err  # still readable


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("GIT_AUTHOR_NAME", False),
        ("GIT_AUTHOR_EMAIL", False),
        ("GIT_COMMITTER_NAME", False),
        ("TOKENIZERS_PARALLELISM", False),
        ("AUTHORITY_URL", False),
        ("MY_AUTH", True),
        ("OAUTH_CLIENT", True),
        ("apiKey", True),
        ("DB_PASSWORD", True),
        ("HF_TOKEN", True),
        ("GITHUB_APITOKEN", True),
        ("CI_JOB_JWT_V2", True),
        ("SENTRY_DSN", True),
        ("ACTIONS_ID_TOKEN_REQUEST_URL", True),
    ],
)
def test_credential_names_are_matched_by_their_parts(name: str, secret: bool) -> None:
    assert redact.is_secret_name(name) is secret


@pytest.mark.parametrize(
    "env",
    [
        {"GIT_AUTHOR_NAME": "default"},  # a name part AUTHOR, not AUTH
        {"DEPLOY_TOKEN": "default"},  # a real credential that is also a common word
        {"MLGATE_SECRET": "mlgate:report"},
    ],
    ids=["author-name", "token-is-default", "token-is-the-marker-word"],
)
def test_a_variable_holding_a_marker_word_updates_the_one_comment(
    runner: Runner, env: dict[str, str]
) -> None:
    for key, value in env.items():
        runner.monkeypatch.setenv(key, value)
    runner.env(runner.pr_event())
    assert runner.run() == 0, runner.err
    runner.repo.write("metrics.json", {"acc": 0.95, "loss": 0.2})
    assert runner.run() == 0, runner.err
    [comment] = runner.github.state.comments[7]
    assert comment["body"].startswith(f"<!-- mlgate:report id=default sha={head(runner.repo)} -->")
    assert "0.95" in comment["body"]
