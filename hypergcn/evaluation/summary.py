"""``hypergcn summarize``: the results table with its uncertainty, and the paper-style table.

``summary.csv`` has one row per dataset / benchmark / size / stream-or-ensemble / selection, with the test
top-1 (%) over the training seeds: ``mean``, ``std`` (sample, n - 1; blank for one seed), ``min``, ``max``,
``n`` and ``seeds``, and ``gap``: the test-selected mean minus the honest mean of the same combination (how
much choosing the epoch on the test set flatters the number). Stream names stay ``joint`` ...
``j_b_jm_bm``. The honest selection is the best validation epoch when the file has a validation split,
else the last epoch; ``headline`` marks the selection ``deviations.model_selection`` puts first. The
authors' released weights get their own rows (selection "authors' released weights ...").

``paper_table.csv`` holds the same numbers in the layout of the paper's tables: streams and ensembles as
rows, ``dataset/benchmark/size`` and selection as columns, cells ``mean ± std``.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypergcn.datasets import MODALITIES, STREAM_SETS
from hypergcn.io import atomic_path

log = logging.getLogger(__name__)

ROWS: tuple[str, ...] = (*MODALITIES, *STREAM_SETS)
COLUMNS = ["dataset", "benchmark", "size", "stream", "selection", "headline", "n", "mean", "std", "min", "max",
           "gap", "seeds"]  # fmt: skip
PRETRAINED_SUFFIX = " (authors' weights)"
TEST_SELECTED_SUFFIX = " [test-selected]"
HONEST, TEST_SELECTED, RELEASED = "honest", "test-selected", "released"


@dataclass
class Cell:
    """The top-1 of one combination and selection over its seeds."""

    dataset: str
    benchmark: str
    size: str
    stream: str
    kind: str  # honest | test-selected | released
    selection: str  # the label outputs show
    top1: dict[int, float] = field(default_factory=dict)  # seed -> top-1

    @property
    def key(self) -> tuple[str, str, str, str]:
        return self.dataset, self.benchmark, self.size, self.stream

    def stats(self) -> dict[str, float | int | str]:
        values = [self.top1[seed] for seed in sorted(self.top1)]
        return {
            "n": len(values),
            "mean": statistics.fmean(values),
            "std": statistics.stdev(values) if len(values) > 1 else "",
            "min": min(values),
            "max": max(values),
        }


def _kind(metrics: dict[str, Any], released: bool) -> str:
    if released:
        return RELEASED
    return TEST_SELECTED if metrics.get("selection_key") == "test" else HONEST


def collect(
    eval_metrics: Iterable[Path], ensemble_metrics: Iterable[Path], released: Iterable[Path]
) -> list[Cell]:
    """One cell per combination and selection, gathering the seeds' top-1 from the metrics.json files."""
    cells: dict[tuple[str, ...], Cell] = {}
    sources = [(path, False) for path in [*eval_metrics, *ensemble_metrics]] + [
        (path, True) for path in released
    ]
    for path, is_released in sources:
        metrics = json.loads(Path(path).read_text())
        stream = metrics.get("streams") or metrics["modality"]
        kind = _kind(metrics, is_released)
        fields = (metrics["dataset"], metrics["benchmark"], metrics["size"], stream)
        cell = cells.setdefault((*fields, kind), Cell(*fields, kind, str(metrics.get("selection", ""))))
        seed = int(metrics.get("seed") or 0)
        if seed in cell.top1:
            raise ValueError(f"{path}: a second result for seed {seed} of {'/'.join(fields)} ({kind})")
        cell.top1[seed] = float(metrics["top1"])
    order = {name: i for i, name in enumerate(ROWS)}
    kinds = {HONEST: 0, TEST_SELECTED: 1, RELEASED: 2}
    return sorted(
        cells.values(), key=lambda c: (c.dataset, c.benchmark, c.size, order[c.stream], kinds[c.kind])
    )


def _number(value: float | int | str) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def summary_rows(cells: Sequence[Cell], headline: str) -> list[dict[str, str]]:
    """The rows of summary.csv; ``headline`` is the configured model_selection (last, val or test)."""
    means = {(c.key, c.kind): c.stats()["mean"] for c in cells}
    headline_kind = TEST_SELECTED if headline == "test" else HONEST
    rows = []
    for cell in cells:
        pair = [means.get((cell.key, kind)) for kind in (TEST_SELECTED, HONEST)]
        gap = pair[0] - pair[1] if cell.kind != RELEASED and None not in pair else ""
        values = {
            "dataset": cell.dataset,
            "benchmark": cell.benchmark,
            "size": cell.size,
            "stream": cell.stream,
        }
        values.update(selection=cell.selection, headline="yes" if cell.kind == headline_kind else "")
        values.update({k: _number(v) for k, v in cell.stats().items()})
        values.update(gap=_number(gap), seeds=" ".join(str(seed) for seed in sorted(cell.top1)))
        rows.append(values)
    return rows


def paper_table(cells: Sequence[Cell]) -> tuple[list[str], dict[str, dict[str, str]]]:
    """(columns, {stream: {column: "mean ± std"}}): the paper's layout, one column per selection."""
    suffix = {HONEST: "", TEST_SELECTED: TEST_SELECTED_SUFFIX, RELEASED: PRETRAINED_SUFFIX}
    columns: list[str] = []
    table: dict[str, dict[str, str]] = {row: {} for row in ROWS}
    for cell in cells:
        column = f"{cell.dataset}/{cell.benchmark}/{cell.size}{suffix[cell.kind]}"
        if column not in columns:
            columns.append(column)
        stats = cell.stats()
        spread = f" ± {stats['std']:.2f}" if stats["std"] != "" else ""
        table[cell.stream][column] = f"{stats['mean']:.2f}{spread}"
    return columns, table


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_summary(out: Path, cells: Sequence[Cell], headline: str, paper_out: Path | None = None) -> None:
    """Write ``summary.csv`` (and the paper-style table) and log the paper table's lines."""
    rows = summary_rows(cells, headline)
    _write_csv(out, COLUMNS, ([row[c] for c in COLUMNS] for row in rows))
    columns, table = paper_table(cells)
    lines = [[stream, *(table[stream].get(c, "") for c in columns)] for stream in ROWS if table[stream]]
    if paper_out is not None:
        _write_csv(paper_out, ["stream", *columns], lines)
    for line in [["stream", *columns], *lines]:
        log.info("%s", ", ".join(line))


# --------------------------------------------------------------------------------------------------
# Command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--eval", nargs="*", default=[], type=Path, help="evaluate_model metrics.json files")
    parser.add_argument(
        "--ensemble", nargs="*", default=[], type=Path, help="ensemble_streams metrics.json files"
    )
    parser.add_argument(
        "--pretrained", nargs="*", default=[], type=Path, help="metrics.json of the authors' released weights"
    )
    parser.add_argument(
        "--headline", default="last", choices=["last", "val", "test"], help="deviations.model_selection"
    )
    parser.add_argument("--out", required=True, type=Path, help="output summary.csv")
    parser.add_argument("--paper-table", type=Path, help="output paper-style table (CSV)")


def run(args: argparse.Namespace) -> int:
    if not (args.eval or args.ensemble or args.pretrained):
        log.error("nothing to summarise: give --eval, --ensemble or --pretrained metrics files")
        return 1
    try:
        cells = collect(args.eval, args.ensemble, args.pretrained)
    except (ValueError, KeyError) as err:
        log.error("%s", err)
        return 1
    write_summary(args.out, cells, args.headline, args.paper_table)
    return 0
