"""`make screenshot`'s script: a report shot whole in headless Chromium at 960 and 400 px."""

from __future__ import annotations

import importlib.util
import shutil
import struct
from pathlib import Path
from types import ModuleType

import pytest

from mlgate.render.html import page

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "screenshot.py"

pytestmark = pytest.mark.skipif(
    shutil.which("chromium") is None and shutil.which("chromium-browser") is None,
    reason="needs Debian's chromium (apt-get install chromium; `make screenshot` installs it); "
    "CI's fresh machine does not install a browser for this one test",
)


def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("screenshot", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png_size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


def test_both_widths_are_shot_whole_and_their_heights_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report"
    report.mkdir()
    rows = "\n".join(f"| metric {i} | {i} |" for i in range(40))
    markdown = f"## ❌ headline\n\n| Metric | Value |\n|---|---:|\n{rows}\n"
    (report / "report.html").write_text(page(markdown))
    wide, phone = tmp_path / "wide.png", tmp_path / "phone.png"
    assert script().main([str(report), str(wide), "--phone", str(phone)]) == 0
    out = capsys.readouterr().out.splitlines()
    heights = {}
    for line in out:
        width, _, rest = line.partition(" px wide: ")
        heights[int(width)] = int(rest.split(" px tall")[0].replace(",", ""))
    assert png_size(wide) == (960, heights[960])
    assert png_size(phone) == (400, heights[400])
    assert heights[960] > 40 * 20  # forty table rows, whole


def test_a_missing_report_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert script().main([str(tmp_path), str(tmp_path / "x.png")]) == 2
    assert "report.html: not found" in capsys.readouterr().err
