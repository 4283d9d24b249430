"""Secrets out of everything mlgate writes: the report, the job summary, bundles and outputs. Pure.

`::add-mask::` hides a value in the runner's log only; a training script that prints its
environment would otherwise publish the token in the PR comment. Two nets, both applied to every
text mlgate produces:

- **by name**: every value of the environment whose variable is named like a credential, matched
  on the name's parts (`DB_PASSWORD`, `apiKey`, `HF_TOKEN`; `AUTH` but never `AUTHOR`), and the
  CI's own credential variables whatever their names (`CI_JOB_JWT`, `ACTIONS_RUNTIME_TOKEN`);
- **by shape**: text that is a credential wherever it came from: the password of a URL
  (`postgres://ml:***@db/x`), a JWT, a private key block, an `Authorization:` header, a
  `password=...` assignment, and the well-known token formats (`ghp_`, `ghs_`, `github_pat_`,
  `glpat-`, AWS access keys, Slack, Google, Hugging Face, OpenAI, npm, PyPI, Stripe).

mlgate's own marker opening a comment is never redacted: a credential-named variable holding a
common word (`default`) would otherwise rewrite it, and the comment could not be found again.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from mlgate.marker import split_marker

Redactor = Callable[[str], str]

# The CI's own credentials, whatever their names say (GitHub Actions, GitLab CI, the action's
# token input). `ACTIONS_*` are the runner's internal tokens and URLs: all of them.
ALWAYS = frozenset(
    {
        "INPUT_GITHUB-TOKEN",
        "INPUT_GITHUB_TOKEN",
        "GITHUB_TOKEN",
        "CI_JOB_TOKEN",
        "CI_JOB_JWT",
        "CI_JOB_JWT_V1",
        "CI_JOB_JWT_V2",
        "CI_BUILD_TOKEN",
        "CI_REGISTRY_PASSWORD",
        "CI_DEPENDENCY_PROXY_PASSWORD",
        "CI_DEPLOY_PASSWORD",
        "CI_REPOSITORY_URL",  # https://gitlab-ci-token:<job token>@gitlab.example/...
        "MLGATE_GITLAB_TOKEN",
        "GITLAB_TOKEN",
        "DOCKER_AUTH_CONFIG",
    }
)
# Name parts that make a variable a credential. A part matches when it is one of these words, or
# ends with one of the long ones (`APITOKEN`, `DBPASSWORD`, `OAUTH`, `ACCESSKEY`).
_WORDS = frozenset(
    {
        "TOKEN",
        "TOKENS",
        "SECRET",
        "SECRETS",
        "PASSWORD",
        "PASSWORDS",
        "PASSWD",
        "PASS",
        "PASSPHRASE",
        "CREDENTIAL",
        "CREDENTIALS",
        "CREDS",
        "KEY",
        "KEYS",
        "APIKEY",
        "AUTH",
        "JWT",
        "PAT",
        "DSN",
        "COOKIE",
    }
)
_ENDINGS = ("TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIALS", "KEY", "AUTH")
_PART = re.compile(r"[A-Z]+[a-z0-9]*|[a-z0-9]+|[A-Z]+(?![a-z])")
# Shorter values ("1", "true", a region name) would redact ordinary words; tokens are longer.
MIN_SECRET_LENGTH = 6
MASK = "***"


def is_secret_name(name: str) -> bool:
    """A variable (or key) named like a credential, judged on its parts: `GITHUB_TOKEN`,
    `db-password`, `apiKey`, `OAUTH_CLIENT`; not `GIT_AUTHOR_NAME`, `TOKENIZERS_PARALLELISM`."""
    if name in ALWAYS or name.startswith("ACTIONS_"):
        return True
    for part in _PART.findall(name.replace("-", "_")):
        word = part.upper()
        if word in _WORDS or (len(word) > 4 and word.endswith(_ENDINGS)):
            return True
    return False


# --- shapes -----------------------------------------------------------------------------------
_GITLAB = ("pat", "dt", "ptt", "rt", "oas", "cbt", "ft", "imt", "agent", "soat", "ffct", "wt")
# (how a token starts, the pattern of the whole token)
_TOKEN_FORMATS = (
    (r"gh[pousr]_", r"gh[pousr]_[A-Za-z0-9]{30,255}"),  # GitHub: personal, OAuth, app, refresh
    (r"github_pat_", r"github_pat_[A-Za-z0-9_]{22,255}"),
    (rf"gl(?:{'|'.join(_GITLAB)})-", rf"gl(?:{'|'.join(_GITLAB)})-[A-Za-z0-9_-]{{20,}}"),  # GitLab
    (r"GR1348941", r"GR1348941[A-Za-z0-9_-]{20,}"),  # a GitLab runner registration token
    (r"A(?:KI|SI|BI|CC)A", r"A(?:KI|SI|BI|CC)A[A-Z0-9]{16}"),  # AWS access key ids
    (r"xox[abposr]-", r"xox[abposr]-[A-Za-z0-9-]{10,}"),  # Slack
    (r"AIza", r"AIza[0-9A-Za-z_-]{35}"),  # Google API keys
    (r"hf_", r"hf_[A-Za-z0-9]{30,}"),  # Hugging Face
    (r"sk-", r"sk-(?:proj-|ant-|svcacct-)?[A-Za-z0-9_-]{20,}"),  # OpenAI, Anthropic
    (r"[rs]k_(?:live|test)_", r"[rs]k_(?:live|test)_[0-9A-Za-z]{16,}"),  # Stripe
    (r"npm_", r"npm_[A-Za-z0-9]{36}"),
    (r"pypi-", r"pypi-AgE[A-Za-z0-9_-]{40,}"),
    (r"eyJ", r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),  # a JWT (CI_JOB_JWT)
    (
        r"-----BEGIN",
        r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?-----END[A-Z0-9 ]*"
        r"PRIVATE KEY(?: BLOCK)?-----",
    ),
)
# Where a token may start (a fast scan: one small alternation), then the whole token is matched
# there: one big alternation tried at every position costs seconds on a large report.
# The patterns below are compiled at first use (`re` keeps them): 2 ms of every start-up else.
_START = "|".join(start for start, _ in _TOKEN_FORMATS)
_TOKEN = rf"(?:{'|'.join(whole for _, whole in _TOKEN_FORMATS)})(?![A-Za-z0-9])"
_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
# scheme://user:password@host: the password only (the user and the host help a reader). The
# pattern starts with its literal `://`, so the regex engine skips to each one.
_USERINFO = r"(://[^\s/@:\"'<>]*:)([^\s/@\"'<>]+)(@)"
# `Authorization: Bearer <credential>`, `Basic <credential>`, `token <credential>`
_AUTH_HEADER = (
    r"(?i)\b((?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?(?:bearer|basic|token|digest)?\s*)"
    r"([^\s\"',;]{6,})"
    r"|\b(bearer\s+)([A-Za-z0-9._~+/-]{16,}=*)"
)
# `password=hunter22`, `"api_key": "abc..."`, `DB_PASSWORD: x`: judged by the name's parts. For
# a command's output (where scripts print their settings), not for tables of metric names.
_ASSIGNMENT = (
    r"(?<![A-Za-z0-9_.-])([A-Za-z][A-Za-z0-9_.-]{1,60})([\"']?\s{0,3}[:=]\s{0,3}[\"']?)"
    r"([^\s\"',;&|)}\]]{6,})"
)
_NUMBER = re.compile(r"[-+]?(\d[\d_]*)?\.?\d*(e[-+]?\d+)?%?", re.IGNORECASE)


def _assignment(m: re.Match[str]) -> str:
    name, sep, value = m.group(1), m.group(2), m.group(3)
    if value == MASK or _NUMBER.fullmatch(value) or not is_secret_name(name.rsplit(".", 1)[-1]):
        return m.group(0)
    return f"{name}{sep}{MASK}"


def _auth(m: re.Match[str]) -> str:
    return (m.group(1) if m.group(1) is not None else m.group(3)) + MASK


def _tokens(text: str) -> str:
    out: list[str] = []
    done = 0
    token = re.compile(_TOKEN)
    for start in re.finditer(_START, text):
        at = start.start()
        if at < done or (at and text[at - 1] in _WORD_CHARS and text[at] != "-"):
            continue
        m = token.match(text, at)
        if m is not None:
            out += [text[done:at], MASK]
            done = m.end()
    return "".join(out) + text[done:] if out else text


def redact_shapes(text: str) -> str:
    """Credentials recognized by their shape, wherever they occur."""
    text = _tokens(text)
    if "://" in text:
        text = re.sub(_USERINFO, lambda m: m.group(1) + MASK + m.group(3), text)
    if "uthorization" in text or "earer" in text:
        text = re.sub(_AUTH_HEADER, _auth, text)
    return text


def redact_assignments(text: str) -> str:
    """`name=value` and `name: value` where the name is a credential's (a command's output)."""
    return re.sub(_ASSIGNMENT, _assignment, text) if ("=" in text or ":" in text) else text


_KEY_BEGIN = re.compile(r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_KEY_END = re.compile(r"-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")


class LineRedactor:
    """Redact a command's output line by line, as it streams: `redact` and `name=value`
    assignments on each line, and every line of a private key block, which spans lines."""

    def __init__(self, redact: Redactor) -> None:
        self.redact = redact
        self.in_key = False

    def __call__(self, line: str) -> str:
        if self.in_key:
            self.in_key = _KEY_END.search(line) is None
            return MASK
        begin = _KEY_BEGIN.search(line)
        if begin is not None and _KEY_END.search(line, begin.end()) is None:
            self.in_key = True
            return self.redact(line[: begin.start()]) + MASK
        return redact_assignments(self.redact(line))


# --- values of the environment ----------------------------------------------------------------
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
        if is_secret_name(name):
            found.update(_parts(value))
    for given in extra:
        if given:
            found.update(_parts(given))
    values = {v.strip() for v in found if v and len(v.strip()) >= MIN_SECRET_LENGTH}
    # Longest first, so a secret that contains another is replaced whole.
    return tuple(sorted(values, key=len, reverse=True))


def redactor(secrets: Iterable[str]) -> Redactor:
    """Replace `secrets` and every credential-shaped text by `***`, leaving the marker that
    opens a comment as it is."""
    values = [s for s in secrets if s]
    pattern = re.compile("|".join(re.escape(v) for v in values)) if values else None

    def redact(text: str) -> str:
        marker, rest = split_marker(text)
        if pattern is not None:
            rest = pattern.sub(MASK, rest)
        return marker + redact_shapes(rest)

    return redact


def from_environ(env: Mapping[str, str], extra: Iterable[str | None] = ()) -> Redactor:
    return redactor(secret_values(env, extra))


def redact_json(value: Any, redact: Redactor) -> Any:
    """Every text value (and key) of a JSON document through `redact`."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_json(k, redact): redact_json(v, redact) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_json(v, redact) for v in value]
    return value
