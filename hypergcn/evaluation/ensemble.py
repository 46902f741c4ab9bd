"""``hypergcn ensemble``: fuse 2-4 modality score files into one, as the authors' ``ensemble.py`` (docs/method.md#ensemble).

The fused score is the weighted sum of the raw logits (no softmax), r = sum_s w_s * logits_s, and top-1 is
its argmax. Unlike the authors' script, samples are matched by **name**, not by position: every file must
hold the same sample names with the same labels, otherwise the fusion fails and says which names differ.

Weights come from the config (the authors' table for NTU, equal weights elsewhere; ``hypergcn.config.
ensemble_weights``), or are fitted on the validation split (``ensemble.search: true``) by coordinate ascent:
the first stream's weight is fixed at 1 (fusion is scale-invariant), and each other weight in turn is set to
the value of the grid 0, 0.1, ..., 2.0 that maximises validation top-1 with the others fixed; the passes
repeat until no weight changes (at most 5). Ties keep the current value, so the search is deterministic and
starts from, and prefers, the configured weights. The test scores are never looked at.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from hypergcn.config import SELECTION_LABELS
from hypergcn.datasets import STREAM_SETS
from hypergcn.evaluation.metrics import classification_metrics, topk_accuracy
from hypergcn.io import load_npz, save_npz, write_json

log = logging.getLogger(__name__)

SEARCH_GRID = tuple(round(0.1 * i, 1) for i in range(21))
MAX_PASSES = 5


def align_scores(score_sets: Sequence[dict[str, np.ndarray]], sources: Sequence[str] | None = None):
    """Put every score set in the first one's sample order, matching by name.

    Returns ``(names, labels, [logits per set])``. Raises ``ValueError`` naming the file and the first
    differing names when the sets hold different samples, duplicated names or conflicting labels.
    """
    sources = list(sources or [f"scores #{i + 1}" for i in range(len(score_sets))])
    reference = [str(n) for n in score_sets[0]["names"]]
    if len(set(reference)) != len(reference):
        raise ValueError(f"{sources[0]} has duplicated sample names")
    labels = np.asarray(score_sets[0]["labels"], dtype=np.int64)
    aligned = [np.asarray(score_sets[0]["logits"], dtype=np.float64)]
    for source, scores in zip(sources[1:], score_sets[1:], strict=True):
        names = [str(n) for n in scores["names"]]
        index = {name: i for i, name in enumerate(names)}
        if len(index) != len(names):
            raise ValueError(f"{source} has duplicated sample names")
        missing = [n for n in reference if n not in index]
        extra = sorted(set(names) - set(reference))
        if missing or extra:
            raise ValueError(
                f"{source} and {sources[0]} hold different samples: {len(missing)} missing "
                f"(e.g. {missing[:3]}), {len(extra)} extra (e.g. {extra[:3]})"
            )
        order = np.array([index[n] for n in reference], dtype=np.int64)
        other_labels = np.asarray(scores["labels"], dtype=np.int64)[order]
        if not np.array_equal(other_labels, labels):
            bad = [reference[i] for i in np.flatnonzero(other_labels != labels)[:3]]
            raise ValueError(f"{source} and {sources[0]} disagree on the labels of {bad}")
        logits = np.asarray(scores["logits"], dtype=np.float64)[order]
        if logits.shape != aligned[0].shape:
            raise ValueError(f"{source} has logits {logits.shape}, {sources[0]} has {aligned[0].shape}")
        aligned.append(logits)
    return reference, labels, aligned


def fuse(logits: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """Weighted sum of aligned raw logits."""
    if len(logits) != len(weights):
        raise ValueError(f"{len(logits)} score sets but {len(weights)} weights")
    fused = np.zeros_like(np.asarray(logits[0], dtype=np.float64))
    for weight, values in zip(weights, logits, strict=True):
        fused += float(weight) * np.asarray(values, dtype=np.float64)
    return fused


def search_weights(
    logits: Sequence[np.ndarray], labels: np.ndarray, start: Sequence[float] | None = None
) -> tuple[list[float], float]:
    """Coordinate ascent on validation top-1 over :data:`SEARCH_GRID` (module docstring); (weights, top-1)."""
    initial = [float(w) for w in (start or [1.0] * len(logits))]
    # Fix the first weight at 1; rescale the start so it describes the same fusion.
    weights = [1.0] + ([w / initial[0] for w in initial[1:]] if initial[0] > 0 else initial[1:])
    best = topk_accuracy(fuse(logits, weights), labels, 1)
    for _ in range(MAX_PASSES):
        changed = False
        for i in range(1, len(weights)):
            for value in SEARCH_GRID:
                trial = list(weights)
                trial[i] = value
                score = topk_accuracy(fuse(logits, trial), labels, 1)
                if score > best:
                    best, weights, changed = score, trial, True
        if not changed:
            break
    return weights, best


def ensemble(
    *,
    streams: str,
    scores: Sequence[Path],
    metrics_out: Path,
    scores_out: Path | None = None,
    weights: Sequence[float] | None = None,
    search: bool = False,
    val_scores: Sequence[Path] | None = None,
    identity: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fuse the streams of ``streams`` (``j_b``, ``j_b_jm``, ``j_b_jm_bm``) and write metrics (+ scores)."""
    modalities = STREAM_SETS[streams]
    if len(scores) != len(modalities):
        raise ValueError(
            f"{streams} fuses {len(modalities)} streams {modalities}, got {len(scores)} score files"
        )
    weights = [float(w) for w in (weights or [1.0] * len(modalities))]
    if len(weights) != len(modalities):
        raise ValueError(f"{streams} needs {len(modalities)} weights, got {weights}")
    source = "config"
    search_info: dict[str, Any] | None = None
    if search:
        if not val_scores or len(val_scores) != len(modalities):
            raise ValueError(
                "ensemble.search needs validation scores for every stream (validation.fraction > 0)"
            )
        _, val_labels, val_logits = align_scores(
            [load_npz(p) for p in val_scores], [str(p) for p in val_scores]
        )
        start = list(weights)
        weights, val_top1 = search_weights(val_logits, val_labels, start)
        source = "searched on the validation split"
        search_info = {
            "grid": [SEARCH_GRID[0], SEARCH_GRID[-1], 0.1],
            "start": start,
            "val_top1": val_top1,
            "val_n": int(len(val_labels)),
            "val_scores": [str(p) for p in val_scores],
        }
        log.info("%s: weights %s searched on val (top1 %.2f%%)", streams, weights, val_top1)
    names, labels, logits = align_scores([load_npz(p) for p in scores], [str(p) for p in scores])
    fused = fuse(logits, weights)
    metrics: dict[str, Any] = {
        **(identity or {}),
        "streams": streams,
        "modalities": list(modalities),
        "weights": weights,
        "weights_source": source,
        **classification_metrics(fused, labels),
        "inputs": [str(p) for p in scores],
    }
    if search_info:
        metrics["search"] = search_info
    if scores_out is not None:
        save_npz(
            scores_out, names=np.asarray(names, dtype=str), labels=labels, logits=fused.astype(np.float32)
        )
    write_json(metrics_out, metrics)
    log.info(
        "%s weights %s: top1 %.2f%% top5 %.2f%% (n=%d)",
        streams,
        weights,
        metrics["top1"],
        metrics["top5"],
        metrics["n"],
    )
    return metrics


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--streams", required=True, choices=sorted(STREAM_SETS))
    parser.add_argument(
        "--scores", required=True, nargs="+", type=Path, help="test scores.npz, in stream order"
    )
    parser.add_argument("--weights", nargs="+", type=float, help="one weight per stream (default: equal)")
    parser.add_argument("--search", action="store_true", help="fit the weights on --val-scores")
    parser.add_argument("--val-scores", nargs="+", type=Path, help="validation scores, in stream order")
    parser.add_argument("--metrics", required=True, type=Path, help="output metrics.json")
    parser.add_argument("--out-scores", type=Path, help="output fused scores.npz")
    parser.add_argument("--dataset")
    parser.add_argument("--benchmark")
    parser.add_argument("--size")
    parser.add_argument("--seed", type=int, help="the training seed of the fused streams (recorded)")
    parser.add_argument(
        "--selection",
        choices=sorted(SELECTION_LABELS),
        help="the model selection of the fused streams (recorded)",
    )


def run(args: argparse.Namespace) -> int:
    identity = {
        k: getattr(args, k) for k in ("dataset", "benchmark", "size", "seed") if getattr(args, k) is not None
    }
    if args.selection:
        identity.update(selection_key=args.selection, selection=SELECTION_LABELS[args.selection])
    try:
        ensemble(
            streams=args.streams,
            scores=args.scores,
            metrics_out=args.metrics,
            scores_out=args.out_scores,
            weights=args.weights,
            search=args.search,
            val_scores=args.val_scores,
            identity=identity,
        )
    except (ValueError, KeyError, FileNotFoundError) as err:
        log.error("%s", err)
        return 1
    return 0
