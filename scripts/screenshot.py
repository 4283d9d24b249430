"""Screenshot of a report as GitHub shows it: report.html (cmark-gfm) in headless Chromium.

Usage: python scripts/screenshot.py REPORT_DIR OUT.png [HEIGHT]
Makes the README's picture of the comment (`make screenshot`). Needs Debian's `chromium`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def main(argv: list[str]) -> int:
    report_dir, out = Path(argv[0]).resolve(), Path(argv[1]).resolve()
    height = int(argv[2]) if len(argv) > 2 else 1700
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("chromium is not installed: apt-get install chromium", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--window-size=1000,{height}",
                f"--screenshot={out}",
                (report_dir / "report.html").as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
