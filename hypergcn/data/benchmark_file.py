"""Reading a benchmark file's description: what it holds, without loading its samples.

The builder (``hypergcn build``, :mod:`hypergcn.data.build`) writes the file; this module is how the
trainer, evaluation and prediction learn its dataset, benchmark, class count, skeleton layout and splits
(docs/data.md#benchmark-file).

The file stores its dataset's whole declaration (attribute ``declaration``, JSON with the action names
inlined; docs/layouts.md#after-the-build), so a dataset declared by the user needs nothing but the file:
:func:`benchmark_dataset_info` rebuilds its :class:`~hypergcn.datasets.DatasetInfo` and registers it, so
that ``dataset_info(name)`` knows it in this process from then on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from hypergcn.datasets import DATASETS, DatasetInfo, dataset_info, info_from_declaration, register
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

    @property
    def dataset_info(self) -> DatasetInfo:
        """The dataset's declaration, from the file (:func:`benchmark_dataset_info`)."""
        return benchmark_dataset_info(self.attrs, self.path)

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


def benchmark_dataset_info(attrs: Mapping[str, Any], path: str | Path = "benchmark file") -> DatasetInfo:
    """The :class:`DatasetInfo` of a benchmark file, from its ``declaration`` attribute; a file written
    before that attribute existed has its ``dataset``'s declaration from the package. A declaration that
    is not the package's is registered, so that ``dataset_info(name)`` finds it in this process."""
    if "declaration" not in attrs:
        return dataset_info(str(attrs["dataset"]))
    info = info_from_declaration(str(attrs["declaration"]), f"{path} (attribute declaration)")
    return info if info.name in DATASETS else register(info)


def benchmark_layout(attrs: Mapping[str, Any]) -> Layout:
    """The skeleton layout of a benchmark file, from its attributes.

    The stored declaration holds it; else the ``layout`` attribute names it; a file written before that
    attribute existed has the layout its ``dataset`` declares.
    """
    if "declaration" in attrs:
        return benchmark_dataset_info(attrs).layout
    if "layout" in attrs:
        return layout_named(str(attrs["layout"]))
    return dataset_info(str(attrs["dataset"])).layout


def declaration_attr(info: DatasetInfo) -> str:
    """The ``declaration`` attribute the build writes: the declaration as sorted JSON."""
    return json.dumps(info.declaration, sort_keys=True)


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
    info = BenchmarkInfo(path, attrs, sizes, {"attrs": content, "splits": splits})
    if "declaration" in attrs:
        benchmark_dataset_info(attrs, path)  # registers a user's declaration: dataset_info knows it from now
    return info
