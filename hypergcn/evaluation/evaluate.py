"""``hypergcn evaluate``: test-set logits and metrics of a trained ``model.pt`` or of the authors' weights.

Outputs are ``scores.npz`` (``names``, ``labels``, ``logits``; no pickle) and ``metrics.json`` (top-1/top-5
in percent, per-class accuracy, confusion matrix, sample count and provenance: model file checksum, data
file, config digest, package version and how the model was selected). When the benchmark file has a
validation split, ``--val-scores`` also scores it, so ensemble weights can be fitted without the test set.
``--features`` writes ``features.npz`` (``names``, ``labels``, ``features``): the pooled final features of
the test samples from the same forward pass as the logits, for the report's embedding plots.

The authors' released weights (``--pretrained``) are checked before use: the sha256 when given, then the
tensor names and shapes through ``hypergcn.models.load_official_weights``; weights for another dataset or
model size fail with a message that names the mismatch.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

import hypergcn
from hypergcn.config import RECIPE_DEFAULTS, RunDescription
from hypergcn.data.benchmark_file import BenchmarkInfo, read_benchmark_info
from hypergcn.datasets import MODALITIES, SIZES
from hypergcn.evaluation.inference import Scores, TestTime, score_split
from hypergcn.evaluation.metrics import classification_metrics
from hypergcn.io import save_npz, sha256sum, write_json
from hypergcn.models import build_model, load_official_weights
from hypergcn.models.model_file import ModelFile, build_from_model_file
from hypergcn.training.distributed import choose_device

log = logging.getLogger(__name__)
RELEASED_SELECTION = "authors' released weights (selected on TEST set by the authors)"


@dataclass
class LoadedModel:
    """A model ready to score, the run it came from, and what the outputs record about it."""

    model: nn.Module
    run: RunDescription
    selection: str  # its label, as outputs show it
    provenance: dict[str, Any]
    selection_key: str = "released"  # last | val | test, or the authors' released weights


def load_trained(
    model_file: Path, info: BenchmarkInfo, modality: str, selection: str = "last"
) -> LoadedModel:
    """The ``selection`` weights of a ``model.pt`` of ``hypergcn train``, checked against the benchmark file
    it is evaluated on."""
    model, loaded = build_from_model_file(model_file, selection=selection)
    meta = loaded.metadata
    run, chosen = _trained_run(loaded)
    for key, trained, expected in (
        ("dataset", run.dataset, info.dataset),
        ("num_class", loaded.config.num_class, info.num_class),
        ("modality", run.modality, modality),
    ):
        if trained != expected:
            raise ValueError(
                f"{model_file} was trained for {key} {trained!r}, but this evaluation is for {key} "
                f"{expected!r} ({info.path})"
            )
    provenance = {
        "model_file": str(model_file),
        "model_sha256": sha256sum(model_file),
        "config_digest": meta.get("config_digest"),
        "selection": chosen["label"],
        "selected_epoch": chosen["epoch"],
        "model_selection": selection,
        "trained_with_package": meta.get("package_version"),
    }
    return LoadedModel(model, run, chosen["label"], provenance, selection)


def _trained_run(loaded: ModelFile) -> tuple[RunDescription, dict[str, Any]]:
    """The run description and the chosen selection's epoch and label; a model file of the first format
    (before run descriptions) gets both rebuilt from its metadata."""
    meta = loaded.metadata
    if "run" in meta:
        return RunDescription.from_dict(meta["run"]), meta["selections"][loaded.selection]
    recipe = {k: v for k, v in meta["recipe"].items() if k in RECIPE_DEFAULTS}
    fields = {key: meta[key] for key in ("dataset", "benchmark", "modality", "test_sampling")}
    run = RunDescription.from_dict(
        {
            **fields,
            "size": loaded.config.size,
            "seed": meta["recipe"]["seed"],
            "precision": "fp32" if meta["recipe"]["amp"] == "off" else "amp",
            "recipe": recipe,
            "virtual_joints": loaded.config.virtual_joints,
            "virtual_joint_init": loaded.config.virtual_joint_init,
        }
    )
    return run, {"epoch": meta["selected_epoch"], "label": meta["selection"]}


def load_released(path: Path, info: BenchmarkInfo, run: RunDescription, sha256: str | None) -> LoadedModel:
    """The authors' released weights for ``run``'s size and virtual joints, checked by sha256 and shape."""
    actual = sha256sum(path)
    if sha256 and actual != sha256.lower():
        raise ValueError(f"sha256 of {path} is {actual}, but the config expects {sha256.lower()}")
    model = build_model(run.size, info.dataset, num_class=info.num_class, virtual_joints=run.virtual_joints)
    try:
        load_official_weights(model, path)
    except ValueError as err:
        raise ValueError(
            f"{path} does not fit the {run.size} {info.dataset} model ({info.num_class} classes, "
            f"{info.num_point} joints, {run.virtual_joints} virtual joints): {err}"
        ) from err
    provenance = {"model_file": str(path), "model_sha256": actual, "sha256_verified": bool(sha256)}
    return LoadedModel(model, run, RELEASED_SELECTION, {**provenance, "selection": RELEASED_SELECTION})


def _write_scores(path: Path, scores: Scores) -> None:
    names = np.asarray(scores.names, dtype=str)
    save_npz(path, names=names, labels=scores.labels.astype(np.int64), logits=scores.logits)


def _write_features(path: Path, scores: Scores) -> None:
    """``features.npz``: ``names``, ``labels`` and ``features`` (N, C float32), the pooled l9 output that
    ``fc`` classified, in the order of ``scores.npz``."""
    names = np.asarray(scores.names, dtype=str)
    save_npz(path, names=names, labels=scores.labels.astype(np.int64), features=scores.features)


def inference_settings(run: RunDescription) -> TestTime:
    """How ``run``'s splits are read at test time: its window, test batch, seed and clip sampling."""
    return TestTime(
        window=int(run.recipe["window"]),
        batch_size=int(run.recipe["test_batch_size"]),
        seed=run.seed,
        test_sampling=run.test_sampling,
        num_workers=min(int(run.recipe["num_workers"]), 4),
        recipe=run.recipe,
    )


def evaluate(
    loaded: LoadedModel,
    info: BenchmarkInfo,
    *,
    scores_out: Path,
    metrics_out: Path,
    val_scores_out: Path | None = None,
    features_out: Path | None = None,
    device: str = "auto",
) -> dict[str, Any]:
    """Score the test split (and the val split if asked), write the outputs and return the metrics.

    ``features_out`` also writes the test split's pooled features, taken from the same forward pass as the
    logits.
    """
    dev = choose_device(device)
    run = loaded.run
    test_time = inference_settings(run)
    model = loaded.model.to(dev)
    keep = features_out is not None
    scores = score_split(model, info.path, "test", run.modality, test_time, dev, features=keep)
    provenance = {
        **loaded.provenance,
        "data_file": str(info.path),
        "data_attrs": info.attrs,
        "package_version": hypergcn.__version__,
        "torch_version": torch.__version__,
        "window": test_time.window,
        "test_sampling": test_time.test_sampling,
    }
    metrics: dict[str, Any] = {
        "dataset": info.dataset,
        "benchmark": info.benchmark,
        "size": run.size,
        "modality": run.modality,
        "split": "test",
        "seed": run.seed,
        "selection_key": loaded.selection_key,
        "selection": loaded.selection,
        **classification_metrics(scores.logits, scores.labels, info.num_class),
        "provenance": provenance,
    }
    _write_scores(scores_out, scores)
    if features_out is not None:
        _write_features(features_out, scores)
    if val_scores_out is not None:
        if not info.has_split("val"):
            raise ValueError(
                f"--val-scores given but {info.path} has no val split (validation.fraction is 0)"
            )
        val = score_split(model, info.path, "val", run.modality, test_time, dev)
        _write_scores(val_scores_out, val)
        val_metrics = classification_metrics(val.logits, val.labels, info.num_class)
        metrics["val"] = {k: val_metrics[k] for k in ("top1", "top5", "n")}
    write_json(metrics_out, metrics)
    log.info(
        "%s %s %s %s: test top1 %.2f%% top5 %.2f%% (n=%d)",
        info.dataset,
        info.benchmark,
        run.size,
        run.modality,
        metrics["top1"],
        metrics["top5"],
        metrics["n"],
    )
    return metrics


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, type=Path, help="benchmark HDF5")
    parser.add_argument("--modality", required=True, choices=MODALITIES)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", type=Path, help="a model.pt written by `hypergcn train`")
    parser.add_argument(
        "--selection",
        default="last",
        choices=["last", "val", "test"],
        help="--model only: which weights (last epoch, best validation epoch, best test epoch)",
    )
    source.add_argument("--pretrained", type=Path, help="the authors' released weights (runs-*.pt)")
    parser.add_argument("--sha256", help="expected sha256 of --pretrained")
    parser.add_argument(
        "--run",
        help="--pretrained only: the run description (JSON) giving size, virtual joints and test-time settings",
    )
    parser.add_argument("--size", choices=SIZES, help="--pretrained only, without --run: the model size")
    parser.add_argument("--scores", required=True, type=Path, help="output scores.npz")
    parser.add_argument("--metrics", required=True, type=Path, help="output metrics.json")
    parser.add_argument("--val-scores", type=Path, help="also score the val split into this .npz")
    parser.add_argument(
        "--features", type=Path, help="also write the test split's pooled final features into this .npz"
    )
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int)


def _released_run(args: argparse.Namespace, info: BenchmarkInfo) -> RunDescription:
    if args.run:
        return RunDescription.from_json(args.run)
    if args.size is None:
        raise ValueError("--pretrained needs --run or --size")
    fields = {
        "dataset": info.dataset,
        "benchmark": info.benchmark,
        "size": args.size,
        "modality": args.modality,
    }
    return RunDescription.from_dict(fields)


def run(args: argparse.Namespace) -> int:
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        info = read_benchmark_info(args.data)
        if args.model is not None:
            loaded = load_trained(args.model, info, args.modality, args.selection)
        else:
            loaded = load_released(args.pretrained, info, _released_run(args, info), args.sha256)
        evaluate(
            loaded,
            info,
            scores_out=args.scores,
            metrics_out=args.metrics,
            val_scores_out=args.val_scores,
            features_out=args.features,
            device=args.device,
        )
    except (ValueError, KeyError, FileNotFoundError) as err:
        log.error("%s", err)
        return 1
    return 0


__all__ = ["LoadedModel", "evaluate", "load_released", "load_trained", "inference_settings"]
