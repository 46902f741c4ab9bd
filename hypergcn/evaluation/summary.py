"""``hypergcn summarize``: the paper-style results table, and the plots and tables of the HTML report.

``summary.csv`` has one row per stream (joint, bone, joint_motion, bone_motion) and ensemble (j_b, j_b_jm,
j_b_jm_bm) and one column per ``dataset/benchmark/size``; cells are test top-1 in percent (2 decimals),
empty where a combination was not run. Authors' released checkpoints evaluated through ``pretrained:``
get their own columns, suffixed `` (authors' weights)``, so they never mix with our numbers. Columns whose
model was selected on the test set are suffixed `` [test-selected]``.

The report's figures and tables are drawn by ``hypergcn figure`` (:mod:`hypergcn.evaluation.figures`).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hypergcn.datasets import MODALITIES, STREAM_SETS
from hypergcn.io import atomic_path

log = logging.getLogger(__name__)

ROWS: tuple[str, ...] = (*MODALITIES, *STREAM_SETS)
PRETRAINED_SUFFIX = " (authors' weights)"
TEST_SELECTED_SUFFIX = " [test-selected]"


def _column(metrics: dict[str, Any], pretrained: bool) -> str:
    name = f"{metrics['dataset']}/{metrics['benchmark']}/{metrics['size']}"
    if pretrained:
        return name + PRETRAINED_SUFFIX
    return name


def summary_table(
    eval_metrics: Sequence[Path],
    ensemble_metrics: Sequence[Path] = (),
    pretrained_metrics: Sequence[Path] = (),
) -> tuple[list[str], dict[str, dict[str, float]]]:
    """(columns, {row: {column: top1}}) from metrics.json files (evaluate and ensemble outputs)."""
    cells: dict[str, dict[str, float]] = {row: {} for row in ROWS}
    columns: list[str] = []
    test_selected: set[str] = set()
    for paths, pretrained in ((eval_metrics, False), (ensemble_metrics, False), (pretrained_metrics, True)):
        for path in paths:
            metrics = json.loads(Path(path).read_text())
            row = metrics.get("streams") or metrics["modality"]
            column = _column(metrics, pretrained)
            if column not in columns:
                columns.append(column)
            cells[row][column] = float(metrics["top1"])
            if not pretrained and "TEST" in str(metrics.get("selection") or ""):
                test_selected.add(column)
    renamed = {c: c + TEST_SELECTED_SUFFIX if c in test_selected else c for c in columns}
    cells = {row: {renamed[c]: v for c, v in values.items()} for row, values in cells.items()}
    return [renamed[c] for c in columns], cells


def write_summary(
    out: Path,
    eval_metrics: Sequence[Path],
    ensemble_metrics: Sequence[Path] = (),
    pretrained_metrics: Sequence[Path] = (),
) -> list[str]:
    """Write ``summary.csv``; returns its lines (also logged)."""
    columns, cells = summary_table(eval_metrics, ensemble_metrics, pretrained_metrics)
    lines: list[str] = []
    with atomic_path(out) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["stream", *columns])
        for row in ROWS:
            values = [f"{cells[row][c]:.2f}" if c in cells[row] else "" for c in columns]
            if any(values):
                writer.writerow([row, *values])
                lines.append(",".join([row, *values]))
    for line in lines:
        log.info("%s", line)
    return lines


# --------------------------------------------------------------------------------------------------
# Command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--eval", nargs="*", default=[], type=Path, help="evaluate_model metrics.json files")
    parser.add_argument(
        "--ensemble", nargs="*", default=[], type=Path, help="ensemble_streams metrics.json files"
    )
    parser.add_argument(
        "--pretrained", nargs="*", default=[], type=Path, help="authors' checkpoints' metrics.json"
    )
    parser.add_argument("--out", required=True, type=Path, help="output summary.csv")


def run(args: argparse.Namespace) -> int:
    if not (args.eval or args.ensemble or args.pretrained):
        log.error("nothing to summarise: give --eval, --ensemble or --pretrained metrics files")
        return 1
    write_summary(args.out, args.eval, args.ensemble, args.pretrained)
    return 0
