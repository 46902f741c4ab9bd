"""The declared outputs of a training job: ``metrics.csv`` and ``model.pt``.

``model.pt`` keeps the weights of every model selection the run can make: the last epoch (its main
weights), the best validation epoch when the benchmark file has a validation split, and the best test epoch
when the test split was scored every epoch (recipe ``eval_test``; selected on the TEST set, the authors'
protocol). Evaluation picks one by ``deviations.model_selection``, so changing it never retrains. Its metadata
also holds what ``hypergcn predict`` needs to preprocess new clips as the benchmark's were: the benchmark
file's attributes (``data``) and the class names (``actions``; :mod:`hypergcn.models.model_file`).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import torch

import hypergcn
from hypergcn.config import SELECTION_LABELS, RunDescription
from hypergcn.data.benchmark_file import BenchmarkInfo
from hypergcn.io import atomic_path
from hypergcn.models.model_file import action_names_for, save_model_file
from hypergcn.training.state import Training, TrainSpec

METRIC_COLUMNS = [
    "epoch", "lr", "train_loss", "train_ce", "train_divergence", "train_top1",
    "val_loss", "val_top1", "val_top5", "test_loss", "test_top1", "test_top5",
    "samples_per_s", "epoch_s", "selected",
]  # fmt: skip


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


def _write_metrics(path: Path, history: list[dict[str, Any]], selected: dict[int, list[str]]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=METRIC_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in history:
            values = {k: _csv_value(row.get(k)) for k in METRIC_COLUMNS}
            values["selected"] = "; ".join(selected.get(int(row["epoch"]), []))
            writer.writerow(values)


def model_metadata(
    run: RunDescription, info: BenchmarkInfo, chosen: dict[str, int], digest: str, num_class: int
) -> dict[str, Any]:
    """The metadata of ``model.pt``: the run, the epoch of each selection (``chosen``), the benchmark
    file's identity and attributes (``data``), the class names and the versions."""
    return {
        "run": run.result_fields() | {"recipe": dict(run.recipe)},
        "dataset": info.dataset,
        "benchmark": info.benchmark,
        "selections": {s: {"epoch": e, "label": SELECTION_LABELS[s]} for s, e in chosen.items()},
        "epochs": int(run.recipe["epochs"]),
        "config_digest": digest,
        "data": info.identity,
        "actions": action_names_for(info.dataset_info, num_class),
        "package_version": hypergcn.__version__,
        "torch_version": torch.__version__,
    }


def write_outputs(spec: TrainSpec, info: BenchmarkInfo, training: Training, digest: str) -> None:
    """metrics.csv, then model.pt (the file downstream rules wait for), each atomically."""
    epochs = int(spec.run.recipe["epochs"])
    chosen = {"last": epochs, **{selection: int(best["epoch"]) for selection, best in training.best.items()}}
    selected: dict[int, list[str]] = {}
    for selection, epoch in chosen.items():
        selected.setdefault(epoch, []).append(SELECTION_LABELS[selection])
    _write_metrics(spec.metrics_out, training.history, selected)
    metadata = model_metadata(spec.run, info, chosen, digest, training.core.config.num_class)
    last = {k: v.detach().to("cpu", copy=True) for k, v in training.core.state_dict().items()}
    best = {selection: b["state"] for selection, b in training.best.items()}
    save_model_file(spec.model_out, training.core.config, last, metadata, selections=best)
