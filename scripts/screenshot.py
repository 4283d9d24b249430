"""Screenshots of a report as GitHub shows it: report.html (cmark-gfm) in headless Chromium, at
a desktop width and a phone width, each as tall as the whole comment; prints each height.

Usage: python scripts/screenshot.py REPORT_DIR OUT.png [--phone PHONE.png] [--width PX]
Makes the README's picture of the comment (`make screenshot`: OUT is docs/comment.png, 960 px;
the 400 px one goes beside the report). Needs Debian's `chromium` (`make screenshot` installs
it when run as root); Playwright's own browser download does not work offline.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

WIDE, PHONE = 960, 400
_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--virtual-time-budget=15000",  # lets every image load before the height is read
]
# Writes the laid-out page's height into the DOM that --dump-dom prints.
_MEASURE = (
    "<script>window.addEventListener('load', () => document.body.setAttribute("
    "'data-height', Math.ceil(document.documentElement.scrollHeight)));</script>"
)


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _run(browser: str, args: list[str]) -> str:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [browser, *_FLAGS, f"--user-data-dir={profile}", *args],
            check=True,
            capture_output=True,
            text=True,
            timeout=180,
        )
    return done.stdout


def _measured_page(report_dir: Path, work: Path) -> Path:
    """report.html with its images resolved from the report and the measuring script added."""
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    base = f"<base href='{report_dir.as_uri()}/'>"
    html = html.replace("<head>", "<head>" + base, 1).replace("</body>", _MEASURE + "</body>", 1)
    page = work / "measured.html"
    page.write_text(html, encoding="utf-8")
    return page


def height(browser: str, page: Path, width: int) -> int:
    """The page's full height in CSS pixels at `width` (a short window: no viewport padding)."""
    dom = _run(browser, [f"--window-size={width},100", "--dump-dom", page.as_uri()])
    found = re.search(r'data-height="(\d+)"', dom)
    if found is None:
        raise RuntimeError(f"chromium did not report the height of {page}")
    return int(found.group(1))


def shoot(browser: str, page: Path, width: int, out: Path) -> int:
    """A PNG of the whole page at `width`; returns its height."""
    tall = height(browser, page, width)
    out.parent.mkdir(parents=True, exist_ok=True)
    _run(browser, [f"--window-size={width},{tall}", f"--screenshot={out}", page.as_uri()])
    return tall


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report_dir", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--phone", type=Path, help=f"also a {PHONE} px wide shot here")
    parser.add_argument("--width", type=int, default=WIDE)
    args = parser.parse_args(argv)
    browser = chromium()
    if browser is None:
        print("chromium is not installed: apt-get install chromium", file=sys.stderr)
        return 2
    report_dir = args.report_dir.resolve()
    if not (report_dir / "report.html").is_file():
        print(f"{report_dir}/report.html: not found (run `mlgate demo` first)", file=sys.stderr)
        return 2
    shots = [(args.width, args.out.resolve())]
    if args.phone:
        shots.append((PHONE, args.phone.resolve()))
    with tempfile.TemporaryDirectory() as work:
        page = _measured_page(report_dir, Path(work))
        for width, out in shots:
            tall = shoot(browser, page, width, out)
            print(f"{width} px wide: {tall:,} px tall -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
