from mlgate.render.fit import COMMENT_LIMIT, fit


def big_report(rows: int) -> str:
    table = "\n".join(f"| metric_{i} | {i / 7:.6f} | {i / 9:.6f} |" for i in range(rows))
    details = "<details><summary>Data</summary>\n\n" + table + "\n\n</details>"
    return (
        "<!-- mlgate:report id=default -->\n## ❌ mlgate report: 1 of 2 gates failed: acc fell\n\n"
        "### Gates\n\n| | Metric | Result |\n|---|---|---|\n| ❌ | acc | acc fell 0.1 |\n\n"
        "### Metrics\n\n| Metric | Base | Head |\n|---|---|---|\n" + table + "\n\n"
        "### Plots\n\n" + details + "\n"
    )


def test_a_200k_report_fits_and_keeps_verdict_and_gates() -> None:
    text = big_report(4000)
    assert len(text) > 200_000
    out = fit(text, COMMENT_LIMIT, "https://github.com/o/r/actions/runs/1")
    assert len(out) <= COMMENT_LIMIT
    assert out.startswith("<!-- mlgate:report id=default -->\n## ❌ mlgate report: 1 of 2 gates")
    assert "| ❌ | acc | acc fell 0.1 |" in out
    assert "more lines cut" in out
    assert "Full report: https://github.com/o/r/actions/runs/1" in out
    assert out.count("<details>") == out.count("</details>")


def test_small_report_is_untouched() -> None:
    text = big_report(3)
    assert fit(text) == text


def test_even_one_huge_line_is_cut_to_the_limit() -> None:
    out = fit("# x\n" + "y" * 100_000, 1000)
    assert len(out) <= 1000
