"""The model benchmark's report machinery: the step breakdown and the docs section it rewrites."""

from __future__ import annotations

import re

import pytest

from benchmarks import bench_model as bench


def test_write_section_replaces_only_the_generated_model_section(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(
        "# Benchmarks\n\n## Loader\nloader table\n\n## Model\nold table\n\n"
        "## Model speed target: status\nhand-written analysis\n"
    )
    bench.write_section(doc, ["## Model", "", "new table"])
    text = doc.read_text()
    assert "old table" not in text and "new table" in text
    assert "loader table" in text and "hand-written analysis" in text
    assert text.index("new table") < text.index("## Model speed target")


def test_breakdown_row_accounts_for_the_whole_profiled_step():
    row = bench.breakdown("base", bench.counted_gflop("reference", "base", 1, True), batch=1, steps=1)
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert len(cells) == len(bench.BREAKDOWN_HEADER[0].strip("|").split("|"))
    profiled = float(cells[4])
    kinds = [re.fullmatch(r"(\d+) \((\d+)%\)", cell) for cell in cells[5:]]
    assert all(kinds), cells
    assert sum(float(m.group(1)) for m in kinds) == pytest.approx(profiled, abs=len(kinds))
    assert sum(int(m.group(2)) for m in kinds) == pytest.approx(100, abs=len(kinds))
    assert float(cells[5].split()[0]) > 0  # the GEMMs are found under their aten names
