"""Which `.mlgate.yml` is in force, and which base it names.

In CI the keys that decide the merge gate come from the base revision's file, where a pull
request cannot change them (a PR cannot loosen its own gate); what only decides what is shown
comes from the PR. Outside CI, `mlgate report` applies the working tree's file whole and says
what CI will apply instead (issue 20). A `base:` that is not used is said, never dropped
silently.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from mlgate.config import Config, load_config
from mlgate.errors import ConfigError, InputError
from mlgate.log import Log
from mlgate.settings import Settings
from mlgate.sources.git import Git
from mlgate.sources.revision import Workspace

CONFIG_NAMES = (".mlgate.yml", ".mlgate.yaml")


def read_config(root: Path, settings: Settings, head: Workspace | None = None) -> Config:
    """`.mlgate.yml` from the workspace, read like any file a PR controls (no links out)."""
    head = head or Workspace(root)
    names = [settings.config] if settings.config else list(CONFIG_NAMES)
    for name in names:
        read = head.read([name])[name]
        if read.data is not None:
            return load_config(read.data, name)
        if not read.absent:
            raise InputError(f"{name}: {read.error}")
    if settings.config:
        raise InputError(f"{settings.config}: config file not found (input `config`)")
    return Config()


# What decides the merge gate comes from the base branch, where the PR cannot change it; what
# only decides what is shown (title, template, extra files to list) comes from the PR.
GOVERNING = ("base", "gates", "data", "base_run", "links", "projects")  # links: issue 21


def base_config(
    git: Git, sha: str, label: str, settings: Settings
) -> tuple[Config | None, str | None]:
    """The base revision's `.mlgate.yml` (None when it has none), or why it cannot be used."""
    names = [settings.config] if settings.config else list(CONFIG_NAMES)
    found = git.read_files(sha, names)
    for name in names:
        data = found.get(name)
        if data is not None:
            try:
                return load_config(data, f"{name} at {label}"), None
            except (InputError, ConfigError) as exc:
                return None, str(exc)
    return None, None


def govern(
    head: Config, base: Config | None, label: str, problem: str | None = None
) -> tuple[Config, list[str]]:
    """The config in force: the gate's keys from the base revision when it has a config (a PR
    cannot loosen its own gate), the rest from the PR; a note says what the PR changes. A base
    config that cannot be read (`problem`) governs nothing: the PR's gates are shown, and the
    verdict fails closed until the base branch is fixed (issue 20)."""
    if problem is not None:
        return dataclasses.replace(head, base_problem=problem), []
    if base is None:
        if head.present and head.gates:
            return head, [f"the gates come from this pull request: {label} has no .mlgate.yml yet"]
        return head, []
    changed = [k for k in GOVERNING if getattr(head, k) != getattr(base, k)]
    notes = []
    if changed and head.present:
        notes.append(
            f"this pull request changes {', '.join(f'`{k}`' for k in changed)} in .mlgate.yml; "
            f"{label}'s apply until it is merged"
        )
    governed = {k: getattr(base, k) for k in GOVERNING}
    return dataclasses.replace(head, **governed, warnings=base.warnings), notes


def choose_config(
    settings: Settings, git: Git, root: Path, log: Log, *, local: bool
) -> tuple[Config, str, str, list[str]]:
    """The config in force, the base ref and its sha, and notes. In CI the gate's keys come
    from the base revision's `.mlgate.yml` (a pull request cannot loosen its own gate); in a
    local run (`local`) the working tree's file applies whole, and one line says what CI
    applies instead. A `base:` that is not used is said on stderr (issue 20)."""
    head_config = read_config(root, settings, Workspace(root))
    wanted = settings.base or (head_config.base if local else None)
    base_ref = wanted or git.default_base()
    base_sha = git.resolve(base_ref)
    governing, problem = base_config(git, base_sha, base_ref, settings)
    # the default branch's config may name another base (never the PR's config)
    if not wanted and governing is not None and governing.base:
        base_ref = governing.base
        base_sha = git.resolve(base_ref)
        governing, problem = base_config(git, base_sha, base_ref, settings)
    itself = base_sha == git.rev_parse("HEAD")  # `mlgate record`: nothing is compared
    if head_config.base and head_config.base != base_ref and not itself:
        why = (
            "--base or the pull request's base branch wins"
            if settings.base
            else f"in CI the base comes from {base_ref}'s own .mlgate.yml, or the default branch"
        )
        log.warning(f".mlgate.yml: base: {head_config.base!r} is not used: {why}")
    if not local:
        config, notes = govern(head_config, governing, base_ref, problem)
        return config, base_ref, base_sha, notes
    changed = [
        k for k in GOVERNING if governing and getattr(head_config, k) != getattr(governing, k)
    ]
    if head_config.present and changed:  # the edit takes effect here, and not yet in CI
        log(
            f"local run: the gates of the working tree's .mlgate.yml apply (it changes "
            f"{', '.join(f'`{k}`' for k in changed)}); in CI, {base_ref}'s apply until the pull "
            "request is merged"
        )
    return head_config, base_ref, base_sha, []
