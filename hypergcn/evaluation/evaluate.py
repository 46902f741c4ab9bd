"""``hypergcn evaluate``: test-set logits and metrics of a trained ``model.pt`` or an authors' checkpoint.

Outputs are ``scores.npz`` (``names``, ``labels``, ``logits``; no pickle) and ``metrics.json`` (top-1/top-5
in percent, per-class accuracy, confusion matrix, sample count and provenance: model file checksum, data
file, config digest, package version and how the model was selected). When the benchmark file has a
validation split, ``--val-scores`` also scores it, so ensemble weights can be fitted without the test set.

Authors' checkpoints (``--pretrained``) are checked before use: the sha256 when given, then the tensor
names and shapes through ``hypergcn.models.load_official_weights``; a checkpoint for another dataset or
model size fails with a message that names the mismatch.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

import hypergcn
from hypergcn.evaluation.metrics import classification_metrics
from hypergcn.io import save_npz, sha256sum, write_json

log = logging.getLogger(__name__)


def predict(
    model: nn.Module, loader: Any, device: torch.device, amp: Any = None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Raw logits (float32), labels and names of every sample of ``loader``, in loader order, eval mode."""
    was_training = model.training
    model.eval()
    logits, labels, names = [], [], []
    try:
        with torch.inference_mode():
            for x, y, batch_names in loader:
                x = x.to(device, non_blocking=True)
                if amp is not None and amp.enabled:
                    with amp.autocast():
                        out = model(x)
                else:
                    out = model(x)
                logits.append(out.float().cpu().numpy())
                labels.append(np.asarray(y, dtype=np.int64))
                names.extend(str(n) for n in batch_names)
    finally:
        model.train(was_training)
    if not logits:
        return np.zeros((0, 0), np.float32), np.zeros(0, np.int64), []
    return np.concatenate(logits).astype(np.float32), np.concatenate(labels), names


def _split_names(path: Path) -> list[str]:
    import h5py

    with h5py.File(path, "r") as handle:
        return sorted(key for key in handle if isinstance(handle[key], h5py.Group))


def _file_attrs(path: Path) -> dict[str, Any]:
    import h5py

    with h5py.File(path, "r") as handle:
        return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in handle.attrs.items()}


def score_split(
    model: nn.Module,
    data: Path,
    split: str,
    modality: str,
    *,
    window: int,
    batch_size: int,
    seed: int,
    test_sampling: str,
    device: torch.device,
    num_workers: int = 0,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Score one split of a benchmark file with the test-time preprocessing."""
    from torch.utils.data import DataLoader

    from hypergcn.data import SkeletonDataset

    dataset = SkeletonDataset(
        data, split, modality, window=window, train=False, seed=seed, test_sampling=test_sampling
    )
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        pin_memory=device.type == "cuda",
    )
    return predict(model, loader, device)


def _write_scores(path: Path, names: list[str], labels: np.ndarray, logits: np.ndarray) -> None:
    save_npz(path, names=np.asarray(names, dtype=str), labels=labels.astype(np.int64), logits=logits)


def evaluate(
    *,
    data: Path,
    modality: str,
    scores_out: Path,
    metrics_out: Path,
    val_scores_out: Path | None = None,
    model_file: Path | None = None,
    pretrained: Path | None = None,
    sha256: str | None = None,
    size: str | None = None,
    recipe: dict[str, Any] | None = None,
    virtual_joints: int = 3,
    test_sampling: str = "seeded",
    device: str = "auto",
    threads: int | None = None,
) -> dict[str, Any]:
    """Score the test split (and the val split if asked) and write the outputs; returns the metrics."""
    from hypergcn.models import build_model
    from hypergcn.training.distributed import choose_device

    if threads:
        torch.set_num_threads(threads)
    dev = choose_device(device)
    attrs = _file_attrs(data)
    file_dataset = str(attrs.get("dataset", ""))
    num_class, num_point, num_person = (int(attrs[k]) for k in ("num_class", "num_point", "num_person"))
    provenance: dict[str, Any] = {
        "data_file": str(data),
        "data_attrs": {k: _plain(v) for k, v in attrs.items()},
        "package_version": hypergcn.__version__,
        "torch_version": torch.__version__,
    }

    if (model_file is None) == (pretrained is None):
        raise ValueError(
            "give exactly one of --model (our model.pt) and --pretrained (an authors' checkpoint)"
        )
    if model_file is not None:
        from hypergcn.training.trainer import load_model_file

        state, meta = load_model_file(model_file)
        for key, expected in (("dataset", file_dataset), ("num_class", num_class), ("modality", modality)):
            if meta.get(key) != expected:
                raise ValueError(
                    f"{model_file} was trained for {key} {meta.get(key)!r}, but this evaluation is for "
                    f"{key} {expected!r} ({data})"
                )
        model = build_model(
            meta["size"],
            meta["dataset"],
            num_class=meta["num_class"],
            num_point=meta["num_point"],
            num_person=meta["num_person"],
            virtual_joints=meta["virtual_joints"],
            virtual_joint_init=meta["virtual_joint_init"],
        )
        model.load_state_dict(state)
        recipe = dict(meta["recipe"])
        test_sampling = meta.get("test_sampling", test_sampling)
        size = meta["size"]
        provenance.update(
            model_file=str(model_file),
            model_sha256=sha256sum(model_file),
            config_digest=meta.get("config_digest"),
            selection=meta.get("selection"),
            selected_epoch=meta.get("selected_epoch"),
            model_selection=meta.get("model_selection"),
            trained_with_package=meta.get("package_version"),
        )
        selection = meta.get("selection")
    else:
        assert pretrained is not None
        if size is None:
            raise ValueError("--pretrained needs --size")
        actual = sha256sum(pretrained)
        if sha256 and actual != sha256.lower():
            raise ValueError(f"sha256 of {pretrained} is {actual}, but the config expects {sha256.lower()}")
        model = build_model(
            size,
            file_dataset,
            num_class=num_class,
            num_point=num_point,
            num_person=num_person,
            virtual_joints=virtual_joints,
        )
        from hypergcn.models import load_official_weights

        try:
            load_official_weights(model, pretrained)
        except ValueError as err:
            raise ValueError(
                f"{pretrained} does not fit the {size} {file_dataset} model ({num_class} classes, "
                f"{num_point} joints, {virtual_joints} virtual joints): {err}"
            ) from err
        provenance.update(
            model_file=str(pretrained),
            model_sha256=actual,
            sha256_verified=bool(sha256),
            selection="authors' released checkpoint (selected on TEST set by the authors)",
        )
        selection = provenance["selection"]
    recipe = recipe or {}
    window = int(recipe.get("window", 64))
    batch_size = int(recipe.get("test_batch_size", 64))
    seed = int(recipe.get("seed", 1))
    model.to(dev)
    options = {
        "window": window,
        "batch_size": batch_size,
        "seed": seed,
        "test_sampling": test_sampling,
        "device": dev,
        "num_workers": min(int(recipe.get("num_workers", 0)), 4),
    }
    provenance.update(window=window, test_sampling=test_sampling)

    logits, labels, names = score_split(model, data, "test", modality, **options)
    metrics: dict[str, Any] = {
        "dataset": file_dataset,
        "benchmark": str(attrs.get("benchmark", "")),
        "size": size,
        "modality": modality,
        "split": "test",
        "selection": selection,
        **classification_metrics(logits, labels, num_class),
        "provenance": provenance,
    }
    _write_scores(scores_out, names, labels, logits)
    if val_scores_out is not None:
        if "val" not in _split_names(data):
            raise ValueError(f"--val-scores given but {data} has no val split (validation.fraction is 0)")
        v_logits, v_labels, v_names = score_split(model, data, "val", modality, **options)
        _write_scores(val_scores_out, v_names, v_labels, v_logits)
        metrics["val"] = {
            k: v
            for k, v in classification_metrics(v_logits, v_labels, num_class).items()
            if k in ("top1", "top5", "n")
        }
    write_json(metrics_out, metrics)
    log.info(
        "%s %s %s %s: test top1 %.2f%% top5 %.2f%% (n=%d)",
        file_dataset,
        metrics["benchmark"],
        size,
        modality,
        metrics["top1"],
        metrics["top5"],
        metrics["n"],
    )
    return metrics


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, type=Path, help="benchmark HDF5")
    parser.add_argument("--modality", required=True, choices=["joint", "bone", "joint_motion", "bone_motion"])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", type=Path, help="a model.pt written by `hypergcn train`")
    source.add_argument("--pretrained", type=Path, help="an authors' released checkpoint (runs-*.pt)")
    parser.add_argument("--sha256", help="expected sha256 of --pretrained")
    parser.add_argument("--size", choices=["base", "large"], help="model size of --pretrained")
    parser.add_argument(
        "--recipe", default="{}", help="JSON recipe for --pretrained (window, test_batch_size)"
    )
    parser.add_argument("--virtual-joints", type=int, default=3, help="virtual joints of --pretrained")
    parser.add_argument("--test-sampling", default="seeded", choices=["seeded", "random"])
    parser.add_argument("--scores", required=True, type=Path, help="output scores.npz")
    parser.add_argument("--metrics", required=True, type=Path, help="output metrics.json")
    parser.add_argument("--val-scores", type=Path, help="also score the val split into this .npz")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int)


def run(args: argparse.Namespace) -> int:
    try:
        evaluate(
            data=args.data,
            modality=args.modality,
            scores_out=args.scores,
            metrics_out=args.metrics,
            val_scores_out=args.val_scores,
            model_file=args.model,
            pretrained=args.pretrained,
            sha256=args.sha256,
            size=args.size,
            recipe=json.loads(args.recipe),
            virtual_joints=args.virtual_joints,
            test_sampling=args.test_sampling,
            device=args.device,
            threads=args.threads,
        )
    except (ValueError, KeyError, FileNotFoundError) as err:
        log.error("%s", err)
        return 1
    return 0


__all__ = ["predict", "evaluate", "score_split"]
