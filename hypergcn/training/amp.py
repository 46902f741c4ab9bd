"""Mixed-precision policy: which autocast dtype (if any) and whether a GradScaler is needed."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class AmpPolicy:
    """``dtype`` None means full float32; fp16 needs a GradScaler, bf16 does not."""

    dtype: torch.dtype | None
    device_type: str

    @property
    def enabled(self) -> bool:
        return self.dtype is not None

    @property
    def use_scaler(self) -> bool:
        return self.dtype == torch.float16

    @property
    def name(self) -> str:
        return {None: "off", torch.bfloat16: "bf16", torch.float16: "fp16"}[self.dtype]

    def autocast(self) -> contextlib.AbstractContextManager:
        if not self.enabled:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device_type, dtype=self.dtype)


PRECISIONS: tuple[str, ...] = ("amp", "fp32")


def resolve_amp(precision: str, device: torch.device) -> AmpPolicy:
    """The autocast policy of the ``deviations.precision`` switch on ``device``.

    ``amp``: bf16 autocast on a GPU that supports it, else fp16 (with a GradScaler); float32 on a CPU,
    where autocast is slow and gains nothing. ``fp32``: the authors' setting, torch's float32 defaults
    everywhere. The hypergraph construction stays float32 under autocast either way
    (``hypergcn.models.hypergcn.HyperGraphConv``), so rounding never changes which joints are linked.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r} (deviations.precision)")
    if precision == "fp32" or device.type != "cuda":
        return AmpPolicy(None, device.type)
    return AmpPolicy(torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16, "cuda")
