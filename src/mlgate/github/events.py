"""Schemas (pydantic) of the parts of GitHub's event payloads mlgate reads, and of the runner's
environment. A payload that lacks them is a usage error naming the key path (exit 2), never a
guess: a `pull_request` event without its `pull_request` object would otherwise put the merge
gate on the merge commit.

pydantic was chosen over jsonschema because its errors carry the key path as a tuple and the
models double as the typed view the rest of the code reads; it is already a dependency of DVC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr
from pydantic import ValidationError as PydanticError

from mlgate.errors import UsageError
from mlgate.log import neutralize

SHA = r"^([0-9a-f]{40}|[0-9a-f]{64})$"
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class Repo(_Model):
    full_name: StrictStr | None = None
    default_branch: StrictStr | None = None


class Head(_Model):
    sha: StrictStr = Field(pattern=SHA)
    ref: StrictStr
    repo: Repo | None = None


class Base(_Model):
    sha: StrictStr = Field(pattern=SHA)
    ref: StrictStr


class PullRequest(_Model):
    number: StrictInt = Field(ge=1)
    head: Head
    base: Base


class PullRequestEvent(_Model):
    pull_request: PullRequest


class RunPullRequest(_Model):
    number: StrictInt = Field(ge=1)
    head: Head
    base: Base


class WorkflowRun(_Model):
    head_sha: StrictStr = Field(pattern=SHA)
    head_branch: StrictStr | None = None
    head_repository: Repo | None = None
    pull_requests: list[RunPullRequest] = Field(default_factory=list)


class WorkflowRunEvent(_Model):
    workflow_run: WorkflowRun


class PushEvent(_Model):
    ref: StrictStr = ""
    after: StrictStr | None = Field(default=None, pattern=SHA)
    repository: Repo | None = None


MODELS: dict[str, type[_Model]] = {
    "pull_request": PullRequestEvent,
    "pull_request_target": PullRequestEvent,
    "workflow_run": WorkflowRunEvent,
    "push": PushEvent,
}


def key_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _got(value: Any) -> str:
    text = neutralize(repr(value))
    return text if len(text) <= 50 else text[:49] + "…"


def validate(event_name: str, payload: Mapping[str, Any], where: str) -> _Model | None:
    """The payload checked against its event's schema; None for events mlgate does not read."""
    model = MODELS.get(event_name)
    if model is None:
        return None
    try:
        return model.model_validate(dict(payload))
    except PydanticError as exc:
        err = exc.errors()[0]
        path = key_path(tuple(err["loc"]))
        if err["type"] == "missing":
            problem = "missing"
            if path == "pull_request":
                problem += " (the status would go on the merge commit)"
        else:
            problem = f"{err['msg'].lower()}, got {_got(err.get('input'))}"
        raise UsageError(
            f"{where}: {event_name} event: {path}: {problem}; is GITHUB_EVENT_PATH the payload "
            "GitHub wrote for this event?"
        ) from exc


def check_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in value)
    ):
        raise UsageError(f"{name}: expected an http(s) URL, got {_got(value)}")
    return value.rstrip("/")


def check_repository(name: str, value: str) -> str:
    if not _REPOSITORY.fullmatch(value):
        raise UsageError(f"{name}: expected owner/name, got {_got(value)}")
    return value
