"""Process-group set-up for ``torchrun`` DistributedDataParallel runs, and the device choice.

``torchrun --standalone --nproc-per-node=N`` sets ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK``; without them
the trainer runs as a single process. The backend is NCCL on CUDA and gloo on CPU, so the multi-process
path is testable on a CPU-only machine. The device is chosen here, once, and passed around: no ``.cuda()``
calls elsewhere.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistContext:
    """Where this process runs: its rank among ``world_size`` processes and its device."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = torch.device("cpu")

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Only the main process writes files and logs per-epoch lines."""
        return self.rank == 0


def choose_device(preference: str = "auto", local_rank: int = 0) -> torch.device:
    """``auto``: CUDA (this process's local GPU) if available, else CPU. ``cpu``/``cuda`` force it."""
    if preference not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {preference!r}")
    if preference == "cpu" or (preference == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise RuntimeError("--device cuda was requested but CUDA is not available")
    count = torch.cuda.device_count()
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 or count == 1:
        return torch.device("cuda", local_rank % count)
    return torch.device("cuda", _claim_free_gpu(count))


_GPU_LOCK = None  # held open for the life of the process; the OS releases the lock when it exits


def _claim_free_gpu(count: int) -> int:
    """Index of a visible GPU no other hypergcn process holds (an flock per physical GPU).

    Snakemake runs local jobs without setting CUDA_VISIBLE_DEVICES, so with ``--resources gpu=N`` on an
    N-GPU machine the concurrent single-GPU jobs would all land on cuda:0; each takes a free card instead.
    """
    import fcntl
    import tempfile

    global _GPU_LOCK
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    physical = [v.strip() for v in visible.split(",")][:count] if visible else [str(i) for i in range(count)]
    for index, name in enumerate(physical):
        handle = open(os.path.join(tempfile.gettempdir(), f"hypergcn-gpu-{name}.lock"), "a+")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        _GPU_LOCK = handle
        log.info("using GPU %d (%s), free among %d", index, name, count)
        return index
    log.warning("all %d GPUs are held by other hypergcn jobs; sharing cuda:0", count)
    return 0


def init_distributed(device_preference: str = "auto") -> DistContext:
    """Join the process group if launched by ``torchrun`` (``WORLD_SIZE`` > 1), else a single process."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", str(rank)))
    device = choose_device(device_preference, local_rank)
    if world_size > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(device)
        dist.init_process_group(backend=backend, rank=rank, world_size=world_size)
        log.debug("rank %d/%d joined the %s process group on %s", rank, world_size, backend, device)
    return DistContext(rank=rank, world_size=world_size, local_rank=local_rank, device=device)


def cleanup(ctx: DistContext) -> None:
    if ctx.distributed and dist.is_initialized():
        dist.destroy_process_group()


def barrier(ctx: DistContext) -> None:
    if ctx.distributed:
        dist.barrier()


def all_reduce_sum(ctx: DistContext, values: list[float]) -> list[float]:
    """Sum floats over every rank (identity on a single process)."""
    if not ctx.distributed:
        return list(values)
    tensor = torch.tensor(values, dtype=torch.float64, device=ctx.device)
    dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor.tolist()


def any_rank(ctx: DistContext, flag: bool) -> bool:
    """True if ``flag`` is true on any rank, so every rank takes the same branch (no collective hangs)."""
    if not ctx.distributed:
        return flag
    tensor = torch.tensor([1.0 if flag else 0.0], device=ctx.device)
    dist.all_reduce(tensor, op=dist.ReduceOp.MAX)
    return bool(tensor.item() > 0)


def broadcast_object(ctx: DistContext, obj: object) -> object:
    """Rank 0's ``obj`` on every rank."""
    if not ctx.distributed:
        return obj
    holder = [obj]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]
