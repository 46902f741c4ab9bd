"""Sample shards written in one call, for tests that need a shard without parsing raw files."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from hypergcn.data.shards import ShardWriter


def write_shard(
    path: str | os.PathLike,
    *,
    dataset: str,
    layout: str,
    shard: str,
    names: Sequence[str],
    clips: Iterable[np.ndarray],
    num_point: int,
    num_person: int,
    skipped: Sequence[dict] = (),
    num_bodies: Sequence[int] | None = None,
    attrs: dict[str, Any] | None = None,
) -> None:
    """Write a whole sample shard at once; ``clips[i]`` is float32 (T, M, V, 3) or (T, V, 3) when M = 1."""
    extra = {"num_bodies": np.int32} if num_bodies is not None else None
    with ShardWriter(
        path,
        dataset=dataset,
        layout=layout,
        shard=shard,
        num_point=num_point,
        num_person=num_person,
        extra=extra,
        attrs=attrs,
    ) as writer:
        writer.skipped = list(skipped)
        for i, (name, clip) in enumerate(zip(names, clips, strict=True)):
            clip = np.asarray(clip, dtype=np.float32)
            if clip.ndim == 3:
                clip = clip[:, None]
            if num_bodies is not None:
                writer.add(name, clip, num_bodies=int(num_bodies[i]))
            else:
                writer.add(name, clip)
