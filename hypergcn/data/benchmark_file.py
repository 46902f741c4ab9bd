"""Reading a benchmark file's description: what it holds, without loading its samples.

The builder (``hypergcn build``, :mod:`hypergcn.data.build`) writes the file; this module is how the
trainer, evaluation and prediction learn its dataset, benchmark, class count, skeleton layout and splits
(docs/data.md#benchmark-file).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from hypergcn.datasets import dataset_info
from hypergcn.layouts import Layout, layout_named

SPLITS: tuple[str, ...] = ("train", "val", "test")
# Attributes that describe how the file was made rather than what it holds: left out of its identity.
_PROVENANCE_ATTRS = ("config", "config_digest", "created_by")


@dataclass(frozen=True)
class BenchmarkInfo:
    """A benchmark file's attributes and splits; ``identity`` changes exactly when its samples do."""

    path: Path
    attrs: dict[str, Any]
    split_sizes: dict[str, int]
    identity: dict[str, Any]

    @property
    def dataset(self) -> str:
        return str(self.attrs.get("dataset", ""))

    @property
    def benchmark(self) -> str:
        return str(self.attrs.get("benchmark", ""))

    @property
    def num_class(self) -> int:
        return int(self.attrs["num_class"])

    @property
    def num_point(self) -> int:
        return int(self.attrs["num_point"])

    @property
    def num_person(self) -> int:
        return int(self.attrs["num_person"])

    @property
    def layout(self) -> Layout:
        return benchmark_layout(self.attrs)

    def has_split(self, split: str) -> bool:
        return split in self.split_sizes


def plain(value: Any) -> Any:
    """An HDF5 attribute as a JSON-safe Python value (bytes come back from some writers)."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def benchmark_layout(attrs: Mapping[str, Any]) -> Layout:
    """The skeleton layout of a benchmark file, from its attributes.

    The ``layout`` attribute names it; a file written before that attribute existed has the layout its
    ``dataset`` declares.
    """
    if "layout" in attrs:
        return layout_named(str(attrs["layout"]))
    return dataset_info(str(attrs["dataset"])).layout


def _split_digest(group: h5py.Group) -> str:
    digest = hashlib.sha256()
    digest.update(np.asarray(group["y"][()], dtype=np.int64).tobytes())
    for name in group["name"].asstr()[()]:
        digest.update(str(name).encode() + b"\0")
    return digest.hexdigest()[:16]


def read_benchmark_info(path: str | Path) -> BenchmarkInfo:
    """Read the attributes and the split sizes, and hash each split's names and labels.

    The identity hashes names and labels, not the bytes of ``x`` (gigabytes for NTU), and includes the
    content attributes but not the provenance (which names the raw folder): a rebuilt file with the same
    samples and preprocessing keeps its identity, so a training resume survives a harmless rebuild.
    """
    path = Path(path)
    with h5py.File(path, "r") as handle:
        attrs = {key: plain(value) for key, value in sorted(handle.attrs.items())}
        groups = [split for split in SPLITS if split in handle]
        sizes = {split: int(len(handle[split]["y"])) for split in groups}
        digests = {split: _split_digest(handle[split]) for split in groups}
    content = {
        key: value
        for key, value in attrs.items()
        if key not in _PROVENANCE_ATTRS and not any(t in key.lower() for t in ("time", "date", "host"))
    }
    splits = {split: {"n": sizes[split], "samples_sha256": digests[split]} for split in groups}
    return BenchmarkInfo(path, attrs, sizes, {"attrs": content, "splits": splits})
