"""t-SNE of the pooled final features that evaluation stores (``features.npz``), coloured by class.

A t-SNE map always shows clusters, even of noise; the title therefore gives the leave-one-out 5-nearest-
neighbour accuracy in the 2-D map beside the chance level (the largest class's share), so a reader can
tell class structure from decoration. More than :data:`MAX_POINTS` samples (NTU-120 has 50,000 test
samples) are sub-sampled with a fixed seed, and the perplexity is min(30, (n - 1) / 3), scikit-learn's
default capped so small test splits stay valid.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hypergcn.evaluation.plotting import class_labels, pyplot, save_figure
from hypergcn.io import load_npz

MAX_POINTS = 2000
NEIGHBOURS = 5
SEED = 0


def subsample(count: int, limit: int = MAX_POINTS, seed: int = SEED) -> np.ndarray:
    """Sorted indices of at most ``limit`` of ``count`` samples, the same on every run."""
    if count <= limit:
        return np.arange(count)
    return np.sort(np.random.default_rng(seed).choice(count, size=limit, replace=False))


def perplexity_for(count: int) -> float:
    """min(30, (n - 1) / 3): the usual 30, lowered for small sets (t-SNE needs perplexity < n)."""
    return min(30.0, (count - 1) / 3.0)


def knn_accuracy(points: np.ndarray, labels: np.ndarray, k: int = NEIGHBOURS) -> float:
    """Leave-one-out k-NN accuracy (%) of ``labels`` among ``points``: each point takes the majority label of
    its k nearest other points, a tie going to the label of the nearest among the tied ones."""
    from sklearn.neighbors import NearestNeighbors

    count = len(points)
    k = min(k, count - 1)
    _, index = NearestNeighbors(n_neighbors=k + 1).fit(points).kneighbors(points)
    correct = 0
    for i, row in enumerate(index):
        others = [j for j in row if j != i][:k]
        votes = labels[others]
        counts = {label: int((votes == label).sum()) for label in votes}
        best = max(counts.values())
        winner = next(label for label in votes if counts[label] == best)  # nearest first
        correct += int(winner == labels[i])
    return 100.0 * correct / count


def tsne_map(features: np.ndarray, seed: int = SEED) -> np.ndarray:
    """(n, 2) t-SNE embedding of (n, C) features with PCA initialisation and a fixed seed."""
    from sklearn.manifold import TSNE

    tsne = TSNE(
        n_components=2,
        perplexity=perplexity_for(len(features)),
        init="pca",
        learning_rate="auto",
        random_state=seed,
    )
    return tsne.fit_transform(np.asarray(features, dtype=np.float64))


def _scatter(ax, points: np.ndarray, labels: np.ndarray, names: list[str]) -> None:
    """One colour per class; a legend with the action names up to 20 classes, else the label written at
    each class's median point (the per-class table names them)."""
    plt = pyplot()
    classes = np.unique(labels)
    if len(classes) <= 10:
        colours = plt.get_cmap("tab10")(np.arange(10))
    elif len(classes) <= 20:
        colours = plt.get_cmap("tab20")(np.arange(20))
    else:
        colours = plt.get_cmap("turbo")(np.linspace(0, 1, len(classes)))
    for i, label in enumerate(classes):
        mine = points[labels == label]
        ax.scatter(mine[:, 0], mine[:, 1], s=10, color=colours[i], label=names[label][:28], alpha=0.8)
        if len(classes) > 20:
            x, y = np.median(mine, axis=0)
            ax.text(x, y, str(label), fontsize=6, ha="center", va="center")
    if len(classes) <= 20:
        ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), markerscale=1.5, frameon=False)


def plot_tsne(features_npz: Path, dataset: str, out: Path, title: str = "") -> float:
    """Draw the t-SNE map of one ``features.npz``; returns the 5-NN accuracy in the map (%)."""
    data = load_npz(features_npz)
    features, labels = np.asarray(data["features"]), np.asarray(data["labels"], dtype=np.int64)
    if len(features) < 4:
        raise ValueError(f"{features_npz}: {len(features)} samples are too few for a t-SNE map")
    keep = subsample(len(features), MAX_POINTS)
    points = tsne_map(features[keep])
    labels = labels[keep]
    accuracy = knn_accuracy(points, labels)
    chance = 100.0 * np.bincount(labels).max() / len(labels)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8.5, 6.0))
    _scatter(ax, points, labels, class_labels(dataset, int(labels.max()) + 1))
    shown = f"{len(keep)} of {len(features)}" if len(keep) < len(features) else f"{len(keep)}"
    ax.set_title(
        f"{title + ': ' if title else ''}t-SNE of the test features ({shown} samples, perplexity "
        f"{perplexity_for(len(keep)):.1f})\n{NEIGHBOURS}-NN accuracy in the 2-D map {accuracy:.1f}% "
        f"(chance {chance:.1f}%)",
        fontsize=9,
    )
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    save_figure(fig, out)
    return accuracy
