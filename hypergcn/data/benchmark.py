"""``hypergcn build``: shards -> ``results/data/{dataset}/{benchmark}.h5`` (pipeline-design §4, method §4.4).

For the NTU layout (``ntu60``, ``ntu120``, ``demo``), from denoised shards, per sample, exactly as the
authors' ``seq_transformation.py``:

* masks: for 150-column samples (``slots == 2``) a frame is missing for actor k when the sum of its 75
  values is exactly 0 (computed before centring);
* centring: the origin is joint 2 (values 3:6) of actor 1's first frame that is not all zero; it is
  subtracted from every joint of every body and frame, then the masks set missing frames back to zero;
* second actor (``deviations.second_actor``): ``copy`` (default) copies actor 1 into slot 2 whenever slot 2
  is entirely empty; ``zeros`` never copies; ``per_dataset`` is the authors' behaviour: NTU-60 (and the demo)
  zeros, NTU-120 copies for 75-column samples only;
* zero padding to ``max_frames`` frames (300, the authors' value for the full datasets); a longer sample is
  an error naming it and the config key.

NW-UCLA parsed shards (M = 1, V = 20) are padded to the longest clip with no centring (the loader
normalises, as the authors' feeder does).

Splits and order: the official splits of ``hypergcn.datasets``; inside a split, samples are concatenated per
ID in increasing ID order (performer for X-Sub, camera 2 then 3 for X-View train, setup for X-Set) and in
name order within an ID, which is the order of the authors' arrays. Labels are 0-based (``A001`` -> 0). With
``validation.fraction > 0`` whole performers (NTU) or subjects (NW-UCLA), drawn with ``validation.seed``,
move from train to a ``val`` group.

Memory: the shards are read sequentially in bounded blocks and every sample is written straight into its
place in the output (one compressed chunk per sample), so peak memory does not grow with the number of
samples.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

import hypergcn
from hypergcn.data.ntu_skeleton import parse_ntu_name
from hypergcn.data.shards import STRING, Shard
from hypergcn.data.ucla import parse_name, ucla_split
from hypergcn.datasets import (
    NTU60_XSUB_TRAIN_SUBJECTS,
    NTU60_XVIEW_TRAIN_CAMERAS,
    NTU120_XSUB_TRAIN_SUBJECTS,
    dataset_info,
)
from hypergcn.io import atomic_path, config_digest

log = logging.getLogger("hypergcn.data.benchmark")

SECOND_ACTOR_CHOICES = ("copy", "zeros", "per_dataset")


class BuildError(ValueError):
    """The shards cannot make the requested benchmark (message names the sample and the config key)."""


# --------------------------------------------------------------------------------------------------------
# Splits.


@dataclass(frozen=True)
class SampleKey:
    """Where a sample goes: split, the ID whose order decides its position, label, and its validation group."""

    split: str  # "train" | "test"
    order_id: int
    label: int
    group: int  # performer (NTU) or subject (NW-UCLA): the unit carved out for validation


def sample_key(dataset: str, benchmark: str, name: str) -> SampleKey:
    """The split, ordering ID, 0-based label and performer/subject of one sample (official protocols)."""
    info = dataset_info(dataset)
    if benchmark not in info.benchmarks:
        raise BuildError(f"{benchmark!r} is not a {dataset} benchmark; choose from {list(info.benchmarks)}")
    if info.layout == "ucla":
        try:
            parsed = parse_name(name)
        except ValueError as exc:
            raise BuildError(str(exc)) from None
        return SampleKey(ucla_split(parsed), 0, parsed.label, parsed.subject)
    n = parse_ntu_name(name)
    if benchmark == "xsub":
        train_ids = NTU120_XSUB_TRAIN_SUBJECTS if dataset == "ntu120" else NTU60_XSUB_TRAIN_SUBJECTS
        split = "train" if n.performer in train_ids else "test"
        return SampleKey(split, n.performer, n.label, n.performer)
    if benchmark == "xview":
        split = "train" if n.camera in NTU60_XVIEW_TRAIN_CAMERAS else "test"
        return SampleKey(split, n.camera, n.label, n.performer)
    # xset: train on even setups, test on odd ones
    split = "train" if n.setup % 2 == 0 else "test"
    return SampleKey(split, n.setup, n.label, n.performer)


def assign_splits(
    dataset: str,
    benchmark: str,
    names: Sequence[str],
    val_fraction: float = 0.0,
    val_seed: int = 1,
) -> tuple[dict[str, list[int]], list[SampleKey]]:
    """Indices into ``names`` per split, in the authors' order, and each sample's key."""
    keys = [sample_key(dataset, benchmark, name) for name in names]
    splits: dict[str, list[int]] = {}
    for split in ("train", "test"):
        members = [i for i, key in enumerate(keys) if key.split == split]
        splits[split] = sorted(members, key=lambda i: (keys[i].order_id, names[i]))
    if val_fraction > 0:
        groups = sorted({keys[i].group for i in splits["train"]})
        count = max(1, round(val_fraction * len(groups)))
        unit = "subjects" if dataset_info(dataset).layout == "ucla" else "performers"
        if count >= len(groups):
            raise BuildError(
                f"validation.fraction {val_fraction} leaves no training {unit} ({len(groups)} in the {benchmark} "
                "training split); lower it"
            )
        rng = np.random.default_rng(val_seed)
        chosen = {int(g) for g in rng.choice(np.array(groups), size=count, replace=False)}
        splits["val"] = [i for i in splits["train"] if keys[i].group in chosen]
        splits["train"] = [i for i in splits["train"] if keys[i].group not in chosen]
    return splits, keys


# --------------------------------------------------------------------------------------------------------
# Per-sample transformation (NTU layout).


def copies_second_actor(second_actor: str, dataset: str, slots: int, slot2_empty: bool) -> bool:
    """Whether actor 1 is copied into slot 2 (``deviations.second_actor``, method §4.4, §7.9)."""
    if second_actor == "copy":
        return slot2_empty
    if second_actor == "zeros":
        return False
    if second_actor == "per_dataset":
        return dataset == "ntu120" and slots == 1
    raise ValueError(f"second_actor must be one of {SECOND_ACTOR_CHOICES}, not {second_actor!r}")


def transform_ntu(
    data: np.ndarray, slots: int, dataset: str, second_actor: str, name: str = ""
) -> np.ndarray:
    """Centre one denoised sample (F, 2, 25, 3) and fill its second slot (module docstring)."""
    frames = len(data)
    flat = np.ascontiguousarray(data, dtype=np.float32).reshape(frames, 150)
    width = 150 if slots == 2 else 75
    array = flat[:, :width].copy()  # the authors' (F, 75) or (F, 150) array
    if slots == 2:
        missing1 = np.flatnonzero(array[:, :75].sum(axis=1) == 0)
        missing2 = np.flatnonzero(array[:, 75:].sum(axis=1) == 0)
    nonzero = np.flatnonzero((array[:, :75] != 0).any(axis=1))
    if len(nonzero) == 0:
        raise BuildError(f"sample {name}: actor 1 has no non-zero frame, so it cannot be centred")
    origin = array[nonzero[0], 3:6].copy()  # joint 2 of actor 1's first non-zero frame
    array -= np.tile(origin, width // 3)
    if slots == 2:
        array[missing1, :75] = 0
        array[missing2, 75:] = 0
    out = np.zeros((frames, 150), dtype=np.float32)
    out[:, :width] = array
    if copies_second_actor(second_actor, dataset, slots, not out[:, 75:].any()):
        out[:, 75:] = out[:, :75]
    return out.reshape(frames, 2, 25, 3)


# --------------------------------------------------------------------------------------------------------
# The builder.


@dataclass
class BuildSettings:
    dataset: str
    benchmark: str
    max_frames: int = 300
    second_actor: str = "copy"
    num_class: int | None = None
    val_fraction: float = 0.0
    val_seed: int = 1

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def build_benchmark(
    shard_paths: Sequence[str | Path],
    out_path: str | Path,
    settings: BuildSettings,
    provenance: dict[str, Any] | None = None,
) -> dict[str, int]:
    """Write the benchmark file from the shards; returns the sample count per split."""
    info = dataset_info(settings.dataset)
    num_class = settings.num_class or info.num_class
    if settings.second_actor not in SECOND_ACTOR_CHOICES:
        raise ValueError(f"second_actor must be one of {SECOND_ACTOR_CHOICES}")
    shards = [Shard(path) for path in shard_paths]
    try:
        for shard in shards:
            if shard.dataset != settings.dataset:
                raise BuildError(f"{shard.path} holds dataset {shard.dataset!r}, not {settings.dataset!r}")
        names = [name for shard in shards for name in shard.names]
        lengths = np.concatenate([shard.lengths for shard in shards]) if shards else np.zeros(0, np.int64)
        if len(set(names)) != len(names):
            seen: set[str] = set()
            dup = next(n for n in names if n in seen or seen.add(n))
            raise BuildError(f"sample {dup} appears in more than one shard")
        if not names:
            raise BuildError(f"{settings.dataset}: the shards hold no samples (are the raw folders empty?)")
        splits, keys = assign_splits(
            settings.dataset, settings.benchmark, names, settings.val_fraction, settings.val_seed
        )
        bad_labels = [names[i] for i, key in enumerate(keys) if not 0 <= key.label < num_class]
        if bad_labels:
            raise BuildError(
                f"{len(bad_labels)} sample(s) have an action outside the {num_class} classes of {settings.dataset}, "
                f"e.g. {bad_labels[0]}"
            )
        if info.layout == "ucla":
            max_frames = int(lengths.max())
        else:
            max_frames = settings.max_frames
            too_long = np.flatnonzero(lengths > max_frames)
            if len(too_long):
                shown = ", ".join(f"{names[i]} ({lengths[i]} frames)" for i in too_long[:5])
                raise BuildError(
                    f"{len(too_long)} sample(s) have more than max_frames = {max_frames} frames: {shown}. Raise "
                    f"datasets.{settings.dataset}.max_frames to at least {int(lengths.max())}."
                )
        num_person = int(shards[0].attrs.get("num_person", info.num_person))
        num_point = int(shards[0].attrs.get("num_point", info.num_point))
        # Destination of every sample: (split, position).
        where: list[tuple[str, int]] = [("", -1)] * len(names)
        for split, members in splits.items():
            for pos, i in enumerate(members):
                where[i] = (split, pos)
        counts = {split: len(members) for split, members in splits.items()}
        provenance = provenance if provenance is not None else settings.as_dict()
        t0 = time.perf_counter()
        with atomic_path(out_path) as tmp, h5py.File(tmp, "w") as out:
            xs = {}
            for split, members in splits.items():
                group = out.create_group(split)
                n = len(members)
                shape = (n, 3, max_frames, num_point, num_person)
                xs[split] = group.create_dataset(
                    "x",
                    shape=shape,
                    dtype=np.float32,
                    chunks=(1, 3, max_frames, num_point, num_person) if n else None,
                    compression="lzf" if n else None,
                    fillvalue=0.0,
                )
                group.create_dataset("y", data=np.array([keys[i].label for i in members], dtype=np.int64))
                group.create_dataset(
                    "name", data=np.array([names[i] for i in members], dtype=object), dtype=STRING
                )
                group.create_dataset("frames", data=lengths[members].astype(np.int32))
            out.attrs.update(
                dataset=settings.dataset,
                benchmark=settings.benchmark,
                num_class=num_class,
                num_point=num_point,
                num_person=num_person,
                max_frames=max_frames,
                second_actor=settings.second_actor if info.layout == "ntu" else "n/a",
                config_digest=config_digest(provenance),
                config=json.dumps(provenance, sort_keys=True, default=str),
                package_version=hypergcn.__version__,
                created_by="hypergcn build",
            )
            index = 0
            sample = np.zeros((3, max_frames, num_point, num_person), dtype=np.float32)
            for shard in shards:
                slots = shard.columns.get("slots")
                for k, frames in shard.iter_samples():
                    i = index + k
                    split, pos = where[i]
                    if info.layout == "ntu":
                        frames = transform_ntu(
                            frames,
                            int(slots[k]) if slots is not None else 2,
                            settings.dataset,
                            settings.second_actor,
                            names[i],
                        )
                    sample[:] = 0
                    sample[:, : len(frames)] = frames.transpose(3, 0, 2, 1)  # (T, M, V, C) -> (C, T, V, M)
                    xs[split][pos] = sample
                index += len(shard)
        seconds = time.perf_counter() - t0
        log.info(
            "%s %s: %s samples written to %s in %.1f s (%.0f samples/s)",
            settings.dataset,
            settings.benchmark,
            counts,
            out_path,
            seconds,
            len(names) / seconds if seconds > 0 else 0,
        )
        return counts
    finally:
        for shard in shards:
            shard.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", required=True, choices=["ntu60", "ntu120", "demo", "ucla"])
    parser.add_argument("--benchmark", required=True, choices=["xsub", "xview", "xset"])
    parser.add_argument(
        "--shards", required=True, nargs="+", help="denoised (NTU) or parsed (NW-UCLA) shards"
    )
    parser.add_argument("--output", required=True, help="benchmark file to write (.h5)")
    parser.add_argument(
        "--max-frames", type=int, default=300, help="NTU padding length (datasets.<name>.max_frames)"
    )
    parser.add_argument("--second-actor", choices=SECOND_ACTOR_CHOICES, default="copy")
    parser.add_argument(
        "--num-class", type=int, default=None, help="classes (default: the dataset's; demo: config)"
    )
    parser.add_argument("--val-fraction", type=float, default=0.0, help="validation.fraction")
    parser.add_argument("--val-seed", type=int, default=1, help="validation.seed")
    parser.add_argument(
        "--provenance", default=None, help="JSON of the config parts behind this file (digested)"
    )


def run(args: argparse.Namespace) -> int:
    settings = BuildSettings(
        dataset=args.dataset,
        benchmark=args.benchmark,
        max_frames=args.max_frames,
        second_actor=args.second_actor,
        num_class=args.num_class,
        val_fraction=args.val_fraction,
        val_seed=args.val_seed,
    )
    provenance = {"build": settings.as_dict()}
    if args.provenance:
        provenance["config"] = json.loads(args.provenance)
    try:
        build_benchmark(args.shards, args.output, settings, provenance)
    except BuildError as exc:
        log.error("%s", exc)
        return 1
    return 0
