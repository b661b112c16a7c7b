"""`tfir explain`: the HTML report is self-contained, has every stage, maps IR
lines to source lines, and opens in headless Chromium without console errors."""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

from tests.support.common import ROOT
from tests.support.inspect_browser import Browser, find_chromium
from tfir.cli import main
from tfir.inspect.report import build_report, diff_table, ir_lines
from tfir.inspect.trace import Stage, load, trace

EXAMPLE = ROOT / "examples" / "mlp.tf"
MLP = EXAMPLE if EXAMPLE.exists() else ROOT.parent / "shared" / "conformance" / "programs" / "mlp.tf"
CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium and chromedriver are not installed")


def _stage(ir: str) -> Stage:
    return Stage(0, "p", "tf", {}, ir, 0.0, 0, 0, True, "p", ir)


def test_ir_lines_map_ops_and_region_openers_to_source_lines() -> None:
    ir = ('builtin.module {\n'
          '  %0 = "test.op"() : () -> i32 loc("a.tf":3:5)\n'
          '  %1 = linalg.generic {x} ins(%arg : tensor<4xf32> loc(unknown)) {\n'
          '    %2 = arith.addf %a, %b : f32 loc("a.tf":7:1)\n'
          '  } -> tensor<4xf32> loc("a.tf":6:2)\n'
          '  %3 = "test.op"() : () -> i32 loc("other.tf":9:1)\n'
          '} loc(unknown)')
    lines = ir_lines(_stage(ir), "a.tf")
    assert [x.src for x in lines] == [None, 3, 6, 7, 6, None, None]
    assert "loc(" not in "".join(x.text for x in lines)


def test_diff_ignores_renumbering_and_folds_unchanged_runs() -> None:
    from tfir.inspect.report import Line
    old = [Line(f"  %{i} = tf.op{i}", i) for i in range(20)]
    new = [Line(f"  %{i + 1} = tf.op{i}", i) for i in range(20) if i != 10]
    table = diff_table(old, new, "a", "b")
    assert table.count('class="l del"') == 1 and 'class="r add"' not in table  # one line erased
    assert table.count('class="l ren"') == 19  # the others were only renamed
    assert table.count('class="fold"') == 2 and table.count('<tbody class="fb" hidden>') == 2


def test_report_is_self_contained_and_has_every_stage(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert main(["explain", str(MLP), "-o", str(out)]) == 0
    page = out.read_text()
    result = trace(load(MLP))
    for stage in result.stages:
        assert f'id="s{stage.index}"' in page
    assert not re.search(r"""<(link|img|iframe)\b|\bsrc=|href="(https?:)?//|url\(|@import""", page)
    assert page.count("<script>") == 1 and len(page[page.index("<script>"):page.index("</script>")]) < 3000
    for n in range(1, len(MLP.read_text().splitlines()) + 1):
        assert f'id="L{n}"' in page
    assert 'data-l="3"' in page  # the matmul of `dense` at line 3 is tagged in the stages and graph


def test_report_has_the_fusion_panel(tmp_path: Path) -> None:
    out = tmp_path / "attention.html"
    assert main(["explain", str(ROOT / "examples" / "attention.tf"), "-o", str(out)]) == 0
    page = out.read_text()
    panel = page[page.index('<section id="fusion">'):]
    panel = panel[:panel.index("</section>")]
    assert "6 pairs left unfused by fuse-elementwise, and why" in panel
    assert panel.count("<tr>") == 7  # the head and one row per pair
    # exp(scores - max) is read by the sum and by the division: kept, not recomputed (line 7).
    assert re.search(r'<td data-l="7"><code>%e = elementwise \{mulf, select, subf, exp\}[^<]*</code></td>'
                     r'<td data-l="7"><code>%_ = reduction \{addf\}', panel)
    assert '<b title="a broadcast or several consumers would recompute' in panel
    assert '<dt>contraction</dt><dd>target rule:' in panel
    assert 'href="#fusion"' in page and "tfir.fusion" not in page


@needs_chromium
def test_report_in_headless_chromium(tmp_path: Path) -> None:
    out = tmp_path / "mlp.html"
    assert main(["explain", str(MLP), "-o", str(out)]) == 0
    stages = trace(load(MLP)).stages
    assert CHROMIUM is not None
    with Browser(*CHROMIUM) as browser:
        browser.open(out)
        errors = [e for e in browser.console() if e.get("level") == "SEVERE"]
        assert not errors, errors
        found = browser.run("return Array.from(document.querySelectorAll('details.stage')).map("
                            "d => [d.id, d.querySelector('.name').textContent, d.open])")
        assert [f[0] for f in found] == [f"s{s.index}" for s in stages]
        for (_, name, is_open), stage in zip(found, stages, strict=True):
            assert stage.pass_name in name or stage.pass_name == "frontend"
            assert is_open == (stage.changed or stage.index == 0)  # no-op passes are folded
        assert browser.run("return document.querySelectorAll('#graph svg g.node').length") > 10
        browser.click("#L8")  # let h = relu(dense(x, w1 * 0.05, b1));
        lit = browser.run("return [document.querySelectorAll('#graph .hl').length,"
                          " document.querySelectorAll('td.r.hl').length,"
                          " document.querySelectorAll('.hits.on').length, document.querySelector('#L8.hl') !== null]")
        assert lit[0] >= 2 and lit[1] >= len(stages) and lit[2] >= 3 and lit[3], lit
        browser.set_size(1400, 1000)
        browser.screenshot(tmp_path / "mlp.png")
        browser.run("document.getElementById('s7').scrollIntoView()")
        browser.screenshot(tmp_path / "mlp-stage.png")
        assert (tmp_path / "mlp.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        keep = os.environ.get("TFIR_REPORT_PNG_DIR")  # to look at the page: set it to a folder
        if keep:
            for name in ("mlp.png", "mlp-stage.png"):
                shutil.copy(tmp_path / name, Path(keep) / name)
        assert not [e for e in browser.console() if e.get("level") == "SEVERE"]


def _big_program(lines: int) -> str:
    """A stack of `lines` dense layers (about 5 tf ops each) with a centering every fifth."""
    body = ["    let h0 = x;"]
    for i in range(1, lines):
        if i % 5 == 0:
            body.append(f"    let h{i} = h{i - 1} - mean(h{i - 1}, axis=1, keepdims=true);")
        else:
            body.append(f"    let h{i} = tanh(h{i - 1} @ w + b) * 0.5;")
    body.append(f"    return softmax(h{lines - 1}, axis=-1);")
    return "fn main(x: f32[16, 32], w: f32[32, 32], b: f32[32]) -> f32[16, 32] {\n" + "\n".join(body) + "\n}\n"


@needs_chromium
def test_report_of_a_200_op_program_loads_quickly(tmp_path: Path) -> None:
    src = tmp_path / "big.tf"
    src.write_text(_big_program(45))
    result = trace(load(src))
    assert result.stages[0].ops_after >= 200
    start = time.perf_counter()
    page = build_report(result)
    assert time.perf_counter() - start < 10
    out = tmp_path / "big.html"
    out.write_text(page)
    assert CHROMIUM is not None
    with Browser(*CHROMIUM) as browser:
        browser.open(out)
        ms = browser.run("var t = performance.getEntriesByType('navigation')[0];"
                         " return t.loadEventEnd - t.startTime;")
        assert not [e for e in browser.console() if e.get("level") == "SEVERE"]
        assert ms < 3000, f"the report took {ms:.0f} ms to load"
        browser.click("#L3")
        assert browser.run("return document.querySelectorAll('td.r.hl').length") > 0
