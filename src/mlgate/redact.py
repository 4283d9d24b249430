"""Secrets out of everything mlgate writes: the report, the job summary, bundles and outputs. Pure.

`::add-mask::` hides a value in the runner's log only; a training script that prints its
environment would otherwise publish the token in the PR comment. Every value of the environment
that looks like a credential is replaced by `***` wherever it appears in text mlgate produces.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping

Redactor = Callable[[str], str]

# Variable names whose values are secrets: the action's token, GitHub's and the runner's tokens,
# and anything named like a credential (AWS_SECRET_ACCESS_KEY, MY_API_KEY, DB_PASSWORD, ...).
_SECRET_NAME = re.compile(
    r"(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|(^|_)KEY($|_)|_KEY|APIKEY|AUTH)",
    re.IGNORECASE,
)
_ALWAYS = ("INPUT_GITHUB-TOKEN", "INPUT_GITHUB_TOKEN", "GITHUB_TOKEN", "ACTIONS_RUNTIME_TOKEN")
# Shorter values ("1", "true", a region name) would redact ordinary words; tokens are longer.
MIN_SECRET_LENGTH = 6
MASK = "***"


def _parts(value: str) -> Iterator[str]:
    """A secret, and the pieces of it a script may print alone: each line (GitHub masks a
    multi-line secret line by line), and for a JSON credential each text field and its lines
    (a service-account key's PEM body)."""
    yield value
    texts = [value]
    with contextlib.suppress(ValueError, RecursionError):
        texts += list(_strings(json.loads(value)))
    for text in texts:
        yield text
        yield from re.split(r"\r?\n|\\n", text)


def _strings(doc: object) -> Iterator[str]:
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for item in doc.values():
            yield from _strings(item)
    elif isinstance(doc, list):
        for item in doc:
            yield from _strings(item)


def secret_values(env: Mapping[str, str], extra: Iterable[str | None] = ()) -> tuple[str, ...]:
    """The values to hide: credential-named variables of `env`, plus `extra` (a token input)."""
    found: set[str] = set()
    for name, value in env.items():
        if name in _ALWAYS or name.startswith("ACTIONS_") or _SECRET_NAME.search(name):
            found.update(_parts(value))
    for given in extra:
        if given:
            found.update(_parts(given))
    values = {v.strip() for v in found if v and len(v.strip()) >= MIN_SECRET_LENGTH}
    # Longest first, so a secret that contains another is replaced whole.
    return tuple(sorted(values, key=len, reverse=True))


def redactor(secrets: Iterable[str]) -> Redactor:
    values = [s for s in secrets if s]
    if not values:
        return lambda text: text
    pattern = re.compile("|".join(re.escape(v) for v in values))

    def redact(text: str) -> str:
        return pattern.sub(MASK, text)

    return redact


def from_environ(env: Mapping[str, str], extra: Iterable[str | None] = ()) -> Redactor:
    return redactor(secret_values(env, extra))
