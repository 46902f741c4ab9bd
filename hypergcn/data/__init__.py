"""Raw skeleton parsing, denoising, benchmark building and the training-data loader.

``SkeletonDataset`` is imported lazily so the preprocessing stages do not import torch.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SkeletonDataset"]


def __getattr__(name: str) -> Any:
    if name == "SkeletonDataset":
        from hypergcn.data.dataset import SkeletonDataset

        return SkeletonDataset
    raise AttributeError(f"module 'hypergcn.data' has no attribute {name!r}")
