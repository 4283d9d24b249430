"""Build the one real PyGithub client: GITHUB_API_URL (GitHub Enterprise, or a local fake),
retries with backoff for 5xx, 429 and secondary rate limits, honouring `Retry-After` up to a cap.

Limits (environment variables, for tests and unusual runners):
- `MLGATE_GITHUB_RETRIES` (5): retries per request; `MLGATE_GITHUB_BACKOFF` (1.0 s): backoff factor;
- `MLGATE_GITHUB_TIMEOUT` (30 s): connect/read timeout of one request;
- `MLGATE_RETRY_AFTER_MAX` (60 s): the longest `Retry-After` or rate-limit wait honoured; GitHub
  asking for more fails the call at once (exit 3) instead of hanging the job.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from github import GithubRetry

from mlgate.hosts import RetryAfterTooLong


class CappedRetry(GithubRetry):
    """GithubRetry whose `Retry-After` waits are capped: over the cap, give up instead."""

    def __init__(self, *, retry_after_max: float = 60.0, **kwargs: Any) -> None:
        self.retry_after_cap = retry_after_max
        kwargs.setdefault("max_rate_limit_wait", retry_after_max)
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> CappedRetry:
        kw["retry_after_max"] = self.retry_after_cap
        return super().new(**kw)

    def get_retry_after(self, response: Any) -> float | None:
        value = response.headers.get("Retry-After")
        if value is None:
            return None
        seconds = float(self.parse_retry_after(str(value)))
        if seconds > self.retry_after_cap:
            raise RetryAfterTooLong("GitHub", seconds, self.retry_after_cap)
        return seconds


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name) or default)
    except ValueError:
        return default
    return value if value >= 0 else default


def build(api_url: str, token: str, env: Mapping[str, str] | None = None) -> Any:
    from github import Auth, Github

    env = os.environ if env is None else env
    # PyGithub logs each retry at INFO; mlgate says what failed in its own one line
    logging.getLogger("github").setLevel(logging.WARNING)
    retry = CappedRetry(
        total=int(_number(env, "MLGATE_GITHUB_RETRIES", 5)),
        backoff_factor=_number(env, "MLGATE_GITHUB_BACKOFF", 1.0),
        backoff_max=_number(env, "MLGATE_RETRY_AFTER_MAX", 60.0),
        status_forcelist=[*range(500, 600), 429],
        secondary_rate_wait=min(60.0, _number(env, "MLGATE_RETRY_AFTER_MAX", 60.0)),
        retry_after_max=_number(env, "MLGATE_RETRY_AFTER_MAX", 60.0),
    )
    # GitHub asks integrations to space writes to avoid secondary rate limits; tests against the
    # local fake set MLGATE_WRITE_INTERVAL=0.
    write_interval = _number(env, "MLGATE_WRITE_INTERVAL", 1.0)
    return Github(
        base_url=api_url,
        auth=Auth.Token(token),
        retry=retry,
        per_page=100,
        timeout=int(max(1.0, _number(env, "MLGATE_GITHUB_TIMEOUT", 30.0))),
        seconds_between_requests=None,
        seconds_between_writes=write_interval or None,
        user_agent="mlgate",
        lazy=True,  # objects are fetched when read; every read goes through Publisher._call
    )
