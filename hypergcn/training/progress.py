"""Per-epoch training metrics: named accumulators, the metrics row, and the epoch's log line."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import torch

from hypergcn.training.distributed import DistContext, all_reduce_sum

log = logging.getLogger("hypergcn.training.trainer")


@dataclass(frozen=True)
class StepValues:
    """One iteration's loss terms, as plain floats (for the non-finite check and its message)."""

    loss: float
    ce: float
    divergence: float

    @property
    def finite(self) -> bool:
        return math.isfinite(self.loss)


@dataclass
class EpochMetrics:
    """Sample-weighted sums of one epoch's training loss terms and correct predictions."""

    loss: float = 0.0
    ce: float = 0.0
    divergence: float = 0.0
    correct: float = 0.0
    samples: float = 0.0
    seconds: float = 0.0

    def add(
        self, loss: torch.Tensor, ce: torch.Tensor, divergence: torch.Tensor, correct: torch.Tensor, n: int
    ):
        """Add one batch (one host sync for all four values) and return its values."""
        values = torch.stack(
            [loss.detach(), ce.detach(), divergence.detach().float(), correct.float()]
        ).tolist()
        self.loss += values[0] * n
        self.ce += values[1] * n
        self.divergence += values[2] * n
        self.correct += values[3]
        self.samples += n
        return StepValues(values[0], values[1], values[2])

    def reduce(self, ctx: DistContext) -> EpochMetrics:
        """The sums over every DDP rank (the same object on a single process)."""
        sums = all_reduce_sum(ctx, [self.loss, self.ce, self.divergence, self.correct, self.samples])
        return EpochMetrics(*sums)

    def row(self, seconds: float) -> dict[str, float]:
        n = self.samples
        return {
            "train_loss": self.loss / n,
            "train_ce": self.ce / n,
            "train_divergence": self.divergence / n,
            "train_top1": 100.0 * self.correct / n,
            "samples_per_s": n / seconds,
        }


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _evaluation_text(row: dict[str, Any]) -> str:
    parts = []
    for split in ("val", "test"):
        if f"{split}_top1" in row:
            parts.append(f" {split} loss {row[f'{split}_loss']:.4f} top1 {row[f'{split}_top1']:.2f}%")
    return "".join(parts)


def log_epoch(row: dict[str, Any], epochs: int, started: float, start_epoch: int) -> None:
    """The epoch's log line: losses, accuracy, learning rate, evaluation, speed, elapsed time and ETA."""
    epoch = int(row["epoch"])
    elapsed = time.perf_counter() - started
    eta = elapsed / (epoch - start_epoch) * (epochs - epoch)
    log.info(
        "epoch %d/%d loss %.4f (ce %.4f div %.4f) top1 %.2f%% lr %.6g%s %.1f samples/s epoch %.1fs "
        "elapsed %s ETA %s",
        epoch, epochs, row["train_loss"], row["train_ce"], row["train_divergence"], row["train_top1"],
        row["lr"], _evaluation_text(row), row["samples_per_s"], row["epoch_s"], _clock(elapsed), _clock(eta),
    )  # fmt: skip
