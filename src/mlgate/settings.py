"""One Settings object for the CLI and the action, parsed from a mapping of input names to text.

The action builds the mapping from `INPUT_<NAME>` variables (GitHub keeps hyphens and upper-cases
the name: `INPUT_GITHUB-TOKEN`); the CLI builds it from its flags. Every field is cleaned by a
`clean_<field>` function whose error names the input and the accepted values.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from mlgate.errors import UsageError
from mlgate.schema import did_you_mean

CommentMode = Literal["update", "new", "off"]
PlotsMode = Literal["assets", "summary", "mermaid", "off"]
BaseRun = Literal["auto", "always", "never"]

TRUE = {"true", "yes", "1", "on"}
FALSE = {"false", "no", "0", "off", ""}


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    working_directory: Path = Path()
    base: str | None = None
    config: str | None = None
    report_dir: Path = Path("mlgate-report")
    metrics: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()  # DVC project directories reported together (mlgate.projects)
    run: str | None = None
    repro: bool = False
    push: bool = False
    comment: CommentMode = "update"
    comment_id: str = "default"
    status_context: str = "mlgate"
    check_run: bool = False
    fail_on_regression: bool = True
    plots: PlotsMode = "assets"
    assets_branch: str = "mlgate-assets"
    requirements: str | None = None
    timeout_minutes: float | None = None  # the training command's time limit; none by default
    # `run`/`repro` on pull_request_target/workflow_run: refused unless the workflow says it
    # checks out trusted code (issue 21; Bencher's --ci-i-am-vulnerable-to-pwn-requests)
    trusted_checkout: bool = False
    bundles: tuple[str, ...] = ()
    # issue 14: train the base when it holds no results (None: `.mlgate.yml` `base_run:`, else auto)
    base_run: BaseRun | None = None
    results_branch: str = "mlgate-results"  # where `mlgate record` keeps results per commit
    results_depth: int = 20  # how many first-parent ancestors of the base to look for results in
    github_token: str | None = dataclasses.field(default=None, repr=False)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Settings:
        """Build from input names (hyphenated, as in action.yml); empty text means unset."""
        known = {f.name.replace("_", "-"): f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, value in raw.items():
            name = known.get(key.lower().replace("_", "-"))
            if name is None:
                hint = did_you_mean(key.lower().replace("_", "-"), known)
                raise UsageError(
                    f"unknown input {key!r}{hint}; accepted: {', '.join(sorted(known))}"
                )
            if value is None or (isinstance(value, str) and value.strip() == ""):
                continue
            values[name] = globals()[f"clean_{name}"](value, key)
        return cls(**values)

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> Settings:
        """The action's inputs: `INPUT_<NAME>`; the token falls back to `GITHUB_TOKEN`."""
        known = {f.name.replace("_", "-") for f in dataclasses.fields(cls)}
        raw: dict[str, str] = {}
        for var, value in env.items():
            if var.startswith("INPUT_"):
                # the runner keeps hyphens (INPUT_GITHUB-TOKEN); the in-job action's step passes
                # underscores (INPUT_GITHUB_TOKEN), which every shell keeps: one name for both
                name = var[len("INPUT_") :].lower().replace("_", "-")
                if name in known:
                    raw[name] = value
        if not raw.get("github-token") and env.get("GITHUB_TOKEN"):
            raw["github-token"] = env["GITHUB_TOKEN"]
        return cls.from_mapping(raw)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise UsageError(f"input {name!r}: expected text, got {value!r}")
    return value.strip()


def _bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value, name).lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise UsageError(f"input {name!r}: expected true or false, got {value!r}")


def _choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    text = _text(value, name).lower()
    if text not in choices:
        raise UsageError(f"input {name!r}: expected one of {', '.join(choices)}, got {value!r}")
    return text


def _list(value: Any, name: str) -> tuple[str, ...]:
    """A list, or text with one item per line or comma-separated (how workflows pass lists)."""
    if isinstance(value, list | tuple):
        items = [_text(v, name) for v in value]
    else:
        items = [p.strip() for p in _text(value, name).replace(",", "\n").splitlines()]
    return tuple(i for i in items if i)


def clean_working_directory(value: Any, name: str) -> Path:
    return Path(_text(value, name))


def clean_report_dir(value: Any, name: str) -> Path:
    return Path(_text(value, name))


def clean_base(value: Any, name: str) -> str:
    text = _text(value, name)
    if text.startswith("-") or any(c in text for c in " \t\n~^:?*[\\"):
        raise UsageError(f"input {name!r}: {text!r} is not a valid branch or git ref name")
    return text


def clean_config(value: Any, name: str) -> str:
    return _text(value, name)


def clean_metrics(value: Any, name: str) -> tuple[str, ...]:
    return _list(value, name)


def clean_params(value: Any, name: str) -> tuple[str, ...]:
    return _list(value, name)


def clean_projects(value: Any, name: str) -> tuple[str, ...]:
    return _list(value, name)


def clean_run(value: Any, name: str) -> str:
    return _text(value, name)


def clean_repro(value: Any, name: str) -> bool:
    return _bool(value, name)


def clean_push(value: Any, name: str) -> bool:
    return _bool(value, name)


def clean_comment(value: Any, name: str) -> str:
    return _choice(value, name, ("update", "new", "off"))


def clean_comment_id(value: Any, name: str) -> str:
    text = _text(value, name)
    if not all(c.isalnum() or c in "-_." for c in text):
        raise UsageError(f"input {name!r}: use letters, digits, '-', '_' or '.', got {text!r}")
    return text


def clean_status_context(value: Any, name: str) -> str:
    return _text(value, name)


def clean_check_run(value: Any, name: str) -> bool:
    return _bool(value, name)


def clean_fail_on_regression(value: Any, name: str) -> bool:
    return _bool(value, name)


def clean_plots(value: Any, name: str) -> str:
    return _choice(value, name, ("assets", "summary", "mermaid", "off"))


def clean_assets_branch(value: Any, name: str) -> str:
    return clean_base(value, name)


def clean_requirements(value: Any, name: str) -> str:
    return _text(value, name)


def clean_timeout_minutes(value: Any, name: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        text = _text(value, name)
        try:
            number = float(text)
        except ValueError:
            number = math.nan
    if not math.isfinite(number) or number <= 0 or number > 60 * 24 * 7:
        raise UsageError(
            f"input {name!r}: expected a number of minutes above 0 (at most a week), got {value!r}"
        )
    return number


def clean_trusted_checkout(value: Any, name: str) -> bool:
    return _bool(value, name)


def clean_bundles(value: Any, name: str) -> tuple[str, ...]:
    return _list(value, name)


def clean_base_run(value: Any, name: str) -> str:
    return _choice(value, name, ("auto", "always", "never"))


def clean_results_branch(value: Any, name: str) -> str:
    return clean_base(value, name)


def clean_results_depth(value: Any, name: str) -> int:
    text = str(value).strip() if isinstance(value, int | str) and value is not True else ""
    if not text.isdigit() or int(text) > 10_000:
        raise UsageError(
            f"input {name!r}: expected a number of commits from 0 to 10000, got {value!r}"
        )
    return int(text)


def clean_github_token(value: Any, name: str) -> str:
    return _text(value, name)
