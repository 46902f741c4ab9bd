"""``hypergcn train``: train one modality stream with the authors' recipe, resumably, on CPU, a GPU or DDP.

The recipe (docs/method.md#recipe, docs/method.md#optimiser-and-loss) is SGD with Nesterov momentum and
coupled weight decay on every trainable parameter, the per-epoch warm-up + step LR schedule, cross-entropy
with label smoothing plus the weighted divergence loss of the virtual joints, and a shuffled, ``drop_last``
training loader. Differences from the authors' ``main.py``, all deliberate:

* Shuffling and augmentation are seeded per epoch (``DistributedSampler`` seed + epoch, and the loader's
  per-sample seeds), so a killed run resumes bit-identically on CPU with deterministic settings.
* Under ``torchrun`` the model is wrapped in DistributedDataParallel (not DataParallel), each rank computes
  the divergence loss from its own parameters (docs/method.md#q8-code-bugs) and the recipe's batch size is
  the global batch.
* ``model.pt`` keeps the weights of every model selection of one run: the last epoch, the best validation
  epoch when the file has a validation split, and the best test epoch when the test split is scored every
  epoch (recipe ``eval_test``, as the authors' loop does). Which one is reported is decided at evaluation
  (``deviations.model_selection``), so changing it never retrains (docs/method.md#q6-test-set-selection).
* A checkpoint is written atomically after every epoch (``training.checkpoint``); declared outputs are
  written only at the end.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

from hypergcn.config import RunDescription
from hypergcn.data.benchmark_file import BenchmarkInfo, read_benchmark_info
from hypergcn.data.dataset import SkeletonDataset
from hypergcn.evaluation.inference import TestTime, score_split
from hypergcn.evaluation.metrics import topk_accuracy
from hypergcn.io import config_digest
from hypergcn.models import HyperGCN, model_config
from hypergcn.training import checkpoint as ckpt
from hypergcn.training.amp import AmpPolicy, resolve_amp
from hypergcn.training.distributed import DistContext, any_rank, barrier, cleanup, init_distributed
from hypergcn.training.outputs import write_outputs
from hypergcn.training.progress import EpochMetrics, log_epoch
from hypergcn.training.resume import RESTART_ENV, resume_decision
from hypergcn.training.schedule import EpochLRSchedule
from hypergcn.training.state import Training, TrainSpec

log = logging.getLogger(__name__)


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite; the last good checkpoint is left in place."""


@dataclass
class EpochLoop:
    """What every epoch of one run reuses: the training data, the precision and what to evaluate."""

    dataset: SkeletonDataset
    sampler: DistributedSampler
    loader: DataLoader
    amp: AmpPolicy
    eval_splits: list[str]
    result: dict[str, Any]  # result_config of the run, stored in every checkpoint
    digest: str


def make_optimizer(model: nn.Module, recipe: dict[str, Any]) -> torch.optim.SGD:
    """SGD with Nesterov momentum and weight decay on every trainable parameter (the authors' choice)."""
    return torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad],
        lr=float(recipe["base_lr"]),
        momentum=float(recipe["momentum"]),
        nesterov=bool(recipe["nesterov"]),
        weight_decay=float(recipe["weight_decay"]),
    )


def result_config(run: RunDescription, info: BenchmarkInfo) -> dict[str, Any]:
    """What decides a run's result; its digest guards resumes (checkpoint vs. this run)."""
    return {"run": run.result_fields(), "data": info.identity}


def _configure_torch(spec: TrainSpec, ctx: DistContext) -> None:
    if spec.threads:
        on_cpu = ctx.device.type == "cpu"
        torch.set_num_threads(max(1, spec.threads // ctx.world_size) if on_cpu else spec.threads)
    deterministic = bool(spec.run.recipe["deterministic"])
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(deterministic, warn_only=True)
    torch.backends.cudnn.deterministic = deterministic
    torch.backends.cudnn.benchmark = not deterministic  # the authors' setting when not deterministic


def _build(spec: TrainSpec, info: BenchmarkInfo, ctx: DistContext) -> Training:
    run = spec.run
    ckpt.seed_everything(run.seed)  # same seed on every rank: identical initial weights
    config = model_config(
        run.size,
        run.dataset,
        num_class=info.num_class,
        num_point=info.num_point,
        num_person=info.num_person,
        virtual_joints=run.virtual_joints,
        virtual_joint_init=run.virtual_joint_init,
    )
    core = HyperGCN(config).to(ctx.device)
    optimizer = make_optimizer(core, run.recipe)
    recipe = run.recipe
    schedule = EpochLRSchedule(
        optimizer, recipe["base_lr"], recipe["warmup_epochs"], recipe["lr_steps"], recipe["lr_decay"]
    )
    amp = resolve_amp(run.precision, ctx.device)
    scaler = torch.amp.GradScaler(ctx.device.type, enabled=amp.use_scaler)
    return Training(core, core, optimizer, schedule, scaler)


def _resume(
    training: Training, spec: TrainSpec, result: dict[str, Any], digest: str, ctx: DistContext
) -> None:
    path = resume_decision(spec.checkpoint_dir, result, digest, ctx, restart=spec.restart)
    seed = spec.run.seed
    if path is not None:
        state = ckpt.load_checkpoint(path)
        training.restore(state)
        if ctx.is_main:
            ckpt.set_rng_state(state["rng"])
        else:  # only rank 0's RNG state is saved; other ranks continue from a derived seed
            ckpt.seed_everything(ckpt.derived_seed(seed, ctx.rank, training.start_epoch))
        epochs = spec.run.recipe["epochs"]
        log.info("resuming from checkpoint %s: %d of %d epochs done", path, training.start_epoch, epochs)
    else:
        if ctx.rank:
            ckpt.seed_everything(ckpt.derived_seed(seed, ctx.rank, 0))
        log.info("starting from scratch (%d epochs)", spec.run.recipe["epochs"])
    if ctx.distributed:
        device_ids = [ctx.device] if ctx.device.type == "cuda" else None
        training.model = DistributedDataParallel(training.core, device_ids=device_ids)


def _train_loader(
    spec: TrainSpec, ctx: DistContext
) -> tuple[SkeletonDataset, DistributedSampler, DataLoader]:
    run, recipe = spec.run, spec.run.recipe
    dataset = SkeletonDataset(
        spec.data,
        "train",
        run.modality,
        window=int(recipe["window"]),
        train=True,
        recipe=recipe,
        seed=run.seed,
        repeat=int(recipe["repeat"]),
        test_sampling=run.test_sampling,
    )
    sampler = DistributedSampler(
        dataset, num_replicas=ctx.world_size, rank=ctx.rank, shuffle=True, seed=run.seed
    )
    loader = DataLoader(
        dataset,
        batch_size=int(recipe["batch_size"]) // ctx.world_size,
        sampler=sampler,
        num_workers=int(recipe["num_workers"]),
        pin_memory=ctx.device.type == "cuda",
        drop_last=True,
    )
    if len(loader) == 0:
        raise ValueError(
            f"the training split has {len(dataset)} samples, fewer than one batch of {recipe['batch_size']} "
            "(drop_last); lower recipe batch_size"
        )
    return dataset, sampler, loader


def train_one_epoch(
    training: Training, loader: DataLoader, epoch: int, amp: AmpPolicy, spec: TrainSpec, ctx: DistContext
) -> EpochMetrics:
    """One pass over the training loader: forward, CE + weighted divergence, backward, SGD step."""
    recipe = spec.run.recipe
    criterion = nn.CrossEntropyLoss(label_smoothing=float(recipe["label_smoothing"]))
    divergence_weight = float(recipe["divergence_weight"])
    metrics = EpochMetrics()
    training.model.train()
    batches: Any = loader
    if ctx.is_main and sys.stderr.isatty():
        from tqdm import tqdm  # a progress bar only on a terminal

        batches = tqdm(loader, desc=f"epoch {epoch + 1}/{recipe['epochs']}", leave=False, dynamic_ncols=True)
    for iteration, (x, y, _names) in enumerate(batches):
        x = x.to(ctx.device, non_blocking=True)
        y = y.to(ctx.device, non_blocking=True)
        with amp.autocast():
            logits = training.model(x)
        ce = criterion(logits.float(), y)
        divergence = training.core.divergence_loss()
        loss = ce + divergence_weight * divergence
        step = metrics.add(loss, ce, divergence, (logits.argmax(1) == y).sum(), len(y))
        if any_rank(ctx, not step.finite):
            raise NonFiniteLossError(
                f"non-finite training loss ({step.loss}) at epoch {epoch + 1} iteration {iteration + 1} "
                f"(of {len(loader)}); ce {step.ce}, divergence {step.divergence}. The last good checkpoint "
                f"({epoch} epochs) is kept in {spec.checkpoint_dir}"
            )
        training.optimizer.zero_grad(set_to_none=True)
        training.scaler.scale(loss).backward()
        training.scaler.step(training.optimizer)
        training.scaler.update()
    return metrics


def evaluate_split(
    model: nn.Module, split: str, spec: TrainSpec, ctx: DistContext, amp: AmpPolicy
) -> dict[str, float]:
    """Smoothed CE (the authors' logged test loss), top-1 and top-5 of one split, in eval mode."""
    recipe = spec.run.recipe
    test_time = TestTime(
        window=int(recipe["window"]),
        batch_size=int(recipe["test_batch_size"]),
        seed=spec.run.seed,
        test_sampling=spec.run.test_sampling,
        num_workers=int(recipe["num_workers"]),
        recipe=recipe,
    )
    scores = score_split(model, spec.data, split, spec.run.modality, test_time, ctx.device, amp)
    logits, labels = torch.from_numpy(scores.logits), torch.from_numpy(scores.labels)
    smoothing = float(recipe["label_smoothing"])
    loss = nn.functional.cross_entropy(logits, labels, label_smoothing=smoothing).item()
    top1, top5 = (
        topk_accuracy(scores.logits, scores.labels, 1),
        topk_accuracy(scores.logits, scores.labels, 5),
    )
    return {"loss": loss, "top1": top1, "top5": top5}


def _update_best(training: Training, row: dict[str, Any]) -> None:
    """Keep the earliest epoch with the highest val / test top-1 (the authors' strict update)."""
    for selection in ("val", "test"):
        score = row.get(f"{selection}_top1")
        best = training.best.get(selection)
        if score is not None and (best is None or score > best["score"]):
            state = {k: v.detach().to("cpu", copy=True) for k, v in training.core.state_dict().items()}
            training.best[selection] = {"epoch": row["epoch"], "score": float(score), "state": state}


def _epoch(training: Training, epoch: int, loop: EpochLoop, spec: TrainSpec, ctx: DistContext) -> None:
    """Train one epoch, evaluate, record the row, update the best epochs and write the checkpoint."""
    start = time.perf_counter()
    lr = training.schedule.start_epoch(epoch)
    loop.sampler.set_epoch(epoch)
    loop.dataset.set_epoch(epoch)
    metrics = train_one_epoch(training, loop.loader, epoch, loop.amp, spec, ctx).reduce(ctx)
    row = {"epoch": epoch + 1, "lr": lr, **metrics.row(time.perf_counter() - start)}
    if ctx.is_main:
        for split in loop.eval_splits:
            scores = evaluate_split(training.core, split, spec, ctx, loop.amp)
            row.update({f"{split}_{k}": v for k, v in scores.items()})
    row["epoch_s"] = time.perf_counter() - start
    training.history.append(row)
    _update_best(training, row)
    if ctx.is_main:
        ckpt.save_checkpoint(
            spec.checkpoint_dir, epoch + 1, training.state(epoch + 1, loop.result, loop.digest)
        )
    barrier(ctx)


def train(spec: TrainSpec) -> Training:
    """Train (or resume) one run; write checkpoints every epoch and the declared outputs at the end."""
    ctx = init_distributed(spec.device)
    if not ctx.is_main:  # one log, from rank 0; other ranks report only problems
        logging.getLogger("hypergcn").setLevel(logging.WARNING)
    try:
        return _train(spec, ctx)
    finally:
        cleanup(ctx)


def _train(spec: TrainSpec, ctx: DistContext) -> Training:
    run, info = spec.run, read_benchmark_info(spec.data)
    if int(run.recipe["batch_size"]) % ctx.world_size:
        raise ValueError(
            f"batch_size {run.recipe['batch_size']} is not divisible by the {ctx.world_size} processes"
        )
    result = result_config(run, info)
    digest = config_digest(result)
    log.info("run description: %s", run.to_json())
    _configure_torch(spec, ctx)
    training = _build(spec, info, ctx)
    _resume(training, spec, result, digest, ctx)
    dataset, sampler, loader = _train_loader(spec, ctx)
    eval_splits = [
        s for s in ("val", "test") if info.has_split(s) and (s == "val" or run.recipe["eval_test"])
    ]
    amp = resolve_amp(run.precision, ctx.device)
    loop = EpochLoop(dataset, sampler, loader, amp, eval_splits, result, digest)
    epochs = int(run.recipe["epochs"])
    log.info(
        "%s/%s %s %s: %d train samples, %d iterations/epoch, batch %d on %d process(es), device %s, amp %s, "
        "per-epoch evaluation %s, digest %s",
        info.dataset, info.benchmark, run.size, run.modality, len(dataset), len(loader),
        run.recipe["batch_size"], ctx.world_size, ctx.device, amp.name, eval_splits or "none", digest,
    )  # fmt: skip
    started = time.perf_counter()
    for epoch in range(training.start_epoch, epochs):
        _epoch(training, epoch, loop, spec, ctx)
        if ctx.is_main:
            log_epoch(training.history[-1], epochs, started, training.start_epoch)
        if spec.epoch_callback is not None:
            spec.epoch_callback(training.history[-1])
    if ctx.is_main:
        write_outputs(spec, info, training, digest)
        ckpt.mark_completed(spec.checkpoint_dir, digest)
    barrier(ctx)
    return training


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--run",
        required=True,
        help="the run description: a JSON object, or @FILE (recipe keys it leaves out take the defaults)",
    )
    parser.add_argument("--data", required=True, type=Path, help="benchmark HDF5 (results/data/<ds>/<bm>.h5)")
    parser.add_argument("--model", required=True, type=Path, help="output model.pt (last epoch)")
    parser.add_argument("--metrics", required=True, type=Path, help="output metrics.csv (a row per epoch)")
    parser.add_argument("--checkpoint-dir", type=Path, help="default: <model folder>/checkpoints")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, help="torch intra-op threads (per process share)")
    parser.add_argument(
        "--restart",
        action="store_true",
        help=f"discard existing checkpoints and start over (also: environment {RESTART_ENV}=1)",
    )


def run(args: argparse.Namespace) -> int:
    restart = args.restart or os.environ.get(RESTART_ENV, "").strip().lower() in ("1", "true", "yes")
    text = Path(args.run[1:]).read_text() if args.run.startswith("@") else args.run
    try:
        spec = TrainSpec(
            run=RunDescription.from_json(text),
            data=args.data,
            model_out=args.model,
            metrics_out=args.metrics,
            checkpoint_dir=args.checkpoint_dir,
            device=args.device,
            threads=args.threads,
            restart=restart,
        )
        train(spec)
    except (NonFiniteLossError, ckpt.StaleCheckpointError, ValueError) as err:
        log.error("%s", err)
        return 1
    return 0


__all__ = ["NonFiniteLossError", "TrainSpec", "Training", "train", "train_one_epoch"]
