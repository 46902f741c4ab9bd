"""Per-class results of one metrics.json: accuracy per class as a sorted bar chart, and the most-confused
class pairs as a table.

Both read only ``per_class`` and ``confusion`` (and the title fields) of a metrics.json, so a stream, an
ensemble and the authors' released weights are shown alike. The chart sorts the classes by accuracy, best
first, and grows with the class count (about 0.16 inch and a 6-point label per class), so NTU-120's 120
classes stay legible. A pair is directed: (true class, predicted class), counted off the diagonal.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

from hypergcn.evaluation.plotting import class_labels, class_names, pyplot, save_figure
from hypergcn.io import atomic_path

PAIR_COLUMNS = ["rank", "true_label", "true_action", "predicted_label", "predicted_action", "count", "share"]


def _title(metrics: dict[str, Any]) -> str:
    what = metrics.get("streams") or metrics.get("modality")
    return f"{metrics.get('dataset')}/{metrics.get('benchmark')}/{metrics.get('size')} {what}"


def plot_per_class_accuracy(metrics: dict[str, Any], labels: list[str], out: Path) -> None:
    """Horizontal bars of each class's test accuracy, sorted best first; classes without a test sample are
    left out and counted in the title."""
    accuracy = metrics["per_class"]
    support = np.asarray(metrics["confusion"]).sum(axis=1)
    shown = sorted((k for k, value in enumerate(accuracy) if value is not None), key=lambda k: -accuracy[k])
    values = np.array([accuracy[k] for k in shown], dtype=float)
    count = max(len(shown), 1)
    font = 6 if count > 40 else 8
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 1.4 + 0.16 * count))
    colours = plt.get_cmap("RdYlGn")(values / 100.0)
    ax.barh(np.arange(len(shown)), values, color=colours, height=0.8)
    for row, value in enumerate(values):  # the number too, so a class at 0% is still visible
        ax.text(min(value, 88.0) + 1.0, row, f"{value:.0f}%", va="center", fontsize=font - 1)
    ax.set_yticks(np.arange(len(shown)), [f"{labels[k][:32]} (n={support[k]})" for k in shown], fontsize=font)
    ax.invert_yaxis()  # best class at the top
    ax.set_ylim(len(shown) - 0.5, -0.5)
    if len(values):
        ax.axvline(values.mean(), color="black", linestyle="--", linewidth=0.8, label="mean over classes")
        ax.legend(fontsize=7, loc="lower left")
    ax.set_xlim(0, 100)
    ax.set_xlabel("test accuracy of the class (%)")
    ax.grid(axis="x", alpha=0.3)
    missing = len(accuracy) - len(shown)
    note = f"; {missing} classes without a test sample" if missing else ""
    ax.set_title(
        f"{_title(metrics)}: per-class accuracy\ntop-1 {metrics['top1']:.2f}% over n={metrics['n']}{note}",
        fontsize=9,
    )
    fig.tight_layout()
    save_figure(fig, out)


def confused_pairs(confusion: np.ndarray, top: int = 10) -> list[tuple[int, int, int, float]]:
    """The ``top`` largest off-diagonal cells as (true, predicted, count, share of the true class in %),
    largest count first (ties: larger share, then lower labels); cells with no sample are never listed."""
    confusion = np.asarray(confusion, dtype=np.int64)
    totals = confusion.sum(axis=1)
    cells = [
        (int(i), int(j), int(confusion[i, j]), 100.0 * confusion[i, j] / totals[i])
        for i, j in zip(*np.nonzero(confusion), strict=True)
        if i != j
    ]
    cells.sort(key=lambda cell: (-cell[2], -cell[3], cell[0], cell[1]))
    return cells[:top]


def write_confused_pairs(metrics: dict[str, Any], names: list[str], out: Path, top: int = 10) -> None:
    """The most-confused pairs as a CSV table with the classes' action names (:data:`PAIR_COLUMNS`)."""
    with atomic_path(out) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(PAIR_COLUMNS)
        for rank, (true, predicted, count, share) in enumerate(confused_pairs(metrics["confusion"], top), 1):
            writer.writerow([rank, true, names[true], predicted, names[predicted], count, f"{share:.1f}"])


def per_class_figures(metrics_json: Path, dataset: str, chart: Path, pairs: Path, top: int = 10) -> None:
    """Both per-class outputs of one metrics.json: the sorted accuracy chart and the confused-pairs table."""
    metrics = json.loads(Path(metrics_json).read_text())
    count = len(metrics["per_class"])
    plot_per_class_accuracy(metrics, class_labels(dataset, count), chart)
    write_confused_pairs(metrics, class_names(dataset, count), pairs, top)
