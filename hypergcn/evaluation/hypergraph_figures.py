"""Hypergraph figures: the skeleton of a test sample with the adaptive hypergraph a layer built for it.

The graphs come from the model itself (:meth:`hypergcn.models.hypergcn.HyperGCN.trace_hypergraphs`, one
forward pass of the sample as evaluation reads it); this module only draws them. Per sample:

* a PNG: for each chosen layer, every head on the window's middle frame (a grid), then one head at
  evenly spaced frames (a strip);
* an animated GIF of one head per layer over the whole window, kept under 1 MB.

In a panel, grey lines are the skeleton's bones (the layout's parents); blue lines join each joint to the
centres of its :data:`STRONGEST` strongest other hyperedges (strength H[u, e] · W_e², the factor the
hyperedge contributes to the normalised graph), darker and thicker when stronger; a joint's dot grows with
the weight² of the hyperedge centred on it. Red stars are the virtual joints, drawn at the weighted mean of
the real joints they link to (:meth:`~hypergcn.models.hypergcn.Hypergraph.virtual_links`) with dashed lines
to their :data:`VIRTUAL_LINKS` strongest links; a virtual joint linked to no real joint is a hollow star at
the skeleton's centroid. The hypergraph is built from a whole sequence's mean features, so it is the same in
every frame: the frames show it on the moving pose. Poses are drawn in the x-y plane (a fixed projection of
3-D data; 2-D data as it is), person 1 only.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hypergcn.evaluation.plotting import pyplot, save_figure

log = logging.getLogger(__name__)

STRONGEST = 2  # hyperedges drawn per joint
VIRTUAL_LINKS = 3  # links drawn per virtual joint
GIF_LIMIT = 1_000_000  # bytes
COLUMNS = 4


@dataclass(frozen=True)
class FigureOptions:
    """What a hypergraph figure shows: the layers, the head of the strip and the GIF, the strip's frame
    count and the GIF's."""

    layers: tuple[str, ...] = ("l1", "l9")
    head: int = 0
    frames: int = 4
    gif_frames: int = 16


@dataclass(frozen=True)
class LayerGraph:
    """One layer's hypergraph of one person, per head, as numpy arrays (vertices: V real, then P virtual)."""

    incidence: np.ndarray  # (heads, V', V')
    weights: np.ndarray  # (heads, V')
    links: np.ndarray  # (heads, P, V) virtual-joint links

    @property
    def heads(self) -> int:
        return self.incidence.shape[0]


@dataclass(frozen=True)
class SampleGraphs:
    """A test sample's pose and the hypergraphs the model built for it, with its true and predicted class."""

    name: str
    label: int
    predicted: int
    positions: np.ndarray  # (T, V, 2): x-y of person 1 in every frame of the model's input window
    layers: dict[str, LayerGraph]


def sample_graphs(
    model: torch.nn.Module,
    x: torch.Tensor,
    positions: np.ndarray,
    name: str,
    label: int,
    layers: Sequence[str],
) -> SampleGraphs:
    """Run ``model`` (eval mode) on one sample x (C, T, V, M) and keep person 1's hypergraphs of ``layers``.

    ``positions`` (T, V, C') are the joint coordinates of the same window (the joint stream of the sample);
    the first two channels are drawn.
    """
    model.eval()
    logits, graphs = model.trace_hypergraphs(x.unsqueeze(0), list(layers))
    real = positions.shape[1]
    kept = {
        layer: LayerGraph(
            incidence=graph.incidence[0].numpy(),
            weights=graph.weights[0].numpy(),
            links=graph.virtual_links(real)[0].numpy(),
        )
        for layer, graph in graphs.items()
    }
    xy = np.asarray(positions, dtype=float)[..., :2]
    return SampleGraphs(name, int(label), int(logits[0].argmax()), xy, kept)


def hyperedge_lines(graph: LayerGraph, head: int, real: int) -> list[tuple[int, int, float]]:
    """(joint u, hyperedge centre e, strength H[u, e] · W_e²) of every real joint's :data:`STRONGEST`
    strongest hyperedges other than its own, strongest first; hyperedges of zero strength are left out."""
    strength = graph.incidence[head, :real] * np.square(graph.weights[head])[None, :]
    strength[np.arange(real), np.arange(real)] = 0.0  # its own hyperedge: a point, not a line
    lines = []
    for u, row in enumerate(strength):
        for e in np.argsort(-row, kind="stable")[:STRONGEST]:
            if row[e] > 0:
                lines.append((u, int(e), float(row[e])))
    return lines


def virtual_positions(graph: LayerGraph, head: int, pose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P, 2) positions of the virtual joints in one frame (the link-weighted mean of the real joints) and
    which of them link to any real joint; an unlinked one sits at the skeleton's centroid."""
    links = graph.links[head]
    total = links.sum(axis=1)
    linked = total > 0
    weighted = links @ pose / np.where(linked, total, 1.0)[:, None]
    return np.where(linked[:, None], weighted, pose.mean(axis=0)), linked


def _extent(positions: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """Fixed axis limits over every frame with a 6% margin, so frames and heads compare."""
    flat = positions.reshape(-1, 2)
    low, high = flat.min(axis=0), flat.max(axis=0)
    margin = 0.06 * max(float((high - low).max()), 1e-6)
    return (low[0] - margin, high[0] + margin), (low[1] - margin, high[1] + margin)


def _panel_size(positions: np.ndarray, width: float) -> tuple[float, float]:
    """(width, height) in inches of a panel that shows the pose undistorted (aspect clamped to 0.6..2.2)."""
    (x0, x1), (y0, y1) = _extent(positions)
    return width, width * min(max((y1 - y0) / (x1 - x0), 0.6), 2.2)


class Panel:
    """One head's hypergraph drawn on a pose (legend in the module docstring), as matplotlib collections
    whose coordinates :meth:`show` moves to another frame: the graph is the same in every frame, so an
    animation only moves points."""

    def __init__(
        self, ax: Any, graph: LayerGraph, head: int, edges: Sequence[tuple[int, int]], pose: np.ndarray
    ):
        from matplotlib.collections import LineCollection

        real = len(pose)
        virtual, _ = virtual_positions(graph, head, pose)

        self.graph, self.head = graph, head
        self.linked = graph.links[head].sum(axis=1) > 0
        self.bones = np.asarray(edges, dtype=int).reshape(-1, 2)
        lines = [
            (u, e, w) for u, e, w in hyperedge_lines(graph, head, real) if e < real or self.linked[e - real]
        ]
        self.hyper = np.array([(u, e) for u, e, _ in lines], dtype=int).reshape(-1, 2)
        share = np.array([w for _, _, w in lines]) / max((w for _, _, w in lines), default=1.0)
        colours = np.tile(np.array([0.12, 0.47, 0.71, 0.0]), (len(share), 1))
        colours[:, 3] = 0.12 + 0.78 * np.square(share)  # weak hyperedges fade out
        self.virtual = np.array(
            [(u, real + p) for p in np.flatnonzero(self.linked) for u in self._strongest_links(p)], dtype=int
        ).reshape(-1, 2)
        self.artists = [
            ax.add_collection(LineCollection([], colors="0.75", linewidths=2.2, capstyle="round", zorder=1)),
            ax.add_collection(LineCollection([], colors=colours, linewidths=0.5 + 1.5 * share, zorder=2)),
            ax.add_collection(
                LineCollection([], colors="tab:red", linestyles="--", linewidths=0.8, zorder=3)
            ),
            ax.scatter(*pose.T, s=6 + 30 * np.square(graph.weights[head, :real]), color="black", zorder=4),
            ax.scatter(*virtual[self.linked].reshape(-1, 2).T, marker="*", s=90, color="tab:red", zorder=5),
            ax.scatter(*virtual[~self.linked].reshape(-1, 2).T, marker="*", s=90, facecolor="none", zorder=5),
        ]
        self.artists[4].set_edgecolor("darkred")
        self.artists[5].set_edgecolor("0.4")
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])

    def _strongest_links(self, p: int) -> list[int]:
        row = self.graph.links[self.head, p]
        return [int(u) for u in np.argsort(-row, kind="stable")[:VIRTUAL_LINKS] if row[u] > 0]

    def show(self, pose: np.ndarray) -> None:
        """Move everything to the joints' positions in one frame (V, 2)."""
        virtual, _ = virtual_positions(self.graph, self.head, pose)
        vertices = np.concatenate([pose, virtual])
        bones, hyper, links, joints, linked, unlinked = self.artists
        for collection, pairs in ((bones, self.bones), (hyper, self.hyper), (links, self.virtual)):
            collection.set_segments(vertices[pairs])
        joints.set_offsets(pose)
        linked.set_offsets(virtual[self.linked].reshape(-1, 2))
        unlinked.set_offsets(virtual[~self.linked].reshape(-1, 2))


def draw_panel(
    ax: Any, pose: np.ndarray, graph: LayerGraph, head: int, edges: Sequence[tuple[int, int]]
) -> Panel:
    """The skeleton of one frame with one head's hypergraph, on ``ax``."""
    panel = Panel(ax, graph, head, edges, pose)
    panel.show(pose)
    return panel


def _frames(count: int, wanted: int) -> list[int]:
    """``wanted`` evenly spaced frame indices of ``count``, first and last included."""
    return sorted({int(round(f)) for f in np.linspace(0, count - 1, max(1, min(wanted, count)))})


def draw_sample(
    sample: SampleGraphs, options: FigureOptions, edges: Sequence[tuple[int, int]], title: str
) -> Any:
    """The PNG's figure: per layer, all heads on the middle frame (a grid), then the chosen head over
    evenly spaced frames (a strip)."""
    plt = pyplot()
    heads = next(iter(sample.layers.values())).heads
    frames = _frames(len(sample.positions), options.frames)
    middle = len(sample.positions) // 2
    head_rows, strip_rows = math.ceil(heads / COLUMNS), math.ceil(len(frames) / COLUMNS)
    rows = len(sample.layers) * (head_rows + strip_rows)
    width, height = _panel_size(sample.positions, 2.0)
    fig, axes = plt.subplots(
        rows, COLUMNS, figsize=(width * COLUMNS, (height + 0.3) * rows + 0.7), squeeze=False
    )
    xlim, ylim = _extent(sample.positions)
    panels = []
    for layer, graph in sample.layers.items():
        panels += [(layer, graph, h, middle, f"{layer} head {h} (frame {middle + 1})") for h in range(heads)]
        panels += [None] * (head_rows * COLUMNS - heads)
        panels += [
            (layer, graph, options.head, t, f"{layer} head {options.head}, frame {t + 1}") for t in frames
        ]
        panels += [None] * (strip_rows * COLUMNS - len(frames))
    for ax, panel in zip(axes.flat, panels, strict=True):
        if panel is None:
            ax.axis("off")
            continue
        _, graph, head, frame, caption = panel
        draw_panel(ax, sample.positions[frame], graph, head, edges)
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
        ax.set_title(caption, fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def write_gif(
    sample: SampleGraphs, options: FigureOptions, edges: Sequence[tuple[int, int]], title: str, out: Path
) -> int:
    """Animate the chosen head of every layer over the window; returns the GIF's size in bytes.

    Rendered at falling resolutions and then with fewer frames until it fits :data:`GIF_LIMIT`.
    """
    count = options.gif_frames
    for dpi in (80, 60, 44, 44, 44):
        size = _render_gif(
            sample, options.head, _frames(len(sample.positions), count), edges, title, out, dpi
        )
        if size <= GIF_LIMIT:
            return size
        if dpi == 44:
            count = max(2, count // 2)
    raise ValueError(f"{out}: the GIF stays over {GIF_LIMIT} bytes ({size}); lower figures.gif_frames")


def _render_gif(
    sample: SampleGraphs,
    head: int,
    frames: list[int],
    edges: Sequence[tuple[int, int]],
    title: str,
    out: Path,
    dpi: int,
) -> int:
    """Draw the frames with matplotlib's PillowWriter into a temporary .gif beside ``out``, then rename it
    (atomic; Pillow picks the format from the suffix, so the temporary name keeps ``.gif``)."""
    from matplotlib.animation import PillowWriter

    plt = pyplot()
    layers = list(sample.layers.items())
    width, height = _panel_size(sample.positions, 2.2)
    fig, axes = plt.subplots(1, len(layers), figsize=(width * len(layers), height + 0.9), squeeze=False)
    xlim, ylim = _extent(sample.positions)
    panels = []
    for ax, (layer, graph) in zip(axes[0], layers, strict=True):
        panels.append(draw_panel(ax, sample.positions[frames[0]], graph, head, edges))
        ax.set_xlim(xlim)
        ax.set_ylim(ylim)
        ax.set_title(f"{layer} head {head}", fontsize=8)
    heading = fig.suptitle(title, fontsize=7)
    fig.tight_layout()
    handle, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".gif", dir=out.parent)
    os.close(handle)
    try:
        writer = PillowWriter(fps=5)
        with writer.saving(fig, tmp, dpi):
            for frame in frames:
                for panel in panels:
                    panel.show(sample.positions[frame])
                heading.set_text(f"{title}\nframe {frame + 1} of {len(sample.positions)}")
                writer.grab_frame()
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a figure is for reading
        os.replace(tmp, out)
    finally:
        plt.close(fig)
        Path(tmp).unlink(missing_ok=True)
    return out.stat().st_size


def write_sample_figures(
    sample: SampleGraphs, options: FigureOptions, edges: Sequence[tuple[int, int]], title: str, out_dir: Path
) -> tuple[Path, Path]:
    """``<out_dir>/<sample>.png`` and ``<sample>.gif``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png, gif = out_dir / f"{sample.name}.png", out_dir / f"{sample.name}.gif"
    save_figure(draw_sample(sample, options, edges, title), png, dpi=90)
    size = write_gif(sample, options, edges, title, gif)
    log.info("wrote %s and %s (%d bytes)", png, gif, size)
    return png, gif


# ------------------------------------------------------------------------------------------------ the command
def choose_samples(
    names: Sequence[str], labels: np.ndarray, wanted: Sequence[str], classes: int
) -> list[int]:
    """Indices of the samples to draw: ``wanted`` by name, or else the first test sample of each of the
    first ``classes`` classes that have one."""
    if wanted:
        index = {name: i for i, name in enumerate(names)}
        missing = [name for name in wanted if name not in index]
        if missing:
            raise ValueError(
                f"config key figures.samples: {missing} are not test samples (e.g. {list(names[:3])})"
            )
        return [index[name] for name in wanted]
    first: dict[int, int] = {}
    for i, label in enumerate(labels):
        first.setdefault(int(label), i)
    return [first[label] for label in sorted(first)[:classes]]


def _title(sample: SampleGraphs, names: Sequence[str], where: str) -> str:
    verdict = "correct" if sample.predicted == sample.label else f"predicted: {names[sample.predicted]}"
    return f"{sample.name}: {names[sample.label]} ({verdict})\n{where}"


def draw_hypergraphs(
    loaded: Any, info: Any, out_dir: Path, samples: Sequence[str], classes: int, options: FigureOptions
) -> list[Path]:
    """Figures of the chosen test samples of ``info``'s benchmark file for a loaded model
    (:class:`~hypergcn.evaluation.evaluate.LoadedModel`), each sample read exactly as evaluation reads it."""
    from hypergcn.data.dataset import SkeletonDataset
    from hypergcn.evaluation.evaluate import inference_settings
    from hypergcn.evaluation.plotting import class_names

    run, settings = loaded.run, inference_settings(loaded.run)
    options_of = {"window": settings.window, "train": False, "seed": settings.seed}
    options_of.update(test_sampling=settings.test_sampling, recipe=settings.recipe)
    stream = SkeletonDataset(info.path, "test", run.modality, **options_of)
    joints = stream if run.modality == "joint" else SkeletonDataset(info.path, "test", "joint", **options_of)
    names = class_names(info.dataset, info.num_class)
    where = f"{info.dataset}/{info.benchmark}/{run.size} {run.modality} stream, {loaded.selection}"
    written: list[Path] = []
    model = loaded.model.cpu()
    if not 0 <= options.head < model.config.heads:
        raise ValueError(
            f"config key figures.head: {options.head} is not a head of the model (0..{model.config.heads - 1})"
        )
    for index in choose_samples(stream.names, stream.labels, samples, classes):
        x, label, name = stream[index]
        pose = joints[index][0][:, :, :, 0].permute(1, 2, 0).numpy()  # (T, V, C) of person 1
        sample = sample_graphs(model, x, pose, name, label, options.layers)
        written += write_sample_figures(
            sample, options, info.layout.edges, _title(sample, names, where), out_dir
        )
    return written


def run(args: Any) -> int:
    """``hypergcn figure hypergraphs``: from a model.pt (``--model``, ``--selection``) or the authors'
    released weights (``--pretrained`` with ``--run``)."""
    from hypergcn.config import RunDescription
    from hypergcn.data.benchmark_file import read_benchmark_info
    from hypergcn.evaluation.evaluate import load_released, load_trained

    if args.threads:
        torch.set_num_threads(args.threads)
    info = read_benchmark_info(args.data)
    if args.model is not None:
        loaded = load_trained(args.model, info, args.modality, args.selection)
    elif args.run is None:
        raise ValueError("--pretrained needs --run (the run description of the released weights)")
    else:
        loaded = load_released(args.pretrained, info, RunDescription.from_json(args.run), args.sha256)
    options = FigureOptions(tuple(args.layers), args.head, args.frames, args.gif_frames)
    draw_hypergraphs(loaded, info, args.out_dir, args.samples, args.classes, options)
    return 0
