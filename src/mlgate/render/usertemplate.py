"""A user template (`.mlgate.yml` `template:`, a file of the pull request): its environment, its
output with every mistake as one line, and where that output goes: below mlgate's own marker,
verdict and gates table, which it can neither replace nor imitate (issue 21)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2

from mlgate.errors import ConfigError
from mlgate.render import sandbox, sanitize


def environment(
    root: Path,
    directory: Path,
    setup: Callable[[Any], Any],
    options: Mapping[str, Any],
) -> sandbox.BudgetedSandbox:
    """A user's directory first, the package's templates reachable as `mlgate/<name>` (so a
    user template can `{% extends "mlgate/report.md.j2" %}` and override a block) and as
    themselves; a fresh environment per render, with the budget of `render.sandbox`."""
    package = jinja2.PackageLoader("mlgate", "templates")
    loader = jinja2.ChoiceLoader(
        [jinja2.PrefixLoader({"mlgate": package}), sandbox.RepoLoader(root, directory), package]
    )
    env = sandbox.BudgetedSandbox(loader=loader, **options)
    setup(env)
    sandbox.guard_filters(env)
    return env


def output(env: sandbox.BudgetedSandbox, user_template: Path, ctx: Mapping[str, Any]) -> str:
    """The template's own output; a one-line ConfigError naming it on a mistake. mlgate's base
    template, when extended, leaves out the verdict and gates it renders above (`verdict_above`)."""
    shown = user_template
    try:
        tpl = env.get_template(user_template.name)
        return sandbox.render_within_budget(env, tpl, **ctx, verdict_above=True)
    except sandbox.RenderLimitError:
        raise
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"{shown}:{exc.lineno}: template syntax error: {exc.message}") from exc
    except jinja2.TemplateError as exc:
        first = (str(exc) or type(exc).__name__).splitlines()[0]
        raise ConfigError(f"{shown}: template error: {first}") from exc
    except RecursionError as exc:
        raise ConfigError(
            f'{shown}: the template extends or includes itself; extend "mlgate/report.md.j2"'
        ) from exc
    except MemoryError:
        raise
    except Exception as exc:
        # the template's own arithmetic or calls (1/0, 10.0 ** 400, range(10 ** 6)) failed
        first = (str(exc) or type(exc).__name__).splitlines()[0][:200]
        raise ConfigError(f"{shown}: template error: {type(exc).__name__}: {first}") from exc


def below(header: str, text: str, links: Sequence[str]) -> str:
    """The template's output under mlgate's `header` (marker, verdict, gates), passed through
    the sanitizer of bundles: no raw HTML beyond layout tags, no mentions, no remote images,
    no links off the repository but `links`, no heading above level 3."""
    body = sanitize.markdown(text, links=links, demote_headings=True)
    return header.rstrip("\n") + "\n\n" + body
