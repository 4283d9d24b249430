"""The command line's help texts: what each subcommand does, and what `mlgate run` reads from
its environment (kept beside each other so `cli.py` stays about parsing)."""

from __future__ import annotations

import textwrap

DOCS = "https://github.com/mlgate/mlgate/blob/main/docs"

EXIT_CODES = """exit codes: 0 all gates passed; 1 a gate failed; 2 bad usage, config or input;
3 an outside service failed after the report was written; 4 a bug in mlgate;
130 interrupted (SIGINT); 143 terminated (SIGTERM)."""

# one line each, in `mlgate --help`'s list of commands
SUMMARIES = {
    "diff": "workspace vs base, like `dvc metrics diff`",
    "report": "write report.md, result.json, report.html",
    "run": "the GitHub Action's and GitLab CI's entry point (reads the CI environment)",
    "publish": "post saved bundles (fork-safe stage two, matrix jobs)",
    "record": "store this commit's results on the results branch (for later base lookups)",
    "demo": "the whole flow on a bundled example, no GitHub",
}

# a few sentences each, at the top of `mlgate <command> --help`
DESCRIPTIONS = {
    "diff": "Compare the workspace's metrics (or, with --params, params) with the base "
    "revision's, read as `dvc metrics diff` reads them; --json prints DVC's JSON shape. "
    "Trains nothing, writes nothing.",
    "report": "Write the pull-request report for the workspace against the base revision: "
    "report.md, result.json and report.html (a preview as GitHub renders it) in --out. "
    "Trains first with --repro or --command; trains the base when it holds no results. "
    "Posts nothing: the exit code is the gate's verdict.",
    "run": "The GitHub Action's and GitLab CI's entry point: reads the CI environment (below), "
    "trains when asked, writes the report, posts one comment or merge-request note updated "
    "in place, and sets the `mlgate` status. On your laptop use `mlgate report`.",
    "publish": "Post saved report bundles (directories written by `mlgate run`) with this "
    "job's token: stage two of the fork-safe setup, or the last job of a matrix (one comment "
    "and one status for all). Every bundle is treated as hostile.",
    "record": "Store this commit's results (metrics, params and plot files, result.json) on the "
    "results branch (mlgate-results), where later pull requests find their base's values. "
    "Trains first with --repro or --command; --push sends the branch to origin.",
    "demo": "The whole flow on a bundled example, with no GitHub and no network: a throwaway "
    "git + DVC project trained on main and on a PR branch, and the report written to --out.",
}

# `run` keeps its epilog's layout (RawDescriptionHelpFormatter), so its description comes wrapped
RUN_DESCRIPTION = textwrap.fill(DESCRIPTIONS["run"], width=79, break_on_hyphens=False)

RUN_ENVIRONMENT = f"""environment read by `mlgate run`:
  INPUT_<NAME>           the action's inputs (INPUT_RUN, INPUT_REPRO, INPUT_BASE, INPUT_PLOTS,
                         INPUT_GITHUB-TOKEN or INPUT_GITHUB_TOKEN, ...): set by the runner from
                         the step's `with:`; GITHUB_TOKEN when no token input is given
  GitHub Actions (GITHUB_ACTIONS=true):
    GITHUB_EVENT_NAME, GITHUB_EVENT_PATH   the event and its payload (the PR, its head sha)
    GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_BASE_REF, GITHUB_RUN_ID, GITHUB_WORKSPACE
    GITHUB_API_URL, GITHUB_SERVER_URL      GitHub Enterprise (default github.com)
    GITHUB_OUTPUT, GITHUB_STEP_SUMMARY     where outputs and the job summary go
  GitLab CI (GITLAB_CI=true), inputs as MLGATE_<INPUT> (MLGATE_RUN, MLGATE_REPRO, ...):
    MLGATE_GITLAB_TOKEN (or GITLAB_TOKEN)  a project access token with the `api` scope
    CI_API_V4_URL, CI_SERVER_URL, CI_PROJECT_ID, CI_PROJECT_PATH, CI_PROJECT_URL, CI_PROJECT_DIR
    CI_PIPELINE_SOURCE, CI_MERGE_REQUEST_IID, CI_MERGE_REQUEST_TARGET_BRANCH_NAME,
    CI_MERGE_REQUEST_SOURCE_BRANCH_NAME, CI_MERGE_REQUEST_SOURCE_BRANCH_SHA,
    CI_MERGE_REQUEST_SOURCE_PROJECT_ID, CI_MERGE_REQUEST_DIFF_BASE_SHA, CI_COMMIT_SHA, CI_JOB_URL
  any other CI (--host or MLGATE_HOST; flags win), inputs as MLGATE_<INPUT>:
    MLGATE_HOST, MLGATE_REPOSITORY, MLGATE_PR, MLGATE_HEAD_SHA, MLGATE_BASE_REF, MLGATE_API_URL,
    MLGATE_RUN_URL, MLGATE_TOKEN_ENV (names the token's variable), else MLGATE_TOKEN,
    MLGATE_GITHUB_TOKEN, GITHUB_TOKEN, GH_TOKEN / MLGATE_GITLAB_TOKEN, GITLAB_TOKEN;
    read when set: CHANGE_ID, CHANGE_TARGET, BUILD_URL (Jenkins), CIRCLE_PULL_REQUEST,
    CIRCLE_SHA1, CIRCLE_BUILD_URL, CIRCLE_PROJECT_USERNAME, CIRCLE_PROJECT_REPONAME (CircleCI),
    BUILDKITE_PULL_REQUEST, BUILDKITE_COMMIT, BUILDKITE_PULL_REQUEST_BASE_BRANCH,
    BUILDKITE_BUILD_URL; GITHUB_API_URL / CI_API_V4_URL for the API
  the API clients:
    MLGATE_GITHUB_RETRIES, MLGATE_GITHUB_BACKOFF, MLGATE_GITHUB_TIMEOUT, MLGATE_WRITE_INTERVAL
    MLGATE_GITLAB_RETRIES, MLGATE_GITLAB_BACKOFF, MLGATE_GITLAB_TIMEOUT, MLGATE_RETRY_AFTER_MAX
  the action's image: MLGATE_TRAINING_VENV (where the training's own environment goes)
  CI, GITHUB_ACTIONS, GITLAB_CI  which CI this is (outside CI the working tree's gates apply)

inputs, outputs and examples: https://github.com/mlgate/mlgate#inputs-and-outputs
GitLab: {DOCS}/gitlab.md
Jenkins, CircleCI, Buildkite, a shell: {DOCS}/ci.md
every page: https://github.com/mlgate/mlgate#documentation

{EXIT_CODES}"""
