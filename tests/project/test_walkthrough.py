"""docs/walkthrough.md runs: its Python blocks, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "walkthrough.md"


def test_walkthrough_blocks_run(tmp_path: Path, monkeypatch, capsys) -> None:
    blocks = re.findall(r"^```python\n(.*?)^```", PAGE.read_text(encoding="utf-8"), re.S | re.M)
    assert len(blocks) >= 6
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)  # what the page saves lands here
    namespace: dict[str, object] = {}
    for k, block in enumerate(blocks):
        exec(compile(block, f"{PAGE.name}[block {k}]", "exec"), namespace)  # noqa: S102 - the page's own code
    printed = capsys.readouterr().out
    assert "(32, 10) float32" in printed and "x.astype(np.float32)" in printed
    assert (tmp_path / "mlp.svg").read_text().lstrip().startswith("<?xml")
    assert (tmp_path / "mlp-fused.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "tfir explain" in (tmp_path / "mlp.html").read_text()
