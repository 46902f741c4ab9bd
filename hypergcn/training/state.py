"""The state of one training job: what it was asked to do (:class:`TrainSpec`) and what an epoch changes
(:class:`Training`), shared by the trainer loop and the output writer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

import hypergcn
from hypergcn.config import RunDescription
from hypergcn.models import HyperGCN
from hypergcn.training import checkpoint as ckpt
from hypergcn.training.schedule import EpochLRSchedule


@dataclass
class TrainSpec:
    """One training job: the run description, the files, and the machine settings (not in the result)."""

    run: RunDescription
    data: Path
    model_out: Path
    metrics_out: Path
    checkpoint_dir: Path | None = None
    device: str = "auto"
    threads: int | None = None
    restart: bool = False
    # Called with each finished epoch's metrics row after its checkpoint is written (progress reporting).
    epoch_callback: Callable[[dict[str, Any]], None] | None = None

    def __post_init__(self) -> None:
        self.data = Path(self.data)
        self.model_out = Path(self.model_out)
        self.metrics_out = Path(self.metrics_out)
        self.checkpoint_dir = Path(self.checkpoint_dir or self.model_out.parent / "checkpoints")


@dataclass
class Training:
    """The state one epoch changes: model, optimiser, schedule, scaler, history and the best epochs."""

    core: HyperGCN  # the model itself; `model` is its DDP wrapper under torchrun
    model: nn.Module
    optimizer: torch.optim.Optimizer
    schedule: EpochLRSchedule
    scaler: torch.amp.GradScaler
    history: list[dict[str, Any]] = field(default_factory=list)
    best: dict[str, dict[str, Any]] = field(default_factory=dict)  # selection -> epoch, score, state
    start_epoch: int = 0

    def state(self, epoch: int, result: dict[str, Any], digest: str) -> dict[str, Any]:
        """The resume checkpoint after ``epoch`` completed epochs."""
        return {
            "model": self.core.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "schedule": self.schedule.state_dict(),
            "scaler": self.scaler.state_dict(),
            "epoch": epoch,
            "rng": ckpt.rng_state(),
            "history": self.history,
            "best": self.best,
            "config": result,
            "config_digest": digest,
            "package_version": hypergcn.__version__,
        }

    def restore(self, state: dict[str, Any]) -> None:
        self.core.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.schedule.load_state_dict(state["schedule"])
        self.scaler.load_state_dict(state["scaler"])
        self.start_epoch = int(state["epoch"])
        self.history = [dict(row) for row in state["history"]]
        self.best = dict(state.get("best") or {})
