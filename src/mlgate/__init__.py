"""mlgate: diff ML metrics against the base branch, report on the PR, gate the merge."""

__version__ = "0.1.0"
