"""Inference: the logits of a batch stream, and the scores of one split of a benchmark file.

One implementation serves the trainer's per-epoch evaluation and ``hypergcn evaluate``, so a split is
always scored with the same test-time preprocessing. Both run the folded eval-only copy of the model
(:func:`hypergcn.models.fold_for_inference`: the same logits within rel 1e-5, 2-3.7× the reference's
throughput on CPU, docs/benchmarks.md); the model itself, training weights and mode, is never changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from hypergcn.data.dataset import SkeletonDataset
from hypergcn.models import HyperGCN, fold_for_inference
from hypergcn.training.amp import AmpPolicy


@dataclass(frozen=True)
class Scores:
    """Raw float32 logits (N, classes), labels and sample names of one split, in file order; with
    ``features`` asked for, also the pooled final features (N, C) that the classifier read."""

    logits: np.ndarray
    labels: np.ndarray
    names: list[str]
    features: np.ndarray | None = None


@dataclass(frozen=True)
class TestTime:
    """How a split is read at test time: the window, the batch, the seeded or random clip draw, and the
    run's recipe, whose preprocessing keys the loader reads (docs/data.md#recipe-keys-for-preprocessing)."""

    window: int
    batch_size: int
    seed: int
    test_sampling: str
    num_workers: int = 0
    recipe: Mapping[str, Any] | None = None


def predict(
    model: nn.Module,
    loader: Any,
    device: torch.device,
    amp: AmpPolicy | None = None,
    features: bool = False,
) -> Scores:
    """Logits, labels and names of every sample of ``loader``, in loader order, in eval mode.

    A Hyper-GCN (DDP-wrapped or not) is folded once per call (:func:`inference_model`); any other module
    runs as it is. ``features=True`` also keeps the pooled features of the same forward pass
    (``forward_features``), so embeddings never cost a second pass over the split.
    """
    was_training = model.training
    model.eval()
    runner = inference_model(model)
    run = getattr(runner, "module", runner).forward_features if features else runner
    logits, labels, names, pooled = [], [], [], []
    try:
        with torch.inference_mode():
            for x, y, batch_names in loader:
                x = x.to(device, non_blocking=True)
                if amp is not None and amp.enabled:
                    with amp.autocast():
                        out = run(x)
                else:
                    out = run(x)
                if features:
                    out, feature = out
                    pooled.append(feature.float().cpu().numpy())
                logits.append(out.float().cpu().numpy())
                labels.append(np.asarray(y, dtype=np.int64))
                names.extend(str(n) for n in batch_names)
    finally:
        model.train(was_training)
    if not logits:
        return Scores(np.zeros((0, 0), np.float32), np.zeros(0, np.int64), [], _empty(features))
    kept = np.concatenate(pooled).astype(np.float32) if features else None
    return Scores(np.concatenate(logits).astype(np.float32), np.concatenate(labels), names, kept)


def inference_model(model: nn.Module) -> nn.Module:
    """The module evaluation runs: a fresh folded copy of a Hyper-GCN (cheap next to a pass over a split,
    so the trainer folds again at every evaluation and never sees stale weights), else ``model`` itself."""
    return fold_for_inference(model) if isinstance(getattr(model, "module", model), HyperGCN) else model


def _empty(features: bool) -> np.ndarray | None:
    return np.zeros((0, 0), np.float32) if features else None


def score_split(
    model: nn.Module,
    data: Path,
    split: str,
    modality: str,
    test_time: TestTime,
    device: torch.device,
    amp: AmpPolicy | None = None,
    features: bool = False,
) -> Scores:
    """Score one split of a benchmark file with the test-time preprocessing (``features``: see
    :func:`predict`)."""
    dataset = SkeletonDataset(
        data,
        split,
        modality,
        window=test_time.window,
        train=False,
        recipe=test_time.recipe,
        seed=test_time.seed,
        test_sampling=test_time.test_sampling,
    )
    loader = DataLoader(
        dataset,
        batch_size=test_time.batch_size,
        shuffle=False,
        num_workers=test_time.num_workers,
        pin_memory=device.type == "cuda",
    )
    return predict(model, loader, device, amp, features)
