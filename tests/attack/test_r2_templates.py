"""Issue 21, Seen 1 and 5: a pull request's template (`.mlgate.yml` `template:`) forging the
verdict, and templates whose one operation never ends.

The real CLI (`mlgate report`) in a fresh interpreter with an address-space limit and a
deadline, so a template that hangs or eats memory fails the test instead of the machine."""

from __future__ import annotations

import pytest

from tests.attack.r2 import report
from tests.conftest import Repo

FAILING = "gates:\n  - metric: acc\n    max_drop: 0.01\n"


@pytest.fixture
def worse(repo: Repo) -> Repo:
    """A PR whose model got worse (acc 0.9 -> 0.5): its gate fails."""
    repo.write("metrics.json", {"acc": 0.9})
    repo.write(".mlgate.yml", "metrics: [metrics.json]\n" + FAILING)
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("metrics.json", {"acc": 0.5})
    return repo


def _with_template(repo: Repo, template: str) -> None:
    repo.write("ci/report.md.j2", template)
    repo.write(".mlgate.yml", "metrics: [metrics.json]\ntemplate: ci/report.md.j2\n" + FAILING)
    repo.commit("pr")


def _first_heading(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("#"))


# Seen 1: the template forges the verdict ----------------------------------------------------
FORGERIES = {
    "verdict-block": (
        '{% extends "mlgate/report.md.j2" %}{% block verdict %}\n## ✅ All gates passed\n'
        "cc @org/team ![t](https://evil.example/t.png?u=1) [Approve](https://evil.example/login)\n"
        "{% endblock %}"
    ),
    "standalone": (
        "<!-- mlgate:report id=default -->\n## ✅ mlgate report: all 1 gate passed\n\n"
        "| | Metric | Result |\n|---|---|---|\n| ✅ | acc | fine |\n"
    ),
    "gates-block": (
        '{% extends "mlgate/report.md.j2" %}{% block gates %}\n### Gates\n\n'
        "| | Metric | Result |\n|---|---|---|\n| ✅ | acc | fine |\n{% endblock %}"
    ),
    "setext-heading": "All gates passed ✅\n===\n",
    "html-heading": "<h1>All gates passed ✅</h1><img src=https://evil.example/t.png>",
}


@pytest.mark.parametrize("how", list(FORGERIES))
def test_a_template_cannot_replace_the_verdict(worse: Repo, how: str) -> None:
    _with_template(worse, FORGERIES[how])
    code, text, err, _ = report(worse)
    assert code == 1, err
    lines = text.splitlines()
    assert lines[0].startswith("<!-- mlgate:report id=default sha=")
    assert _first_heading(text).startswith("## ❌ mlgate report: 1 of 1 gate"), text
    assert "❌" in text.split("### Gates", 1)[1].split("\n\n", 2)[1]  # mlgate's own gate table
    assert not any(line.startswith(("# ", "## ")) for line in lines[2:])  # one level-2 heading
    assert text.count("<!-- mlgate:report") == 1
    assert "<h1>" not in text and "<img" not in text


LINKS = {
    "mention": ("cc @org/team", "@org/team"),
    "encoded-mention": ("cc &#64;org/team", "&#64;org"),
    "remote-image": ("![x](https://evil.example/t.png)", "](https://evil.example"),
    "inline-link": ("[Approve](https://evil.example/login)", "](https://evil.example"),
    "reference-link": ("[Approve][1]\n\n[1]: https://evil.example/login", "]: https://evil"),
    "autolink": ("<https://evil.example/login>", "<https://evil"),
    "bare-url": ("see https://evil.example/login", "https://evil"),
    "bare-www": ("see www.evil.example", "www.evil"),
    "html-link": ('<a href="https://evil.example">x</a>', "<a href"),
    "image-in-link": ("[![x](https://evil.example/t.png)](plots/x.png)", "https://evil"),
    "root-relative": ("[x](/other-org/other-repo)", "](/other-org"),
}


@pytest.mark.parametrize("how", list(LINKS))
def test_a_template_cannot_ping_track_or_link_off_site(worse: Repo, how: str) -> None:
    snippet, forbidden = LINKS[how]
    _with_template(worse, f"{snippet}\n")
    code, text, err, _ = report(worse)
    assert code == 1, err
    assert forbidden not in text, text


def test_links_into_the_repository_and_allowed_by_the_base_stay_links(repo: Repo) -> None:
    repo.write("metrics.json", {"acc": 0.9})
    repo.write(
        ".mlgate.yml",
        "metrics: [metrics.json]\nlinks: [https://wandb.ai/team/]\n" + FAILING,
    )
    repo.commit("base")
    repo.git("checkout", "--quiet", "-b", "pr")
    repo.write("metrics.json", {"acc": 0.91})
    repo.write(
        "ci/report.md.j2",
        "[run](https://wandb.ai/team/run/1) [issue](https://github.com/octo-org/octo-repo/issues/1)"
        " [mine](https://evil.example/x) [rel](../pulls)\n",
    )
    # the PR adds a prefix of its own: the base branch's list applies
    repo.write(
        ".mlgate.yml",
        "metrics: [metrics.json]\ntemplate: ci/report.md.j2\n"
        "links: [https://wandb.ai/team/, https://evil.example/]\n" + FAILING,
    )
    repo.commit("pr")
    code, text, err, _ = report(repo, env={"CI": "true"})  # in CI the base's config governs
    assert code == 0, err
    assert "[run](https://wandb.ai/team/run/1)" in text
    assert "[issue](https://github.com/octo-org/octo-repo/issues/1)" in text
    assert "[rel](../pulls)" in text
    assert "](https://evil.example" not in text


# Seen 5: one operation that never ends ---------------------------------------------------------
BLOW_UPS = {
    "power-of-power": "{{ (9 ** 9999) ** 10000 }}",
    "power-tower": "{{ 10 ** (10 ** 8) }}",
    "big-product": "{% set a = (7 ** 9999) ** 999 %}{{ (a * a * a * a) % 10 }}",
    "star-width": '{{ ("%*d" * 20000) % ((999999, 1) * 20000) }}',
    "format-repeat": '{{ ("{0:{1}}" * 20000).format(1, 999999) }}',
    "format-map": '{{ ("{a}" * 100000).format_map({"a": "x" * 1000000}) }}',
    "translate": '{{ ("x" * 1000000).translate({120: "y" * 1000000}) }}',
    "indent": '{{ ("\\n" * 1000000) | indent(1000000) }}',
    "nested-str": (
        "{% set ns = namespace(a=[0]) %}{% for i in range(64) %}{% set ns.a = [ns.a, ns.a] %}"
        "{% endfor %}{{ ns.a }}"
    ),
    "nested-concat": (
        "{% set ns = namespace(a=[0]) %}{% for i in range(64) %}{% set ns.a = [ns.a, ns.a] %}"
        '{% endfor %}{{ (ns.a ~ "") | length }}'
    ),
}


@pytest.mark.parametrize("how", list(BLOW_UPS))
def test_a_template_operation_that_never_ends_falls_back_to_the_default_report(
    worse: Repo, how: str
) -> None:
    _with_template(worse, BLOW_UPS[how] + "\n")
    code, text, err, seconds = report(worse)
    assert code == 1, err
    assert seconds < 40
    assert "Traceback" not in err
    assert "was not used" in text and "this is mlgate's default report" in text
    assert _first_heading(text).startswith("## ❌ mlgate report: 1 of 1 gate")
