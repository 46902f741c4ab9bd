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


def resolve_amp(setting: str, device: torch.device) -> AmpPolicy:
    """``auto``: bf16 on a GPU that supports it, else fp16 on GPU; off on CPU (slow there, no gain).

    ``bf16`` also works on CPU (explicit request); ``fp16`` needs CUDA.
    """
    if setting == "off":
        return AmpPolicy(None, device.type)
    if setting == "auto":
        if device.type != "cuda":
            return AmpPolicy(None, device.type)
        return AmpPolicy(torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16, "cuda")
    if setting == "bf16":
        return AmpPolicy(torch.bfloat16, device.type)
    if setting == "fp16":
        if device.type != "cuda":
            raise ValueError("recipe amp: fp16 needs a CUDA device; use 'off' or 'bf16' on CPU")
        return AmpPolicy(torch.float16, "cuda")
    raise ValueError(f"recipe amp must be auto, off, bf16 or fp16, got {setting!r}")
