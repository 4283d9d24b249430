"""report.html: the Markdown rendered by cmark-gfm (GitHub's renderer) for a local preview, and
the README's screenshot of the comment is made from it."""

import re


def test_html_preview_has_verdict_tables_and_images(plots_repo, cli, chdir) -> None:  # type: ignore[no-untyped-def]
    plots_repo.write(".mlgate.yml", "gates:\n  - metric: acc\n    max_drop: 0.01\n")
    chdir(plots_repo.path)
    res = cli("report", "--base", "main", "--out", "out")
    assert res.code == 1  # acc fell 0.1
    html = (plots_repo.path / "out" / "report.html").read_text()
    assert re.search(r"<h2>❌ mlgate report: 1 of 1 gate failed: acc [0-9.]+ → [0-9.]+ \(-", html)
    assert html.count("<table>") >= 3  # gates, metrics, plot data
    assert "<th>Metric</th>" in html
    images = re.findall(r'<img src="([^"]+)"', html)
    assert len(images) >= 9
    for src in images:
        assert (plots_repo.path / "out" / src).is_file()
    assert "<details><summary>Data</summary>" in html
