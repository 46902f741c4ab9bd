"""The HTML report as a person sees it: opened in headless Chromium, with the network cut off.

The report is the one of the test suite's tiny demo run (the session fixture ``demo_run`` of
tests/conftest.py builds it right after the run). Chromium's ``--dump-dom`` gives the page after its
scripts ran: the menu must list the new categories and the embedded results must hold the hypergraph, t-SNE
and per-class figures. Then every such figure's embedded image (its data URI, as the report carries it) is
laid out in one small page and screenshot; each figure's cell must show an image that is not blank (pixel
variance). Chromium runs as root here, so ``--no-sandbox``; no driver is needed.

Like the SLURM test, this skips where Chromium is not installed, unless ``HYPERGCN_REQUIRE_BROWSER=1``
(set by ``.ci/run``, which installs the Debian package ``chromium``): then it fails.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

REQUIRE = os.environ.get("HYPERGCN_REQUIRE_BROWSER") == "1"
CATEGORIES = ("Hypergraphs", "Embeddings (t-SNE)", "Per-class accuracy")
# Where the figures of each category live (results/report/...), and the image kinds it must show.
FIGURES = {"hypergraphs/": {"image/png", "image/gif"}, "tsne/": {"image/png"}, "per_class/": {"image/png"}}
CELL = 360  # pixels per figure in the screenshot page


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    message = "Chromium is not installed (Debian: apt-get install chromium)"
    if REQUIRE:
        pytest.fail(f"{message}; HYPERGCN_REQUIRE_BROWSER=1")
    pytest.skip(message)


def _run_chromium(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    """Headless Chromium as root, offline: every host name resolves to nothing, so a report that needed the
    network would show broken pieces."""
    cmd = [
        browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
        f"--user-data-dir={profile}", "--host-resolver-rules=MAP * ~NOTFOUND", *args,
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done


def _results(dom: str) -> dict[str, dict]:
    """The report's embedded results table (path -> name, mime type, data URI, ...)."""
    match = re.search(r"var results = (\{.*?\});?\s*</script>", dom, flags=re.S)
    assert match, "no results table in the report's page"
    return json.loads(match.group(1))


def _cell_variance(screenshot: Path, cells: int, columns: int) -> list[float]:
    """Pixel standard deviation (0-255 grey levels) of each figure's cell of the screenshot."""
    from PIL import Image

    with Image.open(screenshot) as image:
        grey = np.asarray(image.convert("L"), dtype=float)
    spreads = []
    for i in range(cells):
        row, column = divmod(i, columns)
        spreads.append(float(grey[row * CELL : (row + 1) * CELL, column * CELL : (column + 1) * CELL].std()))
    return spreads


def test_report_opens_in_a_browser_and_shows_every_learned_figure(demo_run: Path, tmp_path: Path) -> None:
    browser = _chromium()
    started = time.monotonic()
    report = demo_run / "report.html"
    dom = _run_chromium(browser, tmp_path / "profile", "--dump-dom", report.as_uri()).stdout.decode()
    for category in CATEGORIES:  # rendered by the report's scripts into its menu
        assert f"<span>{html.escape(category)}</span>" in dom, category
    results = _results(dom)
    chosen = {
        path: entry
        for path, entry in results.items()
        if any(f"results/report/{folder}" in path for folder in FIGURES)
        and entry["mime_type"].startswith("image/")
    }
    for folder, kinds in FIGURES.items():
        found = {entry["mime_type"] for path, entry in chosen.items() if f"results/report/{folder}" in path}
        assert found == kinds, (folder, found)
    assert any(path.endswith("-confused.csv") for path in results), "no confused-pairs table in the report"

    columns = 4
    rows = -(-len(chosen) // columns)
    cells = "".join(
        f'<div><img src="{html.escape(entry["data_uri"])}" alt="{html.escape(path)}"></div>'
        for path, entry in sorted(chosen.items())
    )
    page = tmp_path / "figures.html"
    page.write_text(
        "<!doctype html><html><head><style>"
        f"body{{margin:0;background:#fff}} .grid{{display:grid;grid-template-columns:repeat({columns},{CELL}px)}}"
        f" .grid div{{width:{CELL}px;height:{CELL}px;overflow:hidden}}"
        " img{width:100%;height:100%;object-fit:contain}"
        f"</style></head><body><div class='grid'>{cells}</div></body></html>"
    )
    shot = tmp_path / "figures.png"
    _run_chromium(
        browser, tmp_path / "profile", f"--window-size={columns * CELL},{rows * CELL}", f"--screenshot={shot}",
        page.as_uri(),
    )  # fmt: skip
    spreads = _cell_variance(shot, len(chosen), columns)
    blank = [path for path, spread in zip(sorted(chosen), spreads, strict=True) if spread < 5.0]
    assert not blank, f"blank figures in the browser: {blank} (pixel std {spreads})"
    assert time.monotonic() - started < 60, "the browser check should take seconds"
