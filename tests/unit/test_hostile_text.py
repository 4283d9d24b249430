"""The pure parts of issue 21: the Markdown sanitizer shared by user templates and bundles,
secrets recognized by their shape, and names made safe for a text-layout call."""

from __future__ import annotations

import pytest

from mlgate import redact
from mlgate.marker import format_marker, split_marker
from mlgate.render import sanitize
from mlgate.render.escape import chart_label

SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[a](https://evil.example/x)", "a (https\u200b://evil.example/x)"),
        ("[a](plots/x.png)", "[a](plots/x.png)"),
        ("[a](#gates)", "[a](#gates)"),
        ("[a](/other/repo)", "a (/other/repo)"),
        ("[a](//evil.example)", "a (//evil.example)"),
        ("[a](javascript:alert(1))", "a (javascript:alert\\(1))"),
        (
            "![t](https://evil.example/t.png)",
            "*(image not shown: https\u200b://evil.example/t.png;",
        ),
        ("![p](plots/p.png)", "![p](plots/p.png)"),
        ("[r]: https://evil.example", "\\[r\\]: https\u200b://evil.example"),
        ("www.evil.example", "www\u200b.evil.example"),
        ("@org/team", "@\u200borg/team"),
        ("&#64;org &commat;x &amp; &lt;", "&amp;#64;org &amp;commat;x &amp; &lt;"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)>"),
        ("<details open><summary>s</summary></details>", "<details open><summary>s</summary>"),
        ("<!-- hidden -->", "&lt;!-- hidden -->"),
        (f"{format_marker('default', SHA)}\nbody", "body"),
        ("[<b onclick=x>@t</b>](plots/x.png)", "[&lt;b onclick=x>@\u200bt</b>](plots/x.png)"),
        ("\ue0000\ue001[a](https://e.x)", "0a (https\u200b://e.x)"),  # no forged placeholders
    ],
)
def test_the_sanitizer_keeps_what_is_safe_and_shows_the_rest_as_text(
    text: str, expected: str
) -> None:
    assert expected in sanitize.markdown(text)


def test_allowed_prefixes_stay_links_and_look_alikes_do_not() -> None:
    allowed = ["https://github.com/o/r"]
    text = "[a](https://github.com/o/r/pull/1) [b](https://github.com/o/r-evil/x) [c](https://github.com/o/r)"
    out = sanitize.markdown(text, links=allowed)
    assert "[a](https://github.com/o/r/pull/1)" in out
    assert "b (https\u200b://github.com/o/r-evil/x)" in out
    assert "[c](https://github.com/o/r)" in out


def test_headings_are_demoted_only_when_asked() -> None:
    text = "# One\n## Two\n### Three\nSetext\n===\nOther\n---\n"
    assert sanitize.markdown(text) == text
    out = sanitize.markdown(text, demote_headings=True)
    assert out.splitlines() == [
        "### One",
        "### Two",
        "### Three",
        "Setext",
        "\\===",
        "Other",
        "\\---",
    ]


@pytest.mark.parametrize(
    "secret",
    [
        "ghp_" + "A1b2C3d4E5" * 4,
        "ghs_" + "z" * 36,
        "github_pat_" + "11ABCDEFG0" * 5,
        "glpat-" + "x" * 20,
        "glrt-" + "Y" * 24,
        "AKIA" + "Q" * 16,
        "xoxb-1234567890-abcdefghij",
        "AIza" + "S" * 35,
        "hf_" + "h" * 34,
        "sk-proj-" + "k" * 40,
        "sk_live_" + "s" * 24,
        "npm_" + "n" * 36,
        "pypi-AgEIcHlwaS5vcmc" + "p" * 60,
        "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0xxxx.c2lnbmF0dXJl",
    ],
)
def test_well_known_token_shapes_are_redacted_anywhere(secret: str) -> None:
    text = f"value: {secret} (printed by train.py)"
    out = redact.redactor([])(text)
    assert secret not in out and "***" in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgres://ml:secret@db/x", "postgres://ml:***@db/x"),
        ("https://x-access-token:ghs_abc@github.com/o/r", "https://x-access-token:***@github.com"),
        ("Authorization: Bearer abcdefghijklmnop1234", "Authorization: Bearer ***"),
        ("curl -H 'authorization: token 0123456789abcdef'", "authorization: token ***"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),  # no password: nothing to hide
        ("https://github.com/o/r/pull/1", "https://github.com/o/r/pull/1"),
        ("xghp_" + "A" * 36, "xghp_" + "A" * 36),  # not a token's start
    ],
)
def test_url_passwords_and_headers_are_redacted(text: str, expected: str) -> None:
    assert expected in redact.redact_shapes(text)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("password=hunter22", "password=***"),
        ('{"api_key": "abcdef123"}', '{"api_key": "***"}'),
        ("db.password: s3cr3t!", "db.password: ***"),
        ("token_accuracy=0.93456", "token_accuracy=0.93456"),  # a number is never hidden
        ("tokenizer=bert-base-uncased", "tokenizer=bert-base-uncased"),
        ("author: someone-else", "author: someone-else"),
    ],
)
def test_assignments_in_a_commands_output_are_judged_by_the_names_parts(
    line: str, expected: str
) -> None:
    assert redact.LineRedactor(lambda t: t)(line) == expected


def test_a_private_key_printed_over_several_lines_is_hidden_line_by_line() -> None:
    lines = redact.LineRedactor(lambda t: t)
    out = [
        lines(x)
        for x in [
            "key=-----BEGIN RSA PRIVATE KEY-----",
            "MIIEpAIBAAKCAQEA",
            "-----END RSA PRIVATE KEY-----",
            "after",
        ]
    ]
    assert out == ["key=***", "***", "***", "after"]


def test_the_opening_marker_is_never_redacted_but_the_rest_is() -> None:
    marker = format_marker("default", SHA)
    out = redact.redactor(["default"])(f"{marker}\nthe default value")
    assert out == f"{marker}\nthe *** value"
    assert split_marker(f"x\n{marker}") == ("", f"x\n{marker}")  # only an opening one


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("loss\nwith a break", "loss\\nwith a break"),
        ("tab\tbed\r", "tab\\tbed\\r"),
        ("bell\x07", "bell\ufffd"),
        ("surrogate\udcff", "surrogate\ufffd"),
        ("rtl\u202eevil", "rtl\ufffdevil"),
        ("x" * 5000, "x" * 200),
    ],
)
def test_chart_labels_hold_nothing_a_font_cannot_lay_out(name: str, shown: str) -> None:
    assert chart_label(name) == shown


def test_result_json_is_redacted_by_shape_with_no_secret_in_the_environment() -> None:
    from mlgate.reportfiles import redact_result

    token = "ghp_" + "A1b2C3d4E5" * 4
    value = {"metrics": [{"metric": f"acc {token}", "new": 1}]}
    assert redact_result(value, redact.redactor([]), []) == {
        "metrics": [{"metric": "acc ***", "new": 1}]
    }


def test_bidirectional_controls_cannot_reverse_a_name_into_a_verdict() -> None:
    """A metric named "\u202edessap setag lla ✅" displayed as "✅ all gates passed" in the
    headline (a probe of the finished work, 2026-12-07): bidi controls are removed."""
    from mlgate.render.escape import html_text, md

    name = "\u202edessap setag lla \u2705 \u2066x\u2069\u200f"
    for out in (md(name), html_text(name)):
        assert not any(
            c in out for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
        )
