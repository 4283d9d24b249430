"""Build the one real PyGithub client: GITHUB_API_URL (GitHub Enterprise, or a local fake),
retries with backoff for 5xx, 429 and secondary rate limits, honouring `Retry-After` up to a cap
(`mlgate.hostapi.CappedRetry`; the limits are `mlgate.settings.ClientLimits`).
"""

from __future__ import annotations

import logging
from typing import Any

from github import Auth, Github, GithubRetry

from mlgate.hostapi import CappedRetry, retry_policy
from mlgate.settings import ClientLimits


class GitHubRetry(CappedRetry, GithubRetry):
    """GithubRetry (secondary rate limits) with mlgate's cap on `Retry-After`."""

    host = "GitHub"

    def __init__(self, *, retry_after_max: float = 60.0, **kwargs: Any) -> None:
        kwargs.setdefault("max_rate_limit_wait", retry_after_max)
        super().__init__(retry_after_max=retry_after_max, **kwargs)


def build(api_url: str, token: str, limits: ClientLimits) -> Any:
    # PyGithub logs each retry at INFO; mlgate says what failed in its own one line
    logging.getLogger("github").setLevel(logging.WARNING)
    retry = GitHubRetry(
        **retry_policy(limits), secondary_rate_wait=min(60.0, limits.retry_after_max)
    )
    # GitHub asks integrations to space writes to avoid secondary rate limits; tests against the
    # local fake set MLGATE_WRITE_INTERVAL=0.
    return Github(
        base_url=api_url,
        auth=Auth.Token(token),
        retry=retry,
        per_page=100,
        timeout=int(limits.timeout),
        seconds_between_requests=None,
        seconds_between_writes=limits.write_interval or None,
        user_agent="mlgate",
        lazy=True,  # objects are fetched when read; every read goes through Publisher.api.call
    )
