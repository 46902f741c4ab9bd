"""The authors' per-epoch learning-rate schedule (docs/method.md#recipe): linear warm-up, then step decay.

The LR is set once at the start of every epoch and never changes within it, exactly as the authors'
``adjust_learning_rate``. A tiny scheduler object (instead of a ``torch.optim.lr_scheduler`` lambda) keeps
its state a plain dict, so it round-trips through a ``weights_only`` checkpoint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch


def lr_at_epoch(
    epoch: int, base_lr: float, warmup_epochs: int = 5, steps: Sequence[int] = (110, 120), decay: float = 0.1
) -> float:
    """Learning rate of 0-based ``epoch``.

    ``epoch < warmup_epochs``: ``base_lr * (epoch + 1) / warmup_epochs``; otherwise
    ``base_lr * decay ** (number of steps <= epoch)``. With the authors' base recipe this gives 0.01 ... 0.05
    over e = 0..4, 0.05 up to e = 109, 0.005 for e = 110..119 and 0.0005 from e = 120.
    """
    if epoch < 0:
        raise ValueError(f"epoch must be >= 0, got {epoch}")
    if epoch < warmup_epochs:
        return base_lr * (epoch + 1) / warmup_epochs
    return base_lr * decay ** sum(1 for step in steps if step <= epoch)


class EpochLRSchedule:
    """Sets every parameter group's LR to :func:`lr_at_epoch` at the start of an epoch."""

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        base_lr: float,
        warmup_epochs: int = 5,
        steps: Sequence[int] = (110, 120),
        decay: float = 0.1,
    ) -> None:
        self.optimizer = optimizer
        self.base_lr = float(base_lr)
        self.warmup_epochs = int(warmup_epochs)
        self.steps = [int(s) for s in steps]
        self.decay = float(decay)
        self.epoch = -1  # no epoch started yet

    def lr(self, epoch: int) -> float:
        return lr_at_epoch(epoch, self.base_lr, self.warmup_epochs, self.steps, self.decay)

    def start_epoch(self, epoch: int) -> float:
        """Apply the LR of ``epoch`` to the optimiser and return it."""
        value = self.lr(epoch)
        for group in self.optimizer.param_groups:
            group["lr"] = value
        self.epoch = epoch
        return value

    def state_dict(self) -> dict[str, Any]:
        return {
            "base_lr": self.base_lr,
            "warmup_epochs": self.warmup_epochs,
            "steps": list(self.steps),
            "decay": self.decay,
            "epoch": self.epoch,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.base_lr = float(state["base_lr"])
        self.warmup_epochs = int(state["warmup_epochs"])
        self.steps = [int(s) for s in state["steps"]]
        self.decay = float(state["decay"])
        self.epoch = int(state["epoch"])
