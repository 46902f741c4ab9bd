"""``hypergcn build``: shards -> ``results/data/{dataset}/{benchmark}.h5`` (docs/data.md#benchmark-file,
docs/method.md#benchmark-files).

The file is read through :mod:`hypergcn.data.benchmark_file`.

Denoised data (``DatasetInfo.denoised``: NTU ``.skeleton`` files) goes through the authors' third script,
``seq_transformation.py``, exactly, per sample:

* masks: for 150-column samples (``slots == 2``) a frame is missing for actor k when the sum of its 75
  values is exactly 0 (computed before centring);
* centring: the origin is joint 2 (values 3:6) of actor 1's first frame that is not all zero; it is
  subtracted from every joint of every body and frame, then the masks set missing frames back to zero;
* second actor (``deviations.second_actor``): ``copy`` (default) copies actor 1 into slot 2 whenever slot 2
  is entirely empty; ``zeros`` never copies; ``per_dataset`` is the authors' behaviour, declared per dataset
  by ``DatasetInfo.authors_second_actor``: ``zeros`` never copies, ``copy`` copies 75-column samples only;
* zero padding to ``max_frames`` frames (300, the authors' value for the full datasets); a longer sample is
  an error naming it and the config key.

Other parsed shards (NW-UCLA clips, M = 1, V = 20; clip folders, any layout) are padded to the longest clip
with no centring (the loader centres and scales, as the authors' feeder does). The file holds the layout's
channels: C = ``layout.num_channels`` (3 for NTU and NW-UCLA; e.g. x, y, confidence for COCO-17 clips).

Splits and order: each benchmark's :class:`hypergcn.datasets.SplitRule` reads one field of the sample name
(performer, camera, setup or view); a sample trains when the rule says so. Inside a split, an ordered rule
concatenates the samples per value of the field in increasing order (performer for X-Sub, camera 2 then 3
for X-View train, setup for X-Set) and in name order within a value, which is the order of the authors'
arrays; otherwise the samples are in name order. Labels are 0-based (``A001`` -> 0). With
``validation.fraction > 0`` whole performers (NTU) or subjects (NW-UCLA), ``DatasetInfo.validation_unit``,
drawn with ``validation.seed``, move from train to a ``val`` group. Clip folders (``clip_arrays``) split by
the manifest columns the parsed shards store (:meth:`hypergcn.datasets.SplitRule.split_of`: the rule's test
values, or an explicit train/test column), in clip-id order, and carve validation by the
``validation_unit`` column (single clips without one); their labels come from the manifest.

The file stores the dataset's declaration (attribute ``declaration``), so that everything after the build
needs nothing else (:mod:`hypergcn.data.benchmark_file`).

Packed chunks: the workflow's denoise jobs (one per shard, in parallel) already transform each sample, pad
it and compress it into the file's chunk (:class:`ChunkPacker`: the same lzf stream format h5py's ``lzf``
filter reads). When the shards hold chunks packed with this build's settings, building copies them into
place with direct chunk writes, so the serial step costs a few hundredths of a millisecond per sample;
otherwise (shards written by hand, other settings, NW-UCLA) every sample is transformed and written here.
Either way the file holds the same values.

Memory: the shards are read sequentially in bounded blocks and every sample is written straight into its
place in the output (one compressed chunk per sample), so peak memory does not grow with the number of
samples.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

import hypergcn
from hypergcn.data.benchmark_file import declaration_attr
from hypergcn.data.ntu_skeleton import compiled, parse_ntu_name
from hypergcn.data.shards import STRING, Shard
from hypergcn.data.ucla import parse_name
from hypergcn.datasets import DatasetInfo, add_dataset_arguments, dataset_info, load_declaration, register
from hypergcn.io import atomic_path, config_digest

log = logging.getLogger("hypergcn.data.build")

SECOND_ACTOR_CHOICES = ("copy", "zeros", "per_dataset")


class BuildError(ValueError):
    """The shards cannot make the requested benchmark (message names the sample and the config key)."""


# --------------------------------------------------------------------------------------------------------
# Splits.

# The sample-name parser of each raw format; its result's ``fields`` are what split rules read.
_NAME_PARSERS: dict[str, Callable[[str], Any]] = {"ntu_skeleton": parse_ntu_name, "ucla_json": parse_name}


@dataclass(frozen=True, slots=True)
class SampleKey:
    """Where a sample goes: split, the value whose order decides its position, label, and its validation group."""

    split: str  # "train" | "test"
    order_id: int
    label: int
    group: (
        int | str
    )  # performer (NTU), subject (NW-UCLA), a manifest value: the unit carved out for validation


def _clip_key(info: DatasetInfo, benchmark: str, name: str, fields: dict[str, str], label: int) -> SampleKey:
    """A clip folder's sample: split by its manifest fields, in name order, its own group without a unit."""
    rule = info.splits[benchmark]
    split = rule.split_of(fields[rule.column])
    if split is None:
        raise BuildError(
            f"sample {name}: column {rule.column!r} holds {fields[rule.column]!r}, not train/test"
        )
    unit = info.validation_unit
    return SampleKey(split, 0, int(label), fields[unit] if unit else name)


def sample_key(
    dataset: str, benchmark: str, name: str, fields: dict[str, str] | None = None, label: int | None = None
) -> SampleKey:
    """The split, ordering value, 0-based label and validation group of one sample (official protocols);
    ``fields`` and ``label`` are a clip folder's manifest values (the package's formats read the name)."""
    info = dataset_info(dataset)
    if benchmark not in info.benchmarks:
        raise BuildError(f"{benchmark!r} is not a {dataset} benchmark; choose from {list(info.benchmarks)}")
    if fields is not None:
        return _clip_key(info, benchmark, name, fields, -1 if label is None else label)
    try:
        fields = _NAME_PARSERS[info.raw_format](name).fields
    except ValueError as exc:
        raise BuildError(str(exc)) from None
    rule = info.splits[benchmark]
    value = fields[rule.field]
    split = "train" if rule.is_train(value) else "test"
    return SampleKey(split, value if rule.ordered else 0, fields["label"], fields[info.validation_unit])


def assign_splits(
    dataset: str,
    benchmark: str,
    names: Sequence[str],
    val_fraction: float = 0.0,
    val_seed: int = 1,
    fields: Sequence[dict[str, str]] | None = None,
    labels: Sequence[int] | None = None,
) -> tuple[dict[str, list[int]], list[SampleKey]]:
    """Indices into ``names`` per split, in the authors' order, and each sample's key (``fields`` and
    ``labels``: a clip folder's manifest values per sample, :func:`shard_fields`)."""
    if fields is None:
        keys = [sample_key(dataset, benchmark, name) for name in names]
    else:
        keys = [
            sample_key(dataset, benchmark, n, f, y) for n, f, y in zip(names, fields, labels, strict=True)
        ]
    splits: dict[str, list[int]] = {}
    for split in ("train", "test"):
        members = [i for i, key in enumerate(keys) if key.split == split]
        splits[split] = sorted(members, key=lambda i: (keys[i].order_id, names[i]))
    if val_fraction > 0:
        groups = sorted({keys[i].group for i in splits["train"]})
        count = max(1, round(val_fraction * len(groups)))
        if count >= len(groups):
            raise BuildError(
                f"validation.fraction {val_fraction} leaves no training {dataset_info(dataset).validation_unit}s "
                f"({len(groups)} in the {benchmark} training split); lower it"
            )
        rng = np.random.default_rng(val_seed)
        chosen = {g.item() for g in rng.choice(np.array(groups), size=count, replace=False)}
        splits["val"] = [i for i in splits["train"] if keys[i].group in chosen]
        splits["train"] = [i for i in splits["train"] if keys[i].group not in chosen]
    return splits, keys


# --------------------------------------------------------------------------------------------------------
# Per-sample transformation (denoised data).


def copies_second_actor(second_actor: str, authors_rule: str, slots: int, slot2_empty: bool) -> bool:
    """Whether actor 1 is copied into slot 2 (``deviations.second_actor``; docs/method.md#benchmark-files,
    docs/method.md#q9-data-preparation-quirks). ``authors_rule`` is ``DatasetInfo.authors_second_actor``."""
    if second_actor == "copy":
        return slot2_empty
    if second_actor == "zeros":
        return False
    if second_actor == "per_dataset":  # the authors' align_frames can copy a 75-column array only
        return authors_rule == "copy" and slots == 1
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
    authors_rule = dataset_info(dataset).authors_second_actor
    if copies_second_actor(second_actor, authors_rule, slots, not out[:, 75:].any()):
        out[:, 75:] = out[:, :75]
    return out.reshape(frames, 2, 25, 3)


def packing_attrs(chunk_shape: tuple[int, ...], second_actor: str) -> dict[str, Any]:
    """What identifies packed chunks (stored with them, checked before copying): codec, shape, settings."""
    return {
        "codec": ChunkPacker.CODEC,
        "chunk_shape": list(chunk_shape),
        "max_frames": chunk_shape[1],
        "second_actor": second_actor,
    }


class ChunkPacker:
    """Benchmark-file chunks of denoised samples: :func:`transform_ntu`, zero padding to ``max_frames`` and
    the lzf stream of the padded (C, T, V, M) array, as the build would write it.

    One compiled pass per sample (:func:`hypergcn.data._xyz_kernel.sample_chunk`) does the transform and the
    stream, about 0.05 ms against about 0.6 ms for :func:`transform_ntu` and h5py's lzf filter, which scans
    the zero padding byte by byte. Only the rows' sums that decide the masks are left to numpy, whose
    float32 summation order decides whether a row that cancels is exactly 0. The stream is the format h5py's
    ``lzf`` filter reads; a chunk it cannot make smaller than the raw array is kept raw (filter mask 1), as
    HDF5 does with an optional filter.
    """

    CODEC = "lzf"

    def __init__(self, dataset: str, max_frames: int, second_actor: str) -> None:
        info = dataset_info(dataset)
        if second_actor not in SECOND_ACTOR_CHOICES:
            raise ValueError(f"second_actor must be one of {SECOND_ACTOR_CHOICES}, not {second_actor!r}")
        if (info.num_point, info.num_person) != (25, 2):
            raise ValueError(f"{dataset}: packing needs the NTU layout (25 joints, 2 persons)")
        self.dataset = dataset
        self.max_frames = max_frames
        self.second_actor = second_actor
        self.shape = (3, max_frames, info.num_point, info.num_person)
        self._authors_rule = info.authors_second_actor
        self._raw_bytes = 4 * int(np.prod(self.shape))
        self._out = np.empty(self._raw_bytes * 33 // 32 + 64, dtype=np.uint8)
        self._scratch = np.empty(3 * max_frames * 50, dtype=np.float32)
        self._encode = compiled("sample_chunk")

    @property
    def attrs(self) -> dict[str, Any]:
        return packing_attrs(self.shape, self.second_actor)

    def _copy_rule(self, slots: int) -> int:
        """:func:`copies_second_actor` as a rule the kernel applies once it knows whether slot 2 is empty."""
        never, if_empty, always = 0, 1, 2  # _xyz_kernel.COPY_NEVER, COPY_IF_EMPTY, COPY_ALWAYS
        if copies_second_actor(self.second_actor, self._authors_rule, slots, slot2_empty=False):
            return always
        return if_empty if copies_second_actor(self.second_actor, self._authors_rule, slots, True) else never

    def pack(self, frames: np.ndarray, slots: int, name: str) -> tuple[np.ndarray | None, int]:
        """``(chunk bytes, filter mask)`` of one denoised sample (T, 2, 25, 3); ``(None, 0)`` when it cannot
        be packed (longer than ``max_frames``, or not centrable): the build then reports it as it would."""
        if len(frames) > self.max_frames:
            return None, 0
        flat = np.ascontiguousarray(frames, dtype=np.float32).reshape(len(frames), 150)
        missing = np.zeros((len(frames), 2), dtype=np.bool_)
        if slots == 2:  # transform_ntu's masks: rows whose sum is exactly 0, numpy's float32 sum
            missing[:, 0] = flat[:, :75].sum(axis=1) == 0
            missing[:, 1] = flat[:, 75:].sum(axis=1) == 0
        width = 150 if slots == 2 else 75
        padded = self.max_frames * self.shape[2] * self.shape[3]
        size = self._encode(flat, width, missing, self._copy_rule(slots), padded, self._scratch, self._out)
        if size < 0:
            return None, 0
        if size < self._raw_bytes:
            return self._out[:size].copy(), 0
        padded_sample = np.zeros(self.shape, dtype=np.float32)
        padded_sample[:, : len(frames)] = self._scratch[: 3 * len(frames) * 50].reshape(3, len(frames), 25, 2)
        return padded_sample.view(np.uint8).ravel(), 1


# --------------------------------------------------------------------------------------------------------
# The benchmark file.


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


def _sample_names(shards: list[Shard], dataset: str) -> tuple[list[str], np.ndarray]:
    """Every sample's name and frame count, in shard order; the shards must be the dataset's and disjoint."""
    for shard in shards:
        if shard.dataset != dataset:
            raise BuildError(f"{shard.path} holds dataset {shard.dataset!r}, not {dataset!r}")
    names = [name for shard in shards for name in shard.names]
    lengths = np.concatenate([shard.lengths for shard in shards]) if shards else np.zeros(0, np.int64)
    if len(set(names)) != len(names):
        seen: set[str] = set()
        dup = next(n for n in names if n in seen or seen.add(n))
        raise BuildError(f"sample {dup} appears in more than one shard")
    if not names:
        raise BuildError(f"{dataset}: the shards hold no samples (are the raw folders empty?)")
    return names, lengths


def shard_fields(
    shards: list[Shard], info: DatasetInfo
) -> tuple[list[dict[str, str]] | None, list[int] | None]:
    """A clip folder's manifest fields and labels per sample, in shard order (what its split rules read);
    ``(None, None)`` for the package's formats, whose sample names hold them."""
    if info.raw_format != "clip_arrays":
        return None, None
    fields: list[dict[str, str]] = []
    labels: list[int] = []
    for shard in shards:
        if "label" not in shard.columns:
            raise BuildError(f"{shard.path} has no label column: is it a parsed shard of a clip folder?")
        columns = shard.fields
        fields += [{key: values[k] for key, values in columns.items()} for k in range(len(shard))]
        labels += [int(label) for label in shard.columns["label"]]
    return fields, labels


def _check_channels(shards: list[Shard], info: DatasetInfo) -> int:
    """The channels per joint the file holds: the layout's, which every shard must hold."""
    for shard in shards:
        if shard.channels != info.layout.channels:
            raise BuildError(
                f"{shard.path} holds the channels {list(shard.channels)}, but the layout "
                f"{info.layout.name!r} of {info.name} declares {list(info.layout.channels)}"
            )
    return info.layout.num_channels


def _check_labels(names: list[str], keys: list[SampleKey], num_class: int, dataset: str) -> None:
    bad_labels = [names[i] for i, key in enumerate(keys) if not 0 <= key.label < num_class]
    if bad_labels:
        raise BuildError(
            f"{len(bad_labels)} sample(s) have an action outside the {num_class} classes of {dataset}, "
            f"e.g. {bad_labels[0]}"
        )


def _padded_length(info: DatasetInfo, settings: BuildSettings, names: list[str], lengths: np.ndarray) -> int:
    """Frames per sample in the file: ``max_frames`` for denoised data (checked), else the longest clip."""
    if not info.denoised:
        return int(lengths.max())
    too_long = np.flatnonzero(lengths > settings.max_frames)
    if len(too_long):
        shown = ", ".join(f"{names[i]} ({lengths[i]} frames)" for i in too_long[:5])
        raise BuildError(
            f"{len(too_long)} sample(s) have more than max_frames = {settings.max_frames} frames: {shown}. "
            f"Raise datasets.{settings.dataset}.max_frames to at least {int(lengths.max())}."
        )
    return settings.max_frames


def _create_splits(
    out: h5py.File,
    splits: dict[str, list[int]],
    keys: list[SampleKey],
    names: list[str],
    lengths: np.ndarray,
    sample_shape: tuple[int, ...],
) -> dict[str, h5py.Dataset]:
    """One group per split with ``y``, ``name`` and ``frames``; returns the (still zero) ``x`` datasets."""
    xs = {}
    for split, members in splits.items():
        group = out.create_group(split)
        n = len(members)
        xs[split] = group.create_dataset(
            "x",
            shape=(n, *sample_shape),
            dtype=np.float32,
            chunks=(1, *sample_shape) if n else None,
            compression="lzf" if n else None,
            fillvalue=0.0,
        )
        group.create_dataset("y", data=np.array([keys[i].label for i in members], dtype=np.int64))
        group.create_dataset("name", data=np.array([names[i] for i in members], dtype=object), dtype=STRING)
        group.create_dataset("frames", data=lengths[members].astype(np.int32))
    return xs


def _places(splits: dict[str, list[int]], count: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Where every sample goes, by its index in shard order: (split names, split index, position); arrays,
    not a tuple per sample, so that the build's memory grows by a few bytes per sample here."""
    split_of = np.full(count, -1, dtype=np.int8)
    position = np.full(count, -1, dtype=np.int64)
    for k, members in enumerate(splits.values()):
        split_of[members] = k
        position[members] = np.arange(len(members))
    return list(splits), split_of, position


def _write_one(
    shard: Shard, k: int, dset: h5py.Dataset, pos: int, name: str, settings: BuildSettings
) -> None:
    """Transform sample ``k`` of ``shard`` and write it (the path for samples without a packed chunk)."""
    frames = shard.data[int(shard.offsets[k]) : int(shard.offsets[k] + shard.lengths[k])]
    sample = np.zeros(dset.shape[1:], dtype=np.float32)
    _fill_sample(sample, frames, shard, k, name, settings)
    dset[pos] = sample


def _fill_sample(
    sample: np.ndarray, frames: np.ndarray, shard: Shard, k: int, name: str, settings: BuildSettings
) -> None:
    """Sample ``k`` of ``shard`` (its ``frames``, T x M x V x C) as the benchmark file stores it, into
    ``sample`` (C x T_max x V x M): the NTU transform for denoised data, then zero padding."""
    if dataset_info(settings.dataset).denoised:
        slots = shard.columns.get("slots")
        slot_count = int(slots[k]) if slots is not None else 2
        frames = transform_ntu(frames, slot_count, settings.dataset, settings.second_actor, name)
    sample[:] = 0
    sample[:, : len(frames)] = frames.transpose(3, 0, 2, 1)  # (T, M, V, C) -> (C, T, V, M)


def _packed_usable(shards: list[Shard], settings: BuildSettings, sample_shape: tuple[int, ...]) -> bool:
    """Whether every shard holds chunks packed exactly as this build would write its samples."""
    if not shards or not dataset_info(settings.dataset).denoised:
        return False
    wanted = packing_attrs(sample_shape, settings.second_actor)
    return all(
        shard.packed is not None and {key: shard.packed.attrs.get(key) for key in wanted} == wanted
        for shard in shards
    )


def _write_samples(
    shards: list[Shard],
    xs: dict[str, h5py.Dataset],
    splits: dict[str, list[int]],
    names: list[str],
    settings: BuildSettings,
    packed: bool,
) -> None:
    """Write every sample into its place (split, position): with ``packed``, each shard's packed chunk by a
    direct chunk write (no decompression, no filter); otherwise transformed from its frames."""
    split_names, split_of, position = _places(splits, len(names))
    sample = np.zeros(next(iter(xs.values())).shape[1:], dtype=np.float32)
    index = 0
    for shard in shards:
        if packed:
            for k, chunk, filter_mask in shard.packed.iter_chunks():
                i = index + k
                dset, pos = xs[split_names[split_of[i]]], int(position[i])
                if chunk is None:
                    _write_one(shard, k, dset, pos, names[i], settings)
                else:
                    dset.id.write_direct_chunk((pos, 0, 0, 0, 0), chunk, filter_mask)
        else:
            for k, frames in shard.iter_samples():
                i = index + k
                _fill_sample(sample, frames, shard, k, names[i], settings)
                xs[split_names[split_of[i]]][int(position[i])] = sample
        index += len(shard)


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
        names, lengths = _sample_names(shards, settings.dataset)
        fields, labels = shard_fields(shards, info)
        splits, keys = assign_splits(
            settings.dataset,
            settings.benchmark,
            names,
            settings.val_fraction,
            settings.val_seed,
            fields,
            labels,
        )
        _check_labels(names, keys, num_class, settings.dataset)
        max_frames = _padded_length(info, settings, names, lengths)
        num_person = int(shards[0].attrs.get("num_person", info.num_person))
        num_point = int(shards[0].attrs.get("num_point", info.num_point))
        sample_shape = (_check_channels(shards, info), max_frames, num_point, num_person)
        provenance = provenance if provenance is not None else settings.as_dict()
        t0 = time.perf_counter()
        with atomic_path(out_path) as tmp, h5py.File(tmp, "w") as out:
            xs = _create_splits(out, splits, keys, names, lengths, sample_shape)
            out.attrs.update(
                dataset=settings.dataset,
                layout=info.layout.name,
                benchmark=settings.benchmark,
                num_class=num_class,
                num_point=num_point,
                num_person=num_person,
                max_frames=max_frames,
                second_actor=settings.second_actor if info.denoised else "n/a",
                config_digest=config_digest(provenance),
                config=json.dumps(provenance, sort_keys=True, default=str),
                package_version=hypergcn.__version__,
                created_by="hypergcn build",
                declaration=declaration_attr(info),
            )
            packed = _packed_usable(shards, settings, sample_shape)
            _write_samples(shards, xs, splits, names, settings, packed)
        seconds = time.perf_counter() - t0
        counts = {split: len(members) for split, members in splits.items()}
        log.info(
            "%s %s: %s samples written to %s in %.1f s (%.0f samples/s, %s)",
            settings.dataset,
            settings.benchmark,
            counts,
            out_path,
            seconds,
            len(names) / seconds if seconds > 0 else 0,
            "packed chunks copied" if packed else "transformed and compressed here",
        )
        return counts
    finally:
        for shard in shards:
            shard.close()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_dataset_arguments(parser)
    parser.add_argument("--benchmark", required=True, help="a benchmark (split rule) of the dataset")
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


def declaration_error(path: str | None, dataset: str) -> str | None:
    """Register the ``--declaration`` of a command that runs before the benchmark file exists (parse,
    build, stats) and check that ``dataset`` is known: None, or what is wrong (file, key, reason)."""
    try:
        if path is not None:
            info = register(load_declaration(path))
            if info.name != dataset:
                return f"{path}: key name: declares {info.name!r}, not --dataset {dataset!r}"
        dataset_info(dataset)
    except ValueError as exc:
        return str(exc)
    return None


def run(args: argparse.Namespace) -> int:
    if error := declaration_error(args.declaration, args.dataset):
        log.error("%s", error)
        return 2
    benchmarks = dataset_info(args.dataset).benchmarks
    if args.benchmark not in benchmarks:
        log.error("%r is not a %s benchmark; choose from %s", args.benchmark, args.dataset, list(benchmarks))
        return 2
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
