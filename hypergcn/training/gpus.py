"""Count this machine's GPUs without importing torch, for the workflow's parse-time resource defaults."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

_NVIDIA_PROC = Path("/proc/driver/nvidia/gpus")


def local_gpu_count() -> int:
    """GPUs visible here: ``CUDA_VISIBLE_DEVICES`` if set, else the NVIDIA driver's entries, else 0.

    Importing torch only to ask ``torch.cuda.device_count()`` would add seconds to every ``snakemake``
    call (dry runs included); the driver's ``/proc`` entries answer the same question for free.
    ``nvidia-smi`` on the PATH without ``/proc`` entries (some containers) counts as one GPU.
    """
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        devices = []
        for device in visible.split(","):
            if device.strip() in ("", "-1"):
                break  # CUDA stops at the first invalid entry
            devices.append(device)
        return len(devices)
    if _NVIDIA_PROC.is_dir():
        return sum(1 for _ in _NVIDIA_PROC.iterdir())
    return 1 if shutil.which("nvidia-smi") else 0
