"""``hypergcn figure``: the figures and tables of the HTML report, one file (or one folder) per call.

``curves`` draws loss, top-1 and learning rate per epoch of a dataset/benchmark/size's streams;
``confusion`` the row-normalised confusion matrix of one metrics.json (action names from the dataset's
declaration, ``--declaration`` for a user's; the NTU demo's synthetic classes stay numbered); ``summary`` the top-1 of
summary.csv with its spread over the seeds; ``statistics`` turns the data stage's statistics.json into a
two-column table. The figures that show what the model learned live in their own modules, run through the
same command: ``hypergraphs`` (:mod:`hypergcn.evaluation.hypergraph_figures`), ``tsne``
(:mod:`hypergcn.evaluation.embeddings`) and ``per-class`` (:mod:`hypergcn.evaluation.per_class`); they are
imported only when asked for, so drawing a curve never imports torch.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hypergcn.datasets import add_dataset_arguments, load_declaration, register
from hypergcn.evaluation.plotting import action_names_of, pyplot, save_figure
from hypergcn.io import atomic_path

log = logging.getLogger(__name__)


def read_metrics_csv(path: Path) -> list[dict[str, float | str]]:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    parsed: list[dict[str, float | str]] = []
    for row in rows:
        parsed.append(
            {k: (float(v) if v not in ("", None) and k != "selected" else v) for k, v in row.items()}
        )
    return parsed


def plot_training_curves(
    metrics_csvs: Sequence[Path], labels: Sequence[str], out: Path, title: str = ""
) -> None:
    """Loss, top-1 and learning rate per epoch for several streams of one dataset/benchmark/size."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for path, label in zip(metrics_csvs, labels, strict=True):
        rows = read_metrics_csv(Path(path))
        epochs = [r["epoch"] for r in rows]
        (line,) = axes[0].plot(epochs, [r["train_loss"] for r in rows], marker=".", label=label)
        axes[1].plot(
            epochs,
            [r["train_top1"] for r in rows],
            marker=".",
            color=line.get_color(),
            label=f"{label} train",
        )
        for split, style in (("val", "--"), ("test", ":")):
            values = [r.get(f"{split}_top1") for r in rows]
            if any(isinstance(v, float) for v in values):
                axes[1].plot(epochs, values, style, color=line.get_color(), label=f"{label} {split}")
        axes[2].plot(epochs, [r["lr"] for r in rows], color=line.get_color(), label=label)
    for ax, name in zip(axes, ("training loss (CE + divergence)", "top-1 (%)", "learning rate"), strict=True):
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    save_figure(fig, out)


def plot_confusion(metrics_json: Path, out: Path, class_names: Sequence[str] | None = None) -> None:
    """Row-normalised confusion matrix (recall per true class) of one metrics.json."""
    import numpy as np

    plt = pyplot()
    metrics = json.loads(Path(metrics_json).read_text())
    confusion = np.asarray(metrics["confusion"], dtype=float)
    totals = confusion.sum(axis=1, keepdims=True)
    normalised = np.divide(confusion, totals, out=np.zeros_like(confusion), where=totals > 0)
    k = len(confusion)
    size = min(max(4.0, 0.28 * k + 2.5), 24.0)
    fig, ax = plt.subplots(figsize=(size, size * 0.9))
    image = ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    what = metrics.get("streams") or metrics.get("modality")
    ax.set_title(
        f"{metrics.get('dataset')}/{metrics.get('benchmark')}/{metrics.get('size')} {what}: "
        f"top-1 {metrics['top1']:.2f}% (n={metrics['n']})"
    )
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if k <= 30:
        ticks = list(range(k))
        tick_labels = [f"{i}" if not class_names else f"{i} {class_names[i][:18]}" for i in ticks]
        ax.set_xticks(ticks, [str(i) for i in ticks], fontsize=7)
        ax.set_yticks(ticks, tick_labels, fontsize=7)
        for i in range(k):
            for j in range(k):
                if confusion[i, j]:
                    colour = "white" if normalised[i, j] > 0.5 else "black"
                    ax.text(j, i, int(confusion[i, j]), ha="center", va="center", fontsize=6, color=colour)
    fig.tight_layout()
    save_figure(fig, out)


def flatten_json(obj: Any, prefix: str = "", max_list: int = 40) -> list[tuple[str, str]]:
    """(key path, value) rows of a JSON document, for a two-column report table; long lists are summarised."""
    rows: list[tuple[str, str]] = []
    if isinstance(obj, float):
        return [(prefix, f"{obj:.6g}")]
    if isinstance(obj, dict):
        for key, value in obj.items():
            rows.extend(flatten_json(value, f"{prefix}.{key}" if prefix else str(key), max_list))
    elif isinstance(obj, list):
        if all(not isinstance(v, (dict, list)) for v in obj) and len(obj) <= max_list:
            rows.append((prefix, ", ".join(_scalar(v) for v in obj)))
        elif all(not isinstance(v, (dict, list)) for v in obj):
            rows.append((prefix, f"{len(obj)} values: " + ", ".join(_scalar(v) for v in obj[:10]) + ", ..."))
        else:
            for i, value in enumerate(obj[:max_list]):
                rows.extend(flatten_json(value, f"{prefix}[{i}]", max_list))
            if len(obj) > max_list:
                rows.append((prefix, f"... {len(obj) - max_list} more entries"))
    else:
        rows.append((prefix, str(obj)))
    return rows


def _scalar(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def statistics_table(statistics_json: Path, out: Path) -> None:
    """The data stage's statistics.json as a two-column CSV (``key``, ``value``) for the report."""
    data = json.loads(Path(statistics_json).read_text())
    with atomic_path(out) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["key", "value"])
        writer.writerows(flatten_json(data))


def plot_summary(summary_csv: Path, out: Path) -> None:
    """Top-1 per stream and ensemble, one panel per dataset/benchmark/size: the mean as a bar and the
    seeds' min to max as an error bar, the honest selection beside the test-selected one."""
    import numpy as np

    plt = pyplot()
    with open(summary_csv, newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if "authors'" not in row["selection"]]
    panels = list(dict.fromkeys(f"{r['dataset']}/{r['benchmark']}/{r['size']}" for r in rows))
    selections = list(dict.fromkeys(r["selection"] for r in rows))
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 3.4 * len(panels)), squeeze=False)
    for ax, panel in zip(axes[:, 0], panels, strict=True):
        mine = [r for r in rows if f"{r['dataset']}/{r['benchmark']}/{r['size']}" == panel]
        streams = list(dict.fromkeys(r["stream"] for r in mine))
        width = 0.8 / max(1, len(selections))
        for i, selection in enumerate(selections):
            by_stream = {r["stream"]: r for r in mine if r["selection"] == selection}
            x = np.arange(len(streams)) + (i - (len(selections) - 1) / 2) * width
            mean = np.array([float(by_stream[s]["mean"]) if s in by_stream else np.nan for s in streams])
            low = np.array([float(by_stream[s]["min"]) if s in by_stream else np.nan for s in streams])
            high = np.array([float(by_stream[s]["max"]) if s in by_stream else np.nan for s in streams])
            n = max((int(r["n"]) for r in by_stream.values()), default=0)
            ax.bar(x, mean, width, label=f"{selection} (n={n} seeds)")
            ax.errorbar(x, mean, yerr=[mean - low, high - mean], fmt="none", ecolor="black", capsize=3)
        ax.set_xticks(np.arange(len(streams)), streams)
        ax.set_ylabel("top-1 (%)")
        ax.set_title(panel)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    save_figure(fig, out)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    kinds = parser.add_subparsers(dest="kind", required=True, metavar="KIND")
    curves = kinds.add_parser("curves", help="training curves of several streams")
    curves.add_argument("--metrics", nargs="+", required=True, type=Path, help="metrics.csv per stream")
    curves.add_argument("--title", default="")
    confusion = kinds.add_parser("confusion", help="confusion matrix of one metrics.json")
    confusion.add_argument("--metrics", required=True, type=Path)
    add_dataset_arguments(confusion)
    statistics = kinds.add_parser("statistics", help="statistics.json as a two-column CSV table")
    statistics.add_argument("--statistics", required=True, type=Path)
    summary = kinds.add_parser("summary", help="top-1 with error bars from summary.csv")
    summary.add_argument("--summary", required=True, type=Path)
    for sub in (curves, confusion, statistics, summary):
        sub.add_argument("--out", required=True, type=Path)
    _add_learned(kinds)


def _add_learned(kinds: Any) -> None:
    """The figures of what the model learned: hypergraphs, t-SNE, per-class results."""
    from hypergcn.datasets import MODALITIES

    graphs = kinds.add_parser("hypergraphs", help="skeletons with the hypergraphs a model built (PNG + GIF)")
    graphs.add_argument("--data", required=True, type=Path, help="benchmark HDF5")
    graphs.add_argument("--modality", required=True, choices=MODALITIES)
    source = graphs.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", type=Path, help="a model.pt written by `hypergcn train`")
    source.add_argument("--pretrained", type=Path, help="the authors' released weights (with --run)")
    graphs.add_argument("--selection", default="last", choices=["last", "val", "test"], help="--model only")
    graphs.add_argument("--run", help="--pretrained only: the run description (JSON)")
    graphs.add_argument("--sha256", help="expected sha256 of --pretrained")
    graphs.add_argument("--samples", nargs="*", default=[], help="test sample names (default: by class)")
    graphs.add_argument("--classes", type=int, default=8, help="without --samples: first sample of N classes")
    graphs.add_argument("--layers", nargs="+", default=["l1", "l9"], help="units to draw (l1..l9)")
    graphs.add_argument("--head", type=int, default=0, help="the head of the frame strip and the GIF")
    graphs.add_argument("--frames", type=int, default=4, help="frames of the strip")
    graphs.add_argument("--gif-frames", type=int, default=16, help="frames of the GIF")
    graphs.add_argument("--threads", type=int)
    graphs.add_argument("--out-dir", required=True, type=Path, help="writes <sample>.png and <sample>.gif")
    tsne = kinds.add_parser("tsne", help="t-SNE of one features.npz, coloured by class")
    tsne.add_argument("--features", required=True, type=Path)
    add_dataset_arguments(tsne)
    tsne.add_argument("--title", default="")
    tsne.add_argument("--out", required=True, type=Path)
    per_class = kinds.add_parser("per-class", help="per-class accuracy chart and most-confused pairs")
    per_class.add_argument("--metrics", required=True, type=Path)
    add_dataset_arguments(per_class)
    per_class.add_argument("--out", required=True, type=Path, help="the bar chart (PNG or SVG)")
    per_class.add_argument("--pairs", required=True, type=Path, help="the most-confused pairs (CSV)")
    per_class.add_argument("--top", type=int, default=10)


def run(args: argparse.Namespace) -> int:
    try:
        if getattr(args, "declaration", None):
            register(load_declaration(args.declaration))
        _draw(args)
    except (ValueError, KeyError, FileNotFoundError) as err:
        log.error("%s", err)
        return 1
    return 0


def _draw(args: argparse.Namespace) -> None:
    if args.kind == "curves":
        labels = [path.parent.name for path in args.metrics]  # .../{modality}/metrics.csv
        plot_training_curves(args.metrics, labels, args.out, title=args.title)
    elif args.kind == "confusion":
        plot_confusion(args.metrics, args.out, class_names=action_names_of(args.dataset))
    elif args.kind == "summary":
        plot_summary(args.summary, args.out)
    elif args.kind == "statistics":
        statistics_table(args.statistics, args.out)
    elif args.kind == "hypergraphs":
        from hypergcn.evaluation import hypergraph_figures

        hypergraph_figures.run(args)
        log.info("wrote %s", args.out_dir)
        return
    elif args.kind == "tsne":
        from hypergcn.evaluation.embeddings import plot_tsne

        accuracy = plot_tsne(args.features, args.dataset, args.out, title=args.title)
        log.info("5-NN accuracy in the t-SNE map: %.1f%%", accuracy)
    else:
        from hypergcn.evaluation.per_class import per_class_figures

        per_class_figures(args.metrics, args.dataset, args.out, args.pairs, args.top)
    log.info("wrote %s", args.out)
