"""Top-k accuracy, confusion matrix and per-class accuracy on hand-made scores."""

from __future__ import annotations

import numpy as np
import pytest

from hypergcn.evaluation.metrics import (
    classification_metrics,
    confusion_matrix,
    per_class_accuracy,
    topk_accuracy,
)

SCORES = np.array(
    [
        [0.9, 0.05, 0.03, 0.02],  # pred 0, label 0: top-1 hit
        [0.1, 0.2, 0.6, 0.1],  # pred 2, label 1: rank 2 -> top-2 hit
        [0.3, 0.3, 0.2, 0.2],  # tie 0/1 -> pred 0 (lowest index), label 1: top-2 hit
        [0.4, 0.3, 0.2, 0.1],  # pred 0, label 3: rank 4
    ]
)
LABELS = np.array([0, 1, 1, 3])


def test_topk() -> None:
    assert topk_accuracy(SCORES, LABELS, 1) == pytest.approx(25.0)
    assert topk_accuracy(SCORES, LABELS, 2) == pytest.approx(75.0)
    assert topk_accuracy(SCORES, LABELS, 3) == pytest.approx(75.0)
    assert topk_accuracy(SCORES, LABELS, 5) == pytest.approx(100.0)  # k > classes counts every sample


def test_confusion_and_per_class() -> None:
    confusion = confusion_matrix(LABELS, SCORES.argmax(1), 4)
    expected = np.zeros((4, 4), int)
    expected[0, 0] = 1
    expected[1, 2] = 1
    expected[1, 0] = 1
    expected[3, 0] = 1
    np.testing.assert_array_equal(confusion, expected)
    assert per_class_accuracy(confusion) == [100.0, 0.0, None, 0.0]  # class 2 has no sample
    with pytest.raises(ValueError):
        confusion_matrix(np.array([4]), np.array([0]), 4)


def test_classification_metrics_block() -> None:
    metrics = classification_metrics(SCORES, LABELS)
    assert metrics["top1"] == pytest.approx(25.0)
    assert metrics["top5"] == pytest.approx(100.0)
    assert metrics["n"] == 4
    assert np.asarray(metrics["confusion"]).sum() == 4
    assert len(metrics["per_class"]) == 4
