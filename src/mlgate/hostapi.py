"""What every host's API client shares, written once: the capped retry policy and the
translation of whatever the transport or the answer does into one `HostError` line.

A host names its client library's error type and explains its HTTP answers (`Api.explain`);
timeouts, resets, `Retry-After` beyond the cap and bodies that are not the API's shape are
said here, in the same words for every host.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self, TypeVar

import requests
from urllib3.util.retry import Retry

from mlgate.errors import HostError
from mlgate.hosts import RetryAfterTooLong, transport_problem
from mlgate.settings import ClientLimits

T = TypeVar("T")
SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


class CappedRetry(Retry):
    """urllib3's Retry whose `Retry-After` waits are capped: over the cap, give up at once
    (`RetryAfterTooLong`, exit 3) instead of hanging the job."""

    host = "the host"

    def __init__(self, *, retry_after_max: float = 60.0, **kwargs: Any) -> None:
        self.retry_after_cap = retry_after_max
        super().__init__(**kwargs)

    def new(self, **kw: Any) -> Self:
        kw["retry_after_max"] = self.retry_after_cap
        return super().new(**kw)

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        if seconds is not None and seconds > self.retry_after_cap:
            raise RetryAfterTooLong(self.host, seconds, self.retry_after_cap)
        return seconds


def retry_policy(limits: ClientLimits) -> dict[str, Any]:
    """The keyword arguments of a host's `CappedRetry`: 5xx and 429 retried with backoff."""
    return {
        "total": limits.retries,
        "backoff_factor": limits.backoff,
        "backoff_max": limits.retry_after_max,
        "status_forcelist": [*range(500, 600), 429],
        "retry_after_max": limits.retry_after_max,
    }


def answered(status: int | None, text: str) -> str:
    """An HTTP status and the API's message, the status said once: "401: Bad credentials",
    but "401 Unauthorized" where the message already starts with it (issue 25)."""
    if status is None or text.startswith(str(status)):
        return text
    return f"{status}: {text}" if text else str(status)


@dataclass(frozen=True)
class Api:
    """One host's error translation: every API access goes through `call`."""

    name: str  # "GitHub"
    timeout_setting: str  # the variable that sets one request's timeout
    library_error: type[Exception]  # the client library's HTTP error
    explain: Callable[[Exception, str], HostError]  # an HTTP error -> the one line
    status: Callable[[Exception], int | None]
    error: type[HostError]  # the host's error class
    bad_answer: type[HostError]  # a body that is not the API's shape

    def call(self, what: str, fn: Callable[[], T], *, missing_ok: bool = False) -> T:
        """Run one API access; every way it can fail becomes one line (`HostError`).
        With `missing_ok`, a 404 returns None."""
        try:
            return fn()
        except HostError:
            raise
        except self.library_error as exc:
            if missing_ok and self.status(exc) == 404:
                return None  # type: ignore[return-value]
            raise self.explain(exc, what) from exc
        except RetryAfterTooLong as exc:
            raise self.error(f"cannot {what}: {exc}") from exc
        except (OSError, requests.exceptions.RequestException) as exc:
            # retries exhausted: timeouts, connection refused or reset
            raise self.error(
                f"{self.name} API failed to {what} after retries: "
                f"{transport_problem(exc, self.timeout_setting)}"
            ) from exc
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            # a body that is not JSON, or JSON of the wrong shape
            raise self.bad_answer(
                f"{self.name}'s answer to {what} is not the API's shape (not JSON, or JSON "
                "without the expected fields: a proxy's error page?)"
            ) from exc

    def shapeless(self, what: str, field: str) -> HostError:
        return self.bad_answer(
            f"{self.name}'s answer to {what} has no {field}: not the API's shape"
        )

    def text(self, value: object, what: str, field: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.shapeless(what, field)
        return value

    def number(self, value: object, what: str, field: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.shapeless(what, field)
        return value

    def sha(self, value: object, what: str) -> str:
        if not isinstance(value, str) or not SHA.fullmatch(value):
            raise self.shapeless(what, "valid sha")
        return value
