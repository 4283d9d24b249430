"""One exception hierarchy; each class carries the process exit code it maps to.

Exit codes (documented in docs/cli.md):
    0  every gate passed
    1  a gate failed (the report says which, and by how much)
    2  bad usage, configuration or input; the message names the file and the problem
    3  an outside service (GitHub, a DVC remote, training) failed after the report was written
    4  a bug in mlgate: the traceback is written to a log file named in the message
  130  interrupted (SIGINT, Ctrl-C; GitHub Actions' first signal when a job is cancelled)
  143  terminated (SIGTERM): the training's processes are killed, and "training interrupted"
       is written to the report and the job summary (`mlgate.interrupt`)
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_SERVICE = 3
EXIT_BUG = 4
EXIT_INTERRUPTED = 130


def gate_exit(passed: bool, *, enforce: bool = True) -> int:
    """The exit code of a verdict: 1 for a failed gate when the gate is enforced."""
    return EXIT_GATE_FAILED if (not passed and enforce) else EXIT_OK


class MlgateError(Exception):
    """An expected failure with a one-line message that says how to fix it."""

    exit_code = EXIT_USAGE


class UsageError(MlgateError):
    """A command-line flag or action input is wrong."""


class ConfigError(MlgateError):
    """`.mlgate.yml` (or another configuration file) is invalid."""


class InputError(MlgateError):
    """A metrics, params, plots or DVC file cannot be read or parsed."""


class GitError(MlgateError):
    """git failed, or a revision cannot be found."""


class DvcError(MlgateError):
    """DVC failed: a remote, the cache, or the pipeline definition."""


class WriteError(MlgateError):
    """A file mlgate writes could not be written (a read-only directory: exit 2, choose
    another; a full disk or an I/O error: exit 3, the runner's problem)."""

    def __init__(self, message: str, *, environment: bool) -> None:
        super().__init__(message)
        self.exit_code = EXIT_SERVICE if environment else EXIT_USAGE


class ServiceError(MlgateError):
    """An outside service failed after the report was written."""

    exit_code = EXIT_SERVICE


class HostError(ServiceError):
    """The code host's API (GitHub, GitLab) failed after retries."""

    # set when the report's comment was posted before the failure: its URL is still an output
    comment_url: str | None = None


class ReadOnlyToken(HostError):
    """The token can read but not write (a fork PR's token). With `fatal` False the job keeps
    the gate's exit code: the report is in the job summary and the message says what to add."""

    fatal = False


class GitHubError(HostError):
    """The GitHub API failed after retries."""


class GitLabError(HostError):
    """The GitLab API failed after retries."""


class TrainingError(ServiceError):
    """The user's training command or `dvc repro` failed."""
