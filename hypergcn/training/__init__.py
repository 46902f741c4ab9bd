"""Training: the authors' recipe as a resumable, optionally distributed trainer (``hypergcn train``).

Modules: ``schedule`` (per-epoch LR), ``checkpoint`` (atomic, checksummed resume state), ``distributed``
(torchrun / DDP and the device choice), ``amp`` (mixed precision policy), ``gpus`` (GPU count without
torch, for the workflow) and ``trainer`` (the loop and the CLI). Submodules are imported on use, so
``import hypergcn.training`` stays cheap.
"""
