"""``hypergcn train``: train one modality stream with the authors' recipe, resumably, on CPU, a GPU or DDP.

The recipe (method §3, §9.3) is SGD with Nesterov momentum and coupled weight decay on every trainable
parameter, the per-epoch warm-up + step LR schedule, cross-entropy with label smoothing plus the weighted
divergence loss of the virtual joints, and a shuffled, ``drop_last`` training loader. Differences from the
authors' ``main.py``, all deliberate:

* Shuffling and augmentation are seeded per epoch (``DistributedSampler`` seed + epoch, and the loader's
  per-sample seeds), so a killed run resumes bit-identically on CPU with deterministic settings.
* Under ``torchrun`` the model is wrapped in DistributedDataParallel (not DataParallel), each rank computes
  the divergence loss from its own parameters (method §7.8) and the recipe's batch size is the global batch.
* Model selection is the last epoch unless the config says otherwise (``val``: best validation epoch;
  ``test``: the authors' best test epoch, labelled as such in every output; method §7.6).
* A checkpoint is written atomically after every epoch (``training.checkpoint``); declared outputs
  (``model.pt``, ``metrics.csv``) are written only at the end.

Per-epoch evaluation: the validation split (if the file has one) is evaluated after every epoch, the test
split only when selecting on it or with ``--eval-test`` (it costs a full test pass per epoch, and the
``evaluate_model`` rule scores the selected model anyway).
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

import hypergcn
from hypergcn.io import atomic_path, config_digest
from hypergcn.training import checkpoint as ckpt
from hypergcn.training.amp import AmpPolicy, resolve_amp
from hypergcn.training.distributed import (
    DistContext,
    all_reduce_sum,
    any_rank,
    barrier,
    broadcast_object,
    cleanup,
    init_distributed,
)
from hypergcn.training.schedule import EpochLRSchedule

log = logging.getLogger(__name__)

# The authors' recipe (method §3, §9.3), used for keys a hand-written --recipe leaves out. The workflow
# always passes the full recipe resolved from the config (hypergcn.config.resolve_recipe).
AUTHORS_RECIPE: dict[str, Any] = {
    "epochs": 140,
    "batch_size": 64,
    "test_batch_size": 64,
    "base_lr": 0.05,
    "warmup_epochs": 5,
    "lr_steps": [110, 120],
    "lr_decay": 0.1,
    "momentum": 0.9,
    "nesterov": True,
    "weight_decay": 0.0004,
    "label_smoothing": 0.1,
    "divergence_weight": 1.0,
    "window": 64,
    "repeat": 1,
    "seed": 1,
    "amp": "auto",
    "num_workers": 4,
    "deterministic": False,
}
# Recipe keys that change how fast a run goes but not its result; a resume may change them.
_NON_RESULT_KEYS = ("num_workers",)
SELECTIONS = ("last", "val", "test")
# Benchmark-file attributes that describe how it was made rather than what it holds.
_PROVENANCE_ATTRS = ("config", "config_digest", "created_by")
RESTART_ENV = "HYPERGCN_RESTART"
METRIC_COLUMNS = [
    "epoch",
    "lr",
    "train_loss",
    "train_ce",
    "train_divergence",
    "train_top1",
    "val_loss",
    "val_top1",
    "val_top5",
    "test_loss",
    "test_top1",
    "test_top5",
    "samples_per_s",
    "epoch_s",
    "selected",
]


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite; the last good checkpoint is left in place."""


@dataclass
class TrainSpec:
    """Everything one training run needs; the CLI and the tests build it directly."""

    data: Path
    modality: str
    size: str
    recipe: dict[str, Any]
    model_out: Path
    metrics_out: Path
    checkpoint_dir: Path | None = None
    virtual_joints: int = 3
    virtual_joint_init: str = "independent"
    test_sampling: str = "seeded"
    model_selection: str = "last"
    eval_test: bool = False
    device: str = "auto"
    threads: int | None = None
    restart: bool = False
    # Testing hook: return after this many epochs without writing the declared outputs (a simulated kill).
    stop_after: int | None = None

    def __post_init__(self) -> None:
        self.data = Path(self.data)
        self.model_out = Path(self.model_out)
        self.metrics_out = Path(self.metrics_out)
        self.checkpoint_dir = Path(self.checkpoint_dir or self.model_out.parent / "checkpoints")
        self.recipe = {**AUTHORS_RECIPE, **self.recipe}
        unknown = sorted(set(self.recipe) - set(AUTHORS_RECIPE))
        if unknown:
            raise ValueError(f"unknown recipe keys {unknown}; known: {sorted(AUTHORS_RECIPE)}")
        if self.model_selection not in SELECTIONS:
            raise ValueError(f"model selection must be one of {SELECTIONS}, got {self.model_selection!r}")


@dataclass
class TrainResult:
    """What a finished (or deliberately stopped) run returns in-process."""

    state_dict: dict[str, torch.Tensor]
    history: list[dict[str, Any]]
    resumed_from: int  # completed epochs loaded from a checkpoint (0 = fresh start)
    selected_epoch: int | None = None
    completed: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# Data file facts


def data_info(path: Path) -> dict[str, Any]:
    """The benchmark file's attributes and splits, plus an identity that changes when its samples do.

    The identity hashes each split's names and labels and includes the file's own provenance attributes,
    not the bytes of ``x`` (gigabytes for NTU): a rebuilt file with the same samples and preprocessing
    config keeps the identity, so a resume survives a harmless rebuild.
    """
    import hashlib

    with h5py.File(path, "r") as handle:
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in handle.attrs.items()}
        splits: dict[str, dict[str, Any]] = {}
        for split in ("train", "val", "test"):
            if split not in handle:
                continue
            group = handle[split]
            digest = hashlib.sha256()
            digest.update(np.asarray(group["y"][()], dtype=np.int64).tobytes())
            for name in group["name"].asstr()[()]:
                digest.update(str(name).encode() + b"\0")
            splits[split] = {"n": int(len(group["y"])), "samples_sha256": digest.hexdigest()[:16]}
    plain = {k: _jsonable(v) for k, v in sorted(attrs.items())}
    # Not the full provenance: it names the raw folder, and moving the raw data changes no sample.
    identity_attrs = {
        k: v
        for k, v in plain.items()
        if k not in _PROVENANCE_ATTRS and not any(t in k.lower() for t in ("time", "date", "host"))
    }
    return {
        "dataset": str(attrs.get("dataset", "")),
        "benchmark": str(attrs.get("benchmark", "")),
        "num_class": int(attrs["num_class"]),
        "num_point": int(attrs["num_point"]),
        "num_person": int(attrs["num_person"]),
        "splits": splits,
        "identity": {"attrs": identity_attrs, "splits": splits},
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


# --------------------------------------------------------------------------------------------------
# Training


def model_options(spec: TrainSpec, info: dict[str, Any]) -> dict[str, Any]:
    """The model's identity: size, stream, layout and virtual joints (recorded in checkpoints and model.pt)."""
    return {
        "size": spec.size,
        "modality": spec.modality,
        "num_class": info["num_class"],
        "num_point": info["num_point"],
        "num_person": info["num_person"],
        "virtual_joints": spec.virtual_joints,
        "virtual_joint_init": spec.virtual_joint_init,
    }


def run_config(spec: TrainSpec, info: dict[str, Any]) -> dict[str, Any]:
    """What determines the result of a run; its digest guards resumes (checkpoint vs. this run)."""
    recipe = {k: v for k, v in sorted(spec.recipe.items()) if k not in _NON_RESULT_KEYS}
    return {
        "recipe": recipe,
        "data": info["identity"],
        "model": {"dataset": info["dataset"], **model_options(spec, info)},
        "test_sampling": spec.test_sampling,
        "model_selection": spec.model_selection,
    }


def build(spec: TrainSpec, info: dict[str, Any]) -> nn.Module:
    from hypergcn.models import build_model

    return build_model(
        spec.size,
        info["dataset"],
        num_class=info["num_class"],
        num_point=info["num_point"],
        num_person=info["num_person"],
        virtual_joints=spec.virtual_joints,
        virtual_joint_init=spec.virtual_joint_init,
    )


def _configure_torch(spec: TrainSpec, ctx: DistContext) -> None:
    if spec.threads:
        torch.set_num_threads(
            max(1, spec.threads // ctx.world_size) if ctx.device.type == "cpu" else spec.threads
        )
    deterministic = bool(spec.recipe["deterministic"])
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(deterministic, warn_only=True)
    torch.backends.cudnn.deterministic = deterministic
    torch.backends.cudnn.benchmark = not deterministic  # the authors' setting when not deterministic


def _loader(dataset: Any, batch_size: int, spec: TrainSpec, ctx: DistContext, sampler: Any = None, **kw: Any):
    workers = int(spec.recipe["num_workers"])
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        num_workers=workers,
        pin_memory=ctx.device.type == "cuda",
        persistent_workers=False,
        **kw,
    )


def _eval_split(
    model: nn.Module, split: str, spec: TrainSpec, ctx: DistContext, amp: AmpPolicy
) -> dict[str, float]:
    """Smoothed CE (the authors' logged test loss), top-1 and top-5 of one split, in eval mode."""
    from hypergcn.data import SkeletonDataset
    from hypergcn.evaluation.evaluate import predict
    from hypergcn.evaluation.metrics import topk_accuracy

    dataset = SkeletonDataset(
        spec.data,
        split,
        spec.modality,
        window=int(spec.recipe["window"]),
        train=False,
        seed=int(spec.recipe["seed"]),
        test_sampling=spec.test_sampling,
    )
    loader = _loader(dataset, int(spec.recipe["test_batch_size"]), spec, ctx, shuffle=False)
    logits, labels, _ = predict(model, loader, ctx.device, amp)
    loss = nn.functional.cross_entropy(
        torch.from_numpy(logits),
        torch.from_numpy(labels),
        label_smoothing=float(spec.recipe["label_smoothing"]),
    ).item()
    return {"loss": loss, "top1": topk_accuracy(logits, labels, 1), "top5": topk_accuracy(logits, labels, 5)}


def _format_seconds(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def train(spec: TrainSpec) -> TrainResult:
    """Train (or resume) one run; write checkpoints every epoch and the declared outputs at the end."""
    ctx = init_distributed(spec.device)
    if not ctx.is_main:  # one log, from rank 0; other ranks report only problems
        logging.getLogger("hypergcn").setLevel(logging.WARNING)
    try:
        return _train(spec, ctx)
    finally:
        cleanup(ctx)


def _train(spec: TrainSpec, ctx: DistContext) -> TrainResult:
    from hypergcn.data import SkeletonDataset

    recipe = spec.recipe
    info = data_info(spec.data)
    if spec.model_selection == "val" and "val" not in info["splits"]:
        raise ValueError(
            f"model_selection 'val' needs a validation split, but {spec.data} has only "
            f"{sorted(info['splits'])}; set validation.fraction > 0 in the config (or model_selection: last)"
        )
    world = ctx.world_size
    if int(recipe["batch_size"]) % world:
        raise ValueError(f"batch_size {recipe['batch_size']} is not divisible by the {world} processes")
    config = run_config(spec, info)
    digest = config_digest(config)
    _configure_torch(spec, ctx)
    amp = resolve_amp(str(recipe["amp"]), ctx.device)
    seed = int(recipe["seed"])

    # Same seed on every rank: identical initial weights (DDP broadcasts rank 0's anyway).
    ckpt.seed_everything(seed)
    model = build(spec, info).to(ctx.device)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(
        params,
        lr=float(recipe["base_lr"]),
        momentum=float(recipe["momentum"]),
        nesterov=bool(recipe["nesterov"]),
        weight_decay=float(recipe["weight_decay"]),
    )
    schedule = EpochLRSchedule(
        optimizer, recipe["base_lr"], recipe["warmup_epochs"], recipe["lr_steps"], recipe["lr_decay"]
    )
    scaler = torch.amp.GradScaler(ctx.device.type, enabled=amp.use_scaler)

    history: list[dict[str, Any]] = []
    best: dict[str, Any] | None = None
    start_epoch = 0
    resume_path = _resume_decision(spec, config, digest, ctx)
    if resume_path is not None:
        state = ckpt.load_checkpoint(resume_path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        scaler.load_state_dict(state["scaler"])
        start_epoch = int(state["epoch"])
        history = [dict(row) for row in state["history"]]
        best = state.get("best")
        if ctx.is_main:
            ckpt.set_rng_state(state["rng"])
        else:  # only rank 0's RNG state is saved; other ranks continue from a derived seed
            ckpt.seed_everything(ckpt.derived_seed(seed, ctx.rank, start_epoch))
        log.info(
            "resuming from checkpoint %s: %d of %d epochs done", resume_path, start_epoch, recipe["epochs"]
        )
    else:
        if ctx.rank:
            ckpt.seed_everything(ckpt.derived_seed(seed, ctx.rank, 0))
        log.info("starting from scratch (%d epochs)", recipe["epochs"])

    core = model
    if ctx.distributed:
        model = DistributedDataParallel(model, device_ids=[ctx.device] if ctx.device.type == "cuda" else None)

    train_set = SkeletonDataset(
        spec.data,
        "train",
        spec.modality,
        window=int(recipe["window"]),
        train=True,
        seed=seed,
        repeat=int(recipe["repeat"]),
        test_sampling=spec.test_sampling,
    )
    sampler = DistributedSampler(train_set, num_replicas=world, rank=ctx.rank, shuffle=True, seed=seed)
    per_rank_batch = int(recipe["batch_size"]) // world
    loader = _loader(train_set, per_rank_batch, spec, ctx, sampler=sampler, drop_last=True)
    if len(loader) == 0:
        raise ValueError(
            f"the training split has {len(train_set)} samples, fewer than one batch of {recipe['batch_size']} "
            "(drop_last); lower recipe batch_size"
        )
    eval_val = "val" in info["splits"]
    eval_test = spec.eval_test or spec.model_selection == "test"
    criterion = nn.CrossEntropyLoss(label_smoothing=float(recipe["label_smoothing"]))
    div_weight = float(recipe["divergence_weight"])
    epochs = int(recipe["epochs"])
    show_bar = ctx.is_main and sys.stderr.isatty()
    log.info(
        "%s %s/%s %s %s: %d train samples, %d iterations/epoch, batch %d on %d process(es), device %s, amp %s, "
        "selection %s, config digest %s",
        info["dataset"],
        info["benchmark"],
        spec.size,
        spec.modality,
        spec.data,
        len(train_set),
        len(loader),
        recipe["batch_size"],
        world,
        ctx.device,
        amp.name,
        spec.model_selection,
        digest,
    )
    run_start = time.perf_counter()
    for epoch in range(start_epoch, epochs):
        epoch_start = time.perf_counter()
        lr = schedule.start_epoch(epoch)
        sampler.set_epoch(epoch)
        train_set.set_epoch(epoch)
        model.train()
        sums = [0.0, 0.0, 0.0, 0.0, 0.0]  # loss, ce, div (sample-weighted), correct, samples
        batches: Any = loader
        if show_bar:
            from tqdm import tqdm

            batches = tqdm(loader, desc=f"epoch {epoch + 1}/{epochs}", leave=False, dynamic_ncols=True)
        for iteration, (x, y, _names) in enumerate(batches):
            x = x.to(ctx.device, non_blocking=True)
            y = y.to(ctx.device, non_blocking=True)
            with amp.autocast():
                logits = model(x)
            ce = criterion(logits.float(), y)
            divergence = core.divergence_loss()
            loss = ce + div_weight * divergence
            values = torch.stack(
                [
                    loss.detach(),
                    ce.detach(),
                    divergence.detach().float(),
                    (logits.argmax(1) == y).sum().float(),
                ]
            ).tolist()
            if any_rank(ctx, not math.isfinite(values[0])):
                raise NonFiniteLossError(
                    f"non-finite training loss ({values[0]}) at epoch {epoch + 1} iteration {iteration + 1} "
                    f"(of {len(loader)}); ce {values[1]}, divergence {values[2]}, lr {lr:g}. The last good "
                    f"checkpoint ({epoch} epochs) is kept in {spec.checkpoint_dir}"
                )
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            n = len(y)
            sums[0] += values[0] * n
            sums[1] += values[1] * n
            sums[2] += values[2] * n
            sums[3] += values[3]
            sums[4] += n
        loss_sum, ce_sum, div_sum, correct, samples = all_reduce_sum(ctx, sums)
        train_seconds = time.perf_counter() - epoch_start
        row: dict[str, Any] = {
            "epoch": epoch + 1,
            "lr": lr,
            "train_loss": loss_sum / samples,
            "train_ce": ce_sum / samples,
            "train_divergence": div_sum / samples,
            "train_top1": 100.0 * correct / samples,
            "samples_per_s": samples / train_seconds,
        }
        if ctx.is_main:
            if eval_val:
                row.update({f"val_{k}": v for k, v in _eval_split(core, "val", spec, ctx, amp).items()})
            if eval_test:
                row.update({f"test_{k}": v for k, v in _eval_split(core, "test", spec, ctx, amp).items()})
        row["epoch_s"] = time.perf_counter() - epoch_start
        history.append(row)
        best = _update_best(best, row, core, spec.model_selection)
        if ctx.is_main:
            state = {
                "model": core.state_dict(),
                "optimizer": optimizer.state_dict(),
                "schedule": schedule.state_dict(),
                "scaler": scaler.state_dict(),
                "epoch": epoch + 1,
                "rng": ckpt.rng_state(),
                "history": history,
                "best": best,
                "config": json.loads(json.dumps(config)),
                "config_digest": digest,
                "package_version": hypergcn.__version__,
            }
            ckpt.save_checkpoint(spec.checkpoint_dir, epoch + 1, state)
        barrier(ctx)
        elapsed = time.perf_counter() - run_start
        eta = elapsed / (epoch + 1 - start_epoch) * (epochs - epoch - 1)
        if ctx.is_main:
            log.info(
                "epoch %d/%d loss %.4f (ce %.4f div %.4f) top1 %.2f%% lr %.6g%s %.1f samples/s epoch %.1fs "
                "elapsed %s ETA %s",
                epoch + 1,
                epochs,
                row["train_loss"],
                row["train_ce"],
                row["train_divergence"],
                row["train_top1"],
                lr,
                _eval_text(row),
                row["samples_per_s"],
                row["epoch_s"],
                _format_seconds(elapsed),
                _format_seconds(eta),
            )
        if spec.stop_after is not None and epoch + 1 >= spec.stop_after and epoch + 1 < epochs:
            return TrainResult(
                state_dict=_cpu_state(core), history=history, resumed_from=start_epoch, completed=False
            )

    final_state, selected_epoch, label = _select(best, core, spec.model_selection, epochs)
    for row in history:
        row["selected"] = label if row["epoch"] == selected_epoch else ""
    if ctx.is_main:
        _write_outputs(spec, info, config, digest, final_state, history, selected_epoch, label)
        ckpt.mark_completed(spec.checkpoint_dir, digest)
        log.info(
            "selected epoch %d (%s); wrote %s and %s", selected_epoch, label, spec.model_out, spec.metrics_out
        )
    barrier(ctx)
    return TrainResult(
        state_dict=final_state, history=history, resumed_from=start_epoch, selected_epoch=selected_epoch
    )


def _resume_decision(spec: TrainSpec, config: dict[str, Any], digest: str, ctx: DistContext) -> Path | None:
    """Rank 0 decides whether to resume (and from which file); every rank gets the same answer."""
    decision: Any = None
    error: str | None = None
    if ctx.is_main:
        folder = spec.checkpoint_dir
        if spec.restart:
            log.info("restart requested: removing checkpoints in %s", folder)
            ckpt.clear_checkpoints(folder)
        elif ckpt.is_completed(folder):
            log.info("checkpoints in %s belong to a finished run; starting over", folder)
            ckpt.clear_checkpoints(folder)
        else:
            found = ckpt.load_latest_checkpoint(folder)
            if found is not None:
                state, path = found
                if state.get("config_digest") != digest:
                    changes = ckpt.config_changes(state.get("config", {}), config)
                    error = (
                        f"refusing to resume from {path}: it was written by a run with a different config "
                        f"({len(changes)} change(s)):\n  "
                        + "\n  ".join(changes[:20])
                        + "\nTo discard it and "
                        f"start over, pass --restart (or set {RESTART_ENV}=1 for a workflow run, e.g. "
                        f"`{RESTART_ENV}=1 snakemake ...`), or delete {folder}."
                    )
                else:
                    decision = str(path)
    decision, error = broadcast_object(ctx, (decision, error))  # type: ignore[misc]
    if error:
        raise ckpt.StaleCheckpointError(error)
    return Path(decision) if decision else None


def _eval_text(row: dict[str, Any]) -> str:
    parts = []
    for split in ("val", "test"):
        if f"{split}_top1" in row:
            parts.append(f" {split} loss {row[f'{split}_loss']:.4f} top1 {row[f'{split}_top1']:.2f}%")
    return "".join(parts)


def _cpu_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def _update_best(best: dict[str, Any] | None, row: dict[str, Any], model: nn.Module, selection: str):
    """Track the best epoch by val or test top-1 (earliest wins ties, as the authors' strict update)."""
    if selection == "last":
        return None
    score = row.get(f"{selection}_top1")
    if score is None:  # non-main DDP ranks do not evaluate
        return best
    if best is None or score > best["score"]:
        return {"epoch": row["epoch"], "score": float(score), "model": _cpu_state(model)}
    return best


def _select(
    best: dict[str, Any] | None, model: nn.Module, selection: str, epochs: int
) -> tuple[dict[str, torch.Tensor], int, str]:
    if selection == "last" or best is None:
        return _cpu_state(model), epochs, "last epoch"
    if selection == "val":
        return best["model"], int(best["epoch"]), "best validation epoch"
    return best["model"], int(best["epoch"]), "best test epoch (selected on TEST set)"


def _write_outputs(
    spec: TrainSpec,
    info: dict[str, Any],
    config: dict[str, Any],
    digest: str,
    state: dict[str, torch.Tensor],
    history: list[dict[str, Any]],
    selected_epoch: int,
    label: str,
) -> None:
    """metrics.csv, then model.pt (the file downstream rules read), each atomically."""
    with atomic_path(spec.metrics_out) as tmp, open(tmp, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=METRIC_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in history:
            writer.writerow({k: _csv_value(row.get(k)) for k in METRIC_COLUMNS})
    metadata = {
        "format": "hypergcn-model/1",
        "dataset": info["dataset"],
        "benchmark": info["benchmark"],
        **model_options(spec, info),
        "test_sampling": spec.test_sampling,
        "recipe": dict(spec.recipe),
        "model_selection": spec.model_selection,
        "selected_epoch": selected_epoch,
        "selection": label,
        "epochs": int(spec.recipe["epochs"]),
        "config_digest": digest,
        "data": config["data"],
        "package_version": hypergcn.__version__,
        "torch_version": torch.__version__,
    }
    with atomic_path(spec.model_out) as tmp:
        torch.save({"state_dict": state, "metadata": json.loads(json.dumps(metadata))}, tmp)


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


def load_model_file(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read a ``model.pt`` written by :func:`train` (``weights_only``): (state_dict, metadata)."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or "state_dict" not in payload or "metadata" not in payload:
        raise ValueError(f"{path} is not a hypergcn model file (expected 'state_dict' and 'metadata')")
    return payload["state_dict"], payload["metadata"]


# --------------------------------------------------------------------------------------------------
# Command line


def _read_recipe(text: str) -> dict[str, Any]:
    """``--recipe`` is a JSON object, or the path of a JSON file (optionally prefixed with ``@``)."""
    candidate = text[1:] if text.startswith("@") else text
    if not candidate.lstrip().startswith("{") and Path(candidate).is_file():
        text = Path(candidate).read_text()
    try:
        recipe = json.loads(text)
    except json.JSONDecodeError as err:
        raise SystemExit(f"--recipe is neither a JSON object nor a JSON file: {err}") from None
    if not isinstance(recipe, dict):
        raise SystemExit("--recipe must be a JSON object")
    return recipe


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, type=Path, help="benchmark HDF5 (results/data/<ds>/<bm>.h5)")
    parser.add_argument("--modality", required=True, choices=["joint", "bone", "joint_motion", "bone_motion"])
    parser.add_argument("--size", required=True, choices=["base", "large"])
    parser.add_argument(
        "--recipe",
        default="{}",
        help="recipe as a JSON object or JSON file; missing keys take the authors' values",
    )
    parser.add_argument("--model", required=True, type=Path, help="output model.pt")
    parser.add_argument("--metrics", required=True, type=Path, help="output metrics.csv (a row per epoch)")
    parser.add_argument("--checkpoint-dir", type=Path, help="default: <model folder>/checkpoints")
    parser.add_argument("--virtual-joints", type=int, default=3)
    parser.add_argument("--virtual-joint-init", default="independent", choices=["independent", "identical"])
    parser.add_argument("--test-sampling", default="seeded", choices=["seeded", "random"])
    parser.add_argument("--model-selection", default="last", choices=list(SELECTIONS))
    parser.add_argument(
        "--eval-test", action="store_true", help="also evaluate the test split after every epoch"
    )
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, help="torch intra-op threads (per process share)")
    parser.add_argument(
        "--restart",
        action="store_true",
        help=f"discard existing checkpoints and start over (also: environment {RESTART_ENV}=1)",
    )


def run(args: argparse.Namespace) -> int:
    restart = args.restart or os.environ.get(RESTART_ENV, "").strip().lower() in ("1", "true", "yes")
    spec = TrainSpec(
        data=args.data,
        modality=args.modality,
        size=args.size,
        recipe=_read_recipe(args.recipe),
        model_out=args.model,
        metrics_out=args.metrics,
        checkpoint_dir=args.checkpoint_dir,
        virtual_joints=args.virtual_joints,
        virtual_joint_init=args.virtual_joint_init,
        test_sampling=args.test_sampling,
        model_selection=args.model_selection,
        eval_test=args.eval_test,
        device=args.device,
        threads=args.threads,
        restart=restart,
    )
    try:
        train(spec)
    except (NonFiniteLossError, ckpt.StaleCheckpointError, ValueError) as err:
        log.error("%s", err)
        return 1
    return 0


__all__ = ["TrainSpec", "TrainResult", "NonFiniteLossError", "train", "load_model_file", "data_info"]
