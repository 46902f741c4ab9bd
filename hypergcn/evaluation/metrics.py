"""Classification metrics on score matrices: top-k accuracy, confusion matrix, per-class accuracy.

Everything works on plain numpy arrays of raw scores (logits or fused logits), so trained models, released
checkpoints and ensembles share one implementation. Accuracies are percentages, as the paper reports them.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _check(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores)
    labels = np.asarray(labels).astype(np.int64)
    if scores.ndim != 2 or labels.ndim != 1 or len(scores) != len(labels):
        raise ValueError(f"need scores (N, K) and labels (N,), got {scores.shape} and {labels.shape}")
    return scores, labels


def topk_accuracy(scores: np.ndarray, labels: np.ndarray, k: int = 1) -> float:
    """Percentage of samples whose label is among the ``k`` highest scores (the authors' ``top_k``).

    Ties are resolved by a stable sort on the negated scores, so among equal scores the lower class index
    ranks first, which matches ``argmax`` for k = 1. ``k`` larger than the class count counts every sample.
    """
    scores, labels = _check(scores, labels)
    if len(labels) == 0:
        return float("nan")
    k = min(int(k), scores.shape[1])
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    hits = (order == labels[:, None]).any(axis=1)
    return float(100.0 * hits.mean())


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, num_class: int) -> np.ndarray:
    """``C[i, j]`` = number of samples of true class ``i`` predicted as class ``j`` (int64, K x K)."""
    labels = np.asarray(labels, dtype=np.int64)
    predictions = np.asarray(predictions, dtype=np.int64)
    if labels.shape != predictions.shape:
        raise ValueError(f"labels {labels.shape} and predictions {predictions.shape} differ in shape")
    for name, values in (("label", labels), ("prediction", predictions)):
        if values.size and (values.min() < 0 or values.max() >= num_class):
            raise ValueError(f"{name} outside 0..{num_class - 1}")
    flat = np.bincount(labels * num_class + predictions, minlength=num_class * num_class)
    return flat.reshape(num_class, num_class)


def per_class_accuracy(confusion: np.ndarray) -> list[float | None]:
    """Recall of every class in percent; ``None`` for classes with no test sample (JSON ``null``)."""
    confusion = np.asarray(confusion)
    totals = confusion.sum(axis=1)
    return [
        float(100.0 * confusion[i, i] / totals[i]) if totals[i] else None for i in range(confusion.shape[0])
    ]


def classification_metrics(
    scores: np.ndarray, labels: np.ndarray, num_class: int | None = None
) -> dict[str, Any]:
    """The metrics block of every ``metrics.json``: top1, top5 (percent), per_class, confusion, n."""
    scores, labels = _check(scores, labels)
    num_class = int(num_class or scores.shape[1])
    predictions = scores.argmax(axis=1) if len(scores) else np.zeros(0, dtype=np.int64)
    confusion = confusion_matrix(labels, predictions, num_class)
    return {
        "top1": topk_accuracy(scores, labels, 1),
        "top5": topk_accuracy(scores, labels, 5),
        "n": int(len(labels)),
        "num_class": num_class,
        "per_class": per_class_accuracy(confusion),
        "confusion": confusion.tolist(),
    }
