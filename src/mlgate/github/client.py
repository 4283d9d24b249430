"""Build the one real PyGithub client: GITHUB_API_URL (GitHub Enterprise, or a local fake),
retries with backoff for 5xx, 429 and secondary rate limits (honouring Retry-After)."""

from __future__ import annotations

import os
from typing import Any


def build(api_url: str, token: str) -> Any:
    from github import Auth, Github, GithubRetry

    retry = GithubRetry(
        total=int(os.environ.get("MLGATE_GITHUB_RETRIES", "5")),
        backoff_factor=float(os.environ.get("MLGATE_GITHUB_BACKOFF", "1.0")),
        status_forcelist=[*range(500, 600), 429],
        secondary_rate_wait=60,
    )
    # GitHub asks integrations to space writes to avoid secondary rate limits; tests against the
    # local fake set MLGATE_WRITE_INTERVAL=0.
    write_interval = float(os.environ.get("MLGATE_WRITE_INTERVAL", "1.0"))
    return Github(
        base_url=api_url,
        auth=Auth.Token(token),
        retry=retry,
        per_page=100,
        timeout=30,
        seconds_between_requests=None,
        seconds_between_writes=write_interval or None,
        user_agent="mlgate",
        lazy=True,  # objects are fetched when read, so a comment post is one request
    )
